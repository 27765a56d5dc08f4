using System.Diagnostics.Metrics;
using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using k8s.Models;
using LoadGen.Core.Metrics;
using LoadGen.Tests.Lab;
using static LoadGen.Tests.Deploy.KubernetesManifestTests;

namespace LoadGen.Tests.Deploy;

/// <summary>
/// The cluster kit against what ESP v1 and Kubernetes really do with it, not only its wiring: ESP's health flag as
/// start_esp reads it, streams per ESP pod from ESP's connection model, the Job's failure policy evaluated as the Job
/// controller evaluates it, per-run names, placement, pinned images, and a dashboard that queries only what LoadGen
/// exports.
/// </summary>
public partial class ClusterKitTests
{
    public static TheoryData<string> Paths => new() { "direct-tls", "gateway" };

    /// <summary>
    /// ESP v1's start_esp writes <c>location = /NAME</c> for <c>--healthz=NAME</c>: a leading slash makes <c>//healthz</c>
    /// and no probe matches. The probes must ask for exactly <c>/NAME</c> on ESP's HTTP/1.1 port.
    /// </summary>
    [LabFact("kubectl")]
    public async Task Esp_HealthzFlagIsAName_AndBothProbesAskForExactlyThatPath()
    {
        var esp = EspContainer(await RenderAsync("target-kit"));
        var healthz = esp.Args.Single(a => a.StartsWith("--healthz=", StringComparison.Ordinal))["--healthz=".Length..];

        Assert.False(healthz.Contains('/', StringComparison.Ordinal), $"--healthz={healthz}: ESP takes the name; its location would be /{healthz}, which no probe asks for");
        Assert.Equal("/" + healthz, esp.ReadinessProbe.HttpGet.Path);
        Assert.Equal("/" + healthz, esp.LivenessProbe.HttpGet.Path);
    }

    /// <summary>Off GKE, ESP reads a service-account key: the flag lands on ESP's container, the file under a read-only Secret mount you create (documented).</summary>
    [LabFact("kubectl")]
    public async Task CredentialsOverlay_GivesEspItsKey_FromAReadOnlySecret()
    {
        var kit = await RenderAsync("target-kit-credentials");
        var esp = EspContainer(kit);
        var key = esp.Args.Single(a => a.StartsWith("--service_account_key=", StringComparison.Ordinal))["--service_account_key=".Length..];
        var pod = Assert.Single(kit.OfType<V1Deployment>()).Spec.Template.Spec;

        var mount = Assert.Single(esp.VolumeMounts, m => key.StartsWith(m.MountPath.TrimEnd('/') + "/", StringComparison.Ordinal));
        Assert.True(mount.ReadOnlyProperty);
        var secret = Assert.Single(pod.Volumes, v => v.Name == mount.Name).Secret.SecretName;
        Assert.Contains($"create secret generic {secret} --from-file={Path.GetFileName(key)}=",
            File.ReadAllText(Path.Combine(PublishTests.RepoRoot(), "docs", "cluster.md")), StringComparison.Ordinal);
        // Everything else is the kit as it is.
        Assert.Equal(EspContainer(await RenderAsync("target-kit")).Args, esp.Args.Where(a => !a.StartsWith("--service_account_key=", StringComparison.Ordinal)));
    }

    /// <summary>
    /// ESP v1 proxies gRPC through its own module: one channel (one HTTP/2 connection) per backend per worker, so one
    /// pod carries at most workers × the backend's streams per connection. The pods must hold each overlay's soak,
    /// with a tenth to spare for connections spread unevenly over the pods.
    /// </summary>
    [LabTheory("kubectl")]
    [MemberData(nameof(Paths))]
    public async Task TargetKit_HoldsTheOverlaysSoak_ByEspV1sConnectionModel(string path)
    {
        var kit = await RenderAsync("target-kit");
        var deployment = Assert.Single(kit.OfType<V1Deployment>());
        var esp = EspContainer(kit);
        var backend = Assert.Single(deployment.Spec.Template.Spec.Containers, c => c != esp);
        var workers = esp.Args.SingleOrDefault(a => a.StartsWith("--worker_processes=", StringComparison.Ordinal)) is { } w ? int.Parse(w["--worker_processes=".Length..], CultureInfo.InvariantCulture) : 1;
        var perConnection = backend.Args.Contains("--max-streams-per-connection")
            ? int.Parse(Arg(backend, "--max-streams-per-connection"), CultureInfo.InvariantCulture)
            : new LoadGen.Lab.Backend.LabBackendOptions().MaxStreamsPerConnection;
        var capacity = (long)deployment.Spec.Replicas!.Value * workers * perConnection;

        var peak = (await SoakAsync(path)).Scenario.Profile.Peak;

        Assert.True(capacity >= peak * 1.1,
            $"{deployment.Spec.Replicas} pod(s) × {workers} ESP worker(s) × {perConnection:#,0} streams per backend connection = {capacity:#,0} streams; the {path} soak holds {peak:#,0} (+10%)");
    }

    /// <summary>
    /// The Job's podFailurePolicy, evaluated as the Job controller does (first matching rule; exit codes of any
    /// container, init containers included; then backoffLimitPerIndex): bad input ends the Job once; a shard that
    /// fails any other way, or is evicted, fails alone and the others go on; a failed threshold is not a failure.
    /// </summary>
    [LabTheory("kubectl")]
    [MemberData(nameof(Paths))]
    public async Task SoakJob_AShardsFailureStaysLocal_BadInputEndsTheJobOnce(string path)
    {
        var (objects, job, _) = await SoakAsync(path);
        var spec = job.Spec;
        var shards = spec.Completions!.Value;

        Assert.Equal(0, spec.BackoffLimitPerIndex);
        // backoffLimit counts every failure of the Job: with per-index limits it must not end the Job first.
        Assert.True(spec.BackoffLimit is null || spec.BackoffLimit >= shards, $"backoffLimit {spec.BackoffLimit} ends the Job before the per-index limits do");
        Assert.True(spec.MaxFailedIndexes is null || spec.MaxFailedIndexes >= shards - 1, $"maxFailedIndexes {spec.MaxFailedIndexes} of {shards}: failed shards end the others");
        Assert.Equal(spec.Completions, spec.Parallelism);
        Assert.Equal(shards.ToString(CultureInfo.InvariantCulture), objects.OfType<V1ConfigMap>().Single(c => c.Metadata.Name.StartsWith("loadgen-run", StringComparison.Ordinal)).Data["LOADGEN_SHARDS"]);

        Assert.Equal("FailJob", Action(spec, container: "loadgen", exitCode: 2));
        Assert.Equal("FailJob", Action(spec, container: "validate", exitCode: 2));
        foreach (var code in new[] { 1, 3, 4, 130, 137 })
        {
            Assert.NotEqual("FailJob", Action(spec, "loadgen", code));
            Assert.NotEqual("Ignore", Action(spec, "loadgen", code));
        }

        // Evicted or drained: not the Job's end, and not re-run late under a taken folder name.
        Assert.Equal("FailIndex", Action(spec, "loadgen", 130, condition: "DisruptionTarget"));

        // A shard judges only its slice: thresholds never set its exit code.
        var main = Assert.Single(spec.Template.Spec.Containers);
        Assert.Contains("--no-gate", main.Args);
        Assert.NotNull(spec.TtlSecondsAfterFinished);
    }

    /// <summary>The deadline covers the barrier, the whole scenario and ten minutes for the close, the reports and image pulls.</summary>
    [LabTheory("kubectl")]
    [MemberData(nameof(Paths))]
    public async Task SoakJob_DeadlineCoversTheBarrierAndTheScenario_AndShardsStartTogether(string path)
    {
        var (_, job, scenario) = await SoakAsync(path);
        var main = Assert.Single(job.Spec.Template.Spec.Containers);
        var wait = LoadGen.Results.Durations.Parse(Arg(main, "--wait-for-shards"));
        var needed = scenario.Profile.Duration + wait + TimeSpan.FromMinutes(10);

        Assert.True(job.Spec.ActiveDeadlineSeconds >= needed.TotalSeconds, $"activeDeadlineSeconds {job.Spec.ActiveDeadlineSeconds} < {needed.TotalSeconds} s (scenario {scenario.Profile.Duration}, barrier {wait})");
        Assert.DoesNotContain(main.Args, a => a == "--start-at");
    }

    /// <summary>
    /// The runs volume: the run's folder is made and handed to the pod's user before LoadGen writes to it (RWX drivers
    /// that ignore fsGroup), and the scenario is validated before any shard runs, from the same file `run` reads.
    /// </summary>
    [LabTheory("kubectl")]
    [MemberData(nameof(Paths))]
    public async Task SoakJob_PreparesTheRunsFolderForItsUser_AndValidatesBeforeRunning(string path)
    {
        var (_, job, _) = await SoakAsync(path);
        var pod = job.Spec.Template.Spec;
        var main = Assert.Single(pod.Containers);
        var prepare = Assert.Single(pod.InitContainers, c => c.Name == "prepare-runs");
        var validate = Assert.Single(pod.InitContainers, c => c.Name == "validate");

        var outDir = Arg(main, "--out");
        Assert.Equal("/runs/$(LOADGEN_RUN_ID)", outDir);
        var script = string.Join(' ', prepare.Args);
        Assert.Contains("mkdir -p \"/runs/$LOADGEN_RUN_ID\"", script, StringComparison.Ordinal);
        Assert.Contains($"chown {pod.SecurityContext.RunAsUser}:{pod.SecurityContext.RunAsGroup} \"/runs/$LOADGEN_RUN_ID\"", script, StringComparison.Ordinal);
        Assert.Equal(main.Env.Single(e => e.Name == "LOADGEN_RUN_ID").ValueFrom.FieldRef.FieldPath, prepare.Env.Single(e => e.Name == "LOADGEN_RUN_ID").ValueFrom.FieldRef.FieldPath);
        Assert.Contains(prepare.VolumeMounts, m => m.MountPath == "/runs");
        Assert.Equal(0, prepare.SecurityContext.RunAsUser);

        Assert.Equal("validate", validate.Args[0]);
        Assert.Equal(Arg(main, "--scenario"), Arg(validate, "--scenario"));
        // Everything the scenario reads is mounted for validate as for run.
        Assert.Equal(main.VolumeMounts.Where(m => m.MountPath.StartsWith("/etc/", StringComparison.Ordinal) || m.MountPath.StartsWith("/var/", StringComparison.Ordinal)).Select(m => m.Name).Order(),
            validate.VolumeMounts.Where(m => m.MountPath.StartsWith("/etc/", StringComparison.Ordinal) || m.MountPath.StartsWith("/var/", StringComparison.Ordinal)).Select(m => m.Name).Order());

        var merge = Assert.Single(Assert.Single((await RenderAsync("loadgen-job/merge")).OfType<V1Job>()).Spec.Template.Spec.Containers);
        Assert.Equal(outDir, merge.Args[1]);
        Assert.StartsWith(outDir + "/", Arg(merge, "--out"), StringComparison.Ordinal);
    }

    /// <summary>Shards spread over nodes and keep off the nodes of ESP's pods and the ingress gateway's — selectors that really select them.</summary>
    [LabFact("kubectl")]
    public async Task SoakJob_SpreadsShardsOverNodes_AwayFromEspAndTheGateway()
    {
        var (_, job, _) = await SoakAsync("gateway");
        var kit = await RenderAsync("target-kit");
        var pod = job.Spec.Template;
        var backendLabels = Assert.Single(kit.OfType<V1Deployment>()).Spec.Template.Metadata.Labels;
        var gatewaySelector = Map(Single(kit, "Gateway").Spec["selector"]).ToDictionary(kv => (string)kv.Key, kv => (string)kv.Value);

        var spread = Assert.Single(pod.Spec.TopologySpreadConstraints);
        Assert.Equal("kubernetes.io/hostname", spread.TopologyKey);
        Assert.True(Selects(spread.LabelSelector, pod.Metadata.Labels), "the spread counts pods other than the shards");
        var away = pod.Spec.Affinity.PodAntiAffinity.PreferredDuringSchedulingIgnoredDuringExecution.Select(t => t.PodAffinityTerm).ToList();
        Assert.All(away, t => Assert.Equal("kubernetes.io/hostname", t.TopologyKey));
        Assert.Contains(away, t => Selects(t.LabelSelector, backendLabels));
        Assert.Contains(away, t => Selects(t.LabelSelector, gatewaySelector) && t.NamespaceSelector is not null);
    }

    /// <summary>
    /// Per-run names: two runs of one path never meet each other's objects (a second merge used to hit AlreadyExists,
    /// and re-applying a finished Job did nothing); deploy/soak.sh can aim the gateway path at the load balancer.
    /// </summary>
    [LabFact("kubectl")]
    public async Task SoakScript_TwoRuns_ShareNoObjectName_AndTheGatewayAddressCanBeTheLoadBalancers()
    {
        var first = await RenderScriptAsync("gateway", "r41");
        var second = await RenderScriptAsync("gateway", "r42", "--gateway-address", "203.0.113.10");

        static IEnumerable<string> Names(IReadOnlyList<object> o) => o.OfType<k8s.IKubernetesObject<V1ObjectMeta>>().Select(x => $"{x.Kind}/{x.Metadata.Name}");
        Assert.Empty(Names(first).Intersect(Names(second)));
        Assert.Equal(2, first.OfType<V1Job>().Count());
        Assert.Contains(first.OfType<V1Job>(), j => j.Metadata.Name == "loadgen-gateway-r41");
        Assert.Contains(first.OfType<V1Job>(), j => j.Metadata.Name == "loadgen-merge-gateway-r41");

        var yaml = second.OfType<V1ConfigMap>().Single(c => c.Metadata.Name.StartsWith("loadgen-scenario", StringComparison.Ordinal)).Data["scenario.yaml"];
        var soakJob = second.OfType<V1Job>().Single(j => j.Metadata.Name == "loadgen-gateway-r42");
        var scenario = LoadWithMountedFiles(yaml, Assert.Single(soakJob.Spec.Template.Spec.Containers).VolumeMounts);
        var target = Assert.Single(scenario.Targets);
        Assert.Equal("https://203.0.113.10/", target.Address.ToString());
        Assert.Equal("lab.loadgen.example", target.Authority);
        Assert.Contains(soakJob.Spec.Template.Spec.Volumes, v => v.ConfigMap?.Name == second.OfType<V1ConfigMap>().Single(c => c.Data?.ContainsKey("scenario.yaml") == true).Metadata.Name);
    }

    /// <summary>Every container image comes pinned from one place: no floating tag, no images: list beside the shared one.</summary>
    [LabFact("kubectl")]
    public async Task Images_ArePinnedInOnePlace()
    {
        var k8sDir = Path.Combine(PublishTests.RepoRoot(), "deploy", "k8s");
        var declaring = Directory.GetFiles(k8sDir, "kustomization.yaml", SearchOption.AllDirectories)
            .Where(f => Regex.IsMatch(File.ReadAllText(f), @"^images:", RegexOptions.Multiline))
            .Select(f => Path.GetRelativePath(k8sDir, f))
            .ToList();
        Assert.Equal([Path.Combine("images", "kustomization.yaml")], declaring);

        var images = new List<string>();
        foreach (var dir in AllKustomizations)
        {
            images.AddRange((await RenderAsync(dir)).SelectMany(PodSpecs).SelectMany(p => p.Containers.Concat(p.InitContainers ?? [])).Select(c => c.Image));
        }

        Assert.NotEmpty(images);
        Assert.All(images, i => Assert.Matches(@"^[^:@]+(:\d+\.\d+\.\d+)?(@sha256:[0-9a-f]{64})?$", i));
        Assert.All(images, i => Assert.True(i.Contains(':', StringComparison.Ordinal), $"{i}: no tag"));
        Assert.Single(images.Where(i => i.Contains("loadgen", StringComparison.Ordinal)).Distinct());
    }

    /// <summary>
    /// The dashboard queries only what LoadGen exports, as the collector's Prometheus exporter names it: instruments
    /// read off a live <see cref="RunTelemetry"/> (dots to underscores, unit "s" to _seconds, counters _total,
    /// histograms _bucket), labels from its attributes and the resource the collector turns into labels.
    /// </summary>
    [Fact]
    public void Dashboard_QueriesOnlyMetricsAndLabelsLoadGenExports_TheCollectorKeepsTheRunId()
    {
        var exported = new HashSet<string>(StringComparer.Ordinal);
        using (var listener = new MeterListener())
        {
            listener.InstrumentPublished = (instrument, _) =>
            {
                if (instrument.Meter.Name != RunTelemetry.MeterName)
                {
                    return;
                }

                var name = instrument.Name.Replace('.', '_') + (instrument.Unit == "s" ? "_seconds" : "");
                var kind = instrument.GetType().GetGenericTypeDefinition();
                if (kind == typeof(ObservableCounter<>) || kind == typeof(Counter<>))
                {
                    exported.Add(name + "_total");
                }
                else if (kind == typeof(Histogram<>))
                {
                    exported.UnionWith([name + "_bucket", name + "_sum", name + "_count"]);
                }
                else
                {
                    exported.Add(name);
                }
            };
            listener.Start();
            using var telemetry = new RunTelemetry();
        }

        Assert.Contains("loadgen_streams_active", exported);
        var labels = new HashSet<string>(StringComparer.Ordinal) { "le", "loadgen_topology", "loadgen_end_cause", "loadgen_run_id", "loadgen_shard", "loadgen_shards", "loadgen_scenario" };
        var dashboard = JsonDocument.Parse(File.ReadAllText(Path.Combine(PublishTests.RepoRoot(), "deploy", "k8s", "observability", "loadgen-dashboard.json")));
        var queries = Exprs(dashboard.RootElement).ToList();
        Assert.True(queries.Count >= 6, $"{queries.Count} queries");
        foreach (var q in queries)
        {
            Assert.NotEmpty(MetricName().Matches(q));
            Assert.All(MetricName().Matches(q).Select(m => m.Value), m => Assert.True(exported.Contains(m), $"{m} (in {q}) is not exported; exported: {string.Join(", ", exported.Order())}"));
            Assert.All(LabelName().Matches(q).Select(m => (m.Groups[1].Success ? m.Groups[1].Value : m.Groups[2].Value).Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)).SelectMany(x => x).Select(l => l.Split('=')[0].Trim()),
                l => Assert.True(labels.Contains(l), $"label {l} (in {q}) is not one LoadGen's metrics carry"));
            Assert.Contains("loadgen_run_id=\"$run_id\"", q, StringComparison.Ordinal);
        }

        // The run id is a resource attribute: the collector must turn resources into labels, or no query finds a run.
        var config = new YamlDotNet.Serialization.DeserializerBuilder().Build().Deserialize<Dictionary<object, object>>(
            File.ReadAllText(Path.Combine(PublishTests.RepoRoot(), "deploy", "k8s", "observability", "otel-collector-config.yaml")));
        var prometheus = Map(Map(config["exporters"])["prometheus"]);
        Assert.Equal("true", Map(prometheus["resource_to_telemetry_conversion"])["enabled"].ToString());
    }

    private static IEnumerable<string> Exprs(JsonElement e)
    {
        if (e.ValueKind == JsonValueKind.Object)
        {
            foreach (var p in e.EnumerateObject())
            {
                if (p.Name == "expr" && p.Value.ValueKind == JsonValueKind.String)
                {
                    yield return p.Value.GetString()!;
                }

                foreach (var inner in Exprs(p.Value))
                {
                    yield return inner;
                }
            }
        }
        else if (e.ValueKind == JsonValueKind.Array)
        {
            foreach (var inner in e.EnumerateArray().SelectMany(Exprs))
            {
                yield return inner;
            }
        }
    }

    /// <summary>The Job's podFailurePolicy action for a pod that ended so, as the Job controller decides it (null: no rule matched, the failure counts against the index).</summary>
    private static string? Action(V1JobSpec spec, string container, int exitCode, string? condition = null)
    {
        foreach (var rule in spec.PodFailurePolicy?.Rules ?? [])
        {
            if (rule.OnExitCodes is { } codes && (codes.ContainerName is null || codes.ContainerName == container)
                && (codes.OperatorProperty == "In") == codes.Values.Contains(exitCode))
            {
                return rule.Action;
            }

            if (condition is not null && rule.OnPodConditions?.Any(c => c.Type == condition && (c.Status ?? "True") == "True") == true)
            {
                return rule.Action;
            }
        }

        return null;
    }

    private static bool Selects(V1LabelSelector selector, IDictionary<string, string> labels) =>
        (selector.MatchLabels ?? new Dictionary<string, string>()).All(kv => labels.TryGetValue(kv.Key, out var v) && v == kv.Value)
        && (selector.MatchExpressions ?? []).Count == 0;

    private static IEnumerable<V1PodSpec> PodSpecs(object o) => o switch
    {
        V1Job j => [j.Spec.Template.Spec],
        V1Deployment d => [d.Spec.Template.Spec],
        _ => [],
    };

    private static V1Container EspContainer(IReadOnlyList<object> kit) =>
        Assert.Single(Assert.Single(kit.OfType<V1Deployment>()).Spec.Template.Spec.Containers, c => c.Image.StartsWith("gcr.io/endpoints-release/endpoints-runtime:", StringComparison.Ordinal));

    /// <summary>An overlay's Job and its scenario, loaded with stand-ins for the files it reads from mounts.</summary>
    private static async Task<(IReadOnlyList<object> Objects, V1Job Job, LoadGen.Core.Scenarios.Scenario Scenario)> SoakAsync(string path)
    {
        var objects = await RenderAsync($"loadgen-job/overlays/{path}");
        var job = Assert.Single(objects.OfType<V1Job>());
        var yaml = objects.OfType<V1ConfigMap>().Single(c => c.Metadata.Name.StartsWith("loadgen-scenario", StringComparison.Ordinal)).Data["scenario.yaml"];
        return (objects, job, LoadWithMountedFiles(yaml, Assert.Single(job.Spec.Template.Spec.Containers).VolumeMounts));
    }

    /// <summary>deploy/soak.sh PATH LABEL --render: what it would create, with no cluster.</summary>
    private static async Task<IReadOnlyList<object>> RenderScriptAsync(params string[] args) =>
        Load(await OutputOfAsync("bash", [Path.Combine(PublishTests.RepoRoot(), "deploy", "soak.sh"), .. args, "--render"]));

    [GeneratedRegex(@"\bloadgen_[a-z_]+(?=\{)")]
    private static partial Regex MetricName();

    [GeneratedRegex(@"(?:by|without)\s*\(([^)]*)\)|\{([^}]*)\}")]
    private static partial Regex LabelName();
}
