using System.Diagnostics;
using System.Text.RegularExpressions;
using k8s;
using k8s.Models;
using LoadGen.Core.Scenarios;
using LoadGen.Tests.Lab;

namespace LoadGen.Tests.Deploy;

/// <summary>
/// deploy/k8s, checked offline for what breaks at apply time: every kustomization renders (kubectl kustomize), every
/// object loads strictly into the official client's typed models (Istio kinds as generic objects), and the wiring holds —
/// selectors, named ports, config and secret names, the Indexed Job's shard wiring, read-only secrets, probes off the h2c
/// port, the gateway's route onto ESP's h2c port, and scenarios that load and read only mounted files.
/// </summary>
public partial class KubernetesManifestTests
{
    private const string Namespace = "loadgen";

    /// <summary>What the kit expects you to create (docs/cluster.md says how): referenced, never rendered.</summary>
    private static readonly string[] External = ["secret/nginx-ssl", "secret/loadgen-auth", "configmap/loadgen-target-ca", "secret/service-account-creds"];

    /// <summary>Every kustomization under deploy/k8s a user applies (the images Component is included by them all).</summary>
    internal static readonly string[] AllKustomizations = ["target-kit", "target-kit-credentials", "runs-volume", "loadgen-job/base", "loadgen-job/overlays/direct-tls", "loadgen-job/overlays/gateway", "loadgen-job/merge", "observability"];

    public static TheoryData<string> Kustomizations => new(AllKustomizations);

    [LabTheory("kubectl")]
    [MemberData(nameof(Kustomizations))]
    public async Task EveryKustomization_Renders_AndEveryObjectLoadsStrictlyAsItsKind(string dir)
    {
        var objects = await RenderAsync(dir);

        Assert.NotEmpty(objects);
        foreach (var o in objects)
        {
            var meta = Assert.IsAssignableFrom<IKubernetesObject<V1ObjectMeta>>(o);
            Assert.False(string.IsNullOrEmpty(meta.Metadata?.Name), $"{meta.Kind} without a name in {dir}");
            if (o is not V1Namespace)
            {
                Assert.True(meta.Metadata!.NamespaceProperty == Namespace, $"{meta.Kind}/{meta.Metadata.Name} in namespace '{meta.Metadata.NamespaceProperty}', not {Namespace}");
            }
        }
    }

    [LabFact("kubectl")]
    public async Task TargetKit_ServicesSelectTheBackend_NoProbeTouchesTheH2cPort_AndTheGatewayRoutesToEspsH2cPort()
    {
        var kit = await RenderAsync("target-kit");
        var deployment = Assert.Single(kit.OfType<V1Deployment>());
        var pod = deployment.Spec.Template;
        Assert.Equal(deployment.Spec.Selector.MatchLabels, deployment.Spec.Selector.MatchLabels.Where(kv => pod.Metadata.Labels.TryGetValue(kv.Key, out var v) && v == kv.Value).ToDictionary());
        var esp = Assert.Single(pod.Spec.Containers, c => c.Image.StartsWith("gcr.io/endpoints-release/endpoints-runtime:1", StringComparison.Ordinal));
        var backend = Assert.Single(pod.Spec.Containers, c => c != esp);
        var http2 = Flag(esp, "http2_port");
        var health = Flag(esp, "http_port");
        var ssl = Flag(esp, "ssl_port");
        Assert.Equal($"grpc://127.0.0.1:{Arg(backend, "--grpc-port")}", esp.Args.Single(a => a.StartsWith("--backend=", StringComparison.Ordinal))["--backend=".Length..]);

        // Services: each selects the backend's pods and every target port is one a container declares.
        var services = kit.OfType<V1Service>().ToList();
        Assert.Equal(["esp-direct", "esp-h2c"], services.Select(s => s.Metadata.Name).Order());
        foreach (var s in services)
        {
            Assert.True(s.Spec.Selector.All(kv => pod.Metadata.Labels.TryGetValue(kv.Key, out var v) && v == kv.Value), $"Service {s.Metadata.Name} selects no pod of {deployment.Metadata.Name}");
            Assert.All(s.Spec.Ports, p => PortNumber(pod, p.TargetPort));
        }

        Assert.Equal(ssl, PortNumber(pod, services.Single(s => s.Metadata.Name == "esp-direct").Spec.Ports.Single().TargetPort));

        // Probes: on the HTTP/1.1 health port — never on the h2c port, where NGINX never answers HTTP/1.1 with a 200.
        var probes = pod.Spec.Containers.SelectMany(c => new[] { c.ReadinessProbe, c.LivenessProbe, c.StartupProbe }).OfType<V1Probe>().ToList();
        Assert.All(probes.Where(p => p.HttpGet is not null || p.TcpSocket is not null || p.Grpc is not null), p =>
            Assert.NotEqual(http2, p.HttpGet is { } g ? PortNumber(pod, g.Port) : p.TcpSocket is { } t ? PortNumber(pod, t.Port) : p.Grpc!.Port));
        Assert.Equal(health, PortNumber(pod, esp.ReadinessProbe.HttpGet.Port));
        Assert.Equal(health, PortNumber(pod, esp.LivenessProbe.HttpGet.Port));

        // The gateway path: Gateway → VirtualService → the Service port whose target is ESP's --http2_port, declared as gRPC (HTTP/2 upstream).
        var gateway = Single(kit, "Gateway");
        var vs = Single(kit, "VirtualService");
        var dr = Single(kit, "DestinationRule");
        Assert.Contains(gateway.Metadata.Name, List(vs.Spec["gateways"]));
        Assert.Equal(List(Map(List(gateway.Spec["servers"])[0])["hosts"]), List(vs.Spec["hosts"]));
        var route = Map(Map(List(Map(List(vs.Spec["http"])[0])["route"])[0])["destination"]);
        var (host, port) = ((string)route["host"], Convert.ToInt32(Map(route["port"])["number"], System.Globalization.CultureInfo.InvariantCulture));
        var h2c = Assert.Single(services, s => host == $"{s.Metadata.Name}.{s.Metadata.NamespaceProperty}.svc.cluster.local");
        var servicePort = Assert.Single(h2c.Spec.Ports, p => p.Port == port);
        Assert.Equal(http2, PortNumber(pod, servicePort.TargetPort));
        Assert.True(servicePort.Name.StartsWith("grpc", StringComparison.Ordinal) || servicePort.AppProtocol is "grpc" or "http2" or "kubernetes.io/h2c",
            $"port {servicePort.Name} ({servicePort.AppProtocol}) is not declared HTTP/2: Envoy would speak HTTP/1.1 to ESP's h2c port");
        Assert.Equal(host, (string)dr.Spec["host"]);
        Assert.Equal("DISABLE", (string)Map(Map(dr.Spec["trafficPolicy"])["tls"])["mode"]);

        // ESP's certificate is a secret you create, mounted read-only.
        AssertSecretsReadOnlyAndNamesResolve(pod.Spec, kit);
    }

    [LabTheory("kubectl")]
    [InlineData("direct-tls")]
    [InlineData("gateway")]
    public async Task SoakJob_IsIndexed_WiresTheShard_MountsTheTokenReadOnly_AndItsScenarioLoadsAndReadsOnlyMountedFiles(string path)
    {
        var objects = await RenderAsync($"loadgen-job/overlays/{path}");
        var volume = await RenderAsync("runs-volume");
        var job = Assert.Single(objects.OfType<V1Job>());
        var spec = job.Spec.Template.Spec;
        var container = Assert.Single(spec.Containers);

        Assert.Equal("Indexed", job.Spec.CompletionMode);
        Assert.Equal(job.Spec.Completions, job.Spec.Parallelism);
        var runSettings = objects.OfType<V1ConfigMap>().Single(c => container.EnvFrom.Any(e => e.ConfigMapRef?.Name == c.Metadata.Name));
        Assert.Equal(job.Spec.Completions.ToString(), runSettings.Data["LOADGEN_SHARDS"]);
        Assert.Equal("metadata.annotations['batch.kubernetes.io/job-completion-index']", container.Env.Single(e => e.Name == "JOB_COMPLETION_INDEX").ValueFrom.FieldRef.FieldPath);
        Assert.NotNull(container.Env.Single(e => e.Name == "LOADGEN_RUN_ID").ValueFrom.FieldRef);
        Assert.Equal("Never", spec.RestartPolicy);
        Assert.Equal("false", job.Spec.Template.Metadata.Annotations["sidecar.istio.io/inject"]);

        // Names resolve: the scenario ConfigMap (hash-suffixed by the generator), the runs volume, what you create.
        AssertSecretsReadOnlyAndNamesResolve(spec, [.. objects, .. volume]);
        var pvc = Assert.Single(volume.OfType<V1PersistentVolumeClaim>());
        Assert.Contains("ReadWriteMany", pvc.Spec.AccessModes);

        // The scenario: loads, with every file it names under one of the Job's mounts (stand-ins made for the check).
        var scenarioVolume = spec.Volumes.Single(v => v.ConfigMap?.Name.StartsWith("loadgen-scenario", StringComparison.Ordinal) == true);
        var mount = container.VolumeMounts.Single(m => m.Name == scenarioVolume.Name);
        var scenarioMap = objects.OfType<V1ConfigMap>().Single(c => c.Metadata.Name == scenarioVolume.ConfigMap.Name);
        var scenarioPath = Assert.Single(container.Args, a => a.StartsWith(mount.MountPath + "/", StringComparison.Ordinal));
        var yaml = scenarioMap.Data[Path.GetFileName(scenarioPath)];
        var scenario = LoadWithMountedFiles(yaml, container.VolumeMounts);
        var target = Assert.Single(scenario.Targets);
        Assert.Equal(path, target.Name);
        Assert.Contains(target.Metadata, m => m.Name == "authorization");

        var kit = await RenderAsync("target-kit");
        if (path == "direct-tls")
        {
            var service = kit.OfType<V1Service>().Single(s => target.Address.Host == $"{s.Metadata.Name}.{s.Metadata.NamespaceProperty}.svc.cluster.local");
            Assert.Contains(service.Spec.Ports, p => p.Port == target.Address.Port);
            Assert.Equal("https", target.Address.Scheme);
        }
        else
        {
            Assert.Contains(target.Authority, List(Map(List(Single(kit, "Gateway").Spec["servers"])[0])["hosts"]).Cast<string>());
            Assert.Equal(443, target.Address.Port);
        }
    }

    [LabFact("kubectl")]
    public async Task BothPaths_RunTheSameWorkload_OnlyTheTargetDiffers()
    {
        var scenarios = new List<string>();
        foreach (var path in new[] { "direct-tls", "gateway" })
        {
            var objects = await RenderAsync($"loadgen-job/overlays/{path}");
            var yaml = objects.OfType<V1ConfigMap>().Single(c => c.Metadata.Name.StartsWith("loadgen-scenario", StringComparison.Ordinal)).Data["scenario.yaml"];
            // Leading comments and the targets: section set aside, the rest must match line for line.
            scenarios.Add(string.Join('\n', TargetsSection().Replace(yaml, "").Split('\n').SkipWhile(l => l.StartsWith('#'))));
        }

        Assert.Equal(scenarios[0], scenarios[1]);
    }

    [LabFact("kubectl")]
    public async Task MergeJob_ReadsTheRunsVolume_AndMergesOneRun()
    {
        var objects = await RenderAsync("loadgen-job/merge");
        var volume = await RenderAsync("runs-volume");
        var job = Assert.Single(objects.OfType<V1Job>());
        var c = Assert.Single(job.Spec.Template.Spec.Containers);

        Assert.Equal("merge", c.Args[0]);
        Assert.Contains("--run-id", c.Args);
        AssertSecretsReadOnlyAndNamesResolve(job.Spec.Template.Spec, [.. objects, .. volume]);
        Assert.Contains(job.Spec.Template.Spec.Volumes, v => v.PersistentVolumeClaim?.ClaimName == Assert.Single(volume.OfType<V1PersistentVolumeClaim>()).Metadata.Name);
    }

    /// <summary>Every ConfigMap, Secret and claim a pod names is rendered or is one you create (documented); every secret is mounted read-only.</summary>
    internal static void AssertSecretsReadOnlyAndNamesResolve(V1PodSpec spec, IReadOnlyList<object> rendered)
    {
        var docs = File.ReadAllText(Path.Combine(PublishTests.RepoRoot(), "docs", "cluster.md"));
        bool Known(string kind, string name) =>
            rendered.OfType<IKubernetesObject<V1ObjectMeta>>().Any(o => o.Kind.Equals(kind, StringComparison.OrdinalIgnoreCase) && o.Metadata.Name == name)
            || (External.Contains($"{kind}/{name}") && docs.Contains($"create {kind} {(kind == "secret" ? "generic " : "")}{name}", StringComparison.Ordinal));

        var refs = spec.Volumes.Select(v => v.ConfigMap is { } cm ? ("configmap", cm.Name) : v.Secret is { } s ? ("secret", s.SecretName) : v.PersistentVolumeClaim is { } c ? ("persistentvolumeclaim", c.ClaimName) : default)
            .Concat(spec.Containers.Concat(spec.InitContainers ?? []).SelectMany(c => (c.EnvFrom ?? []).Select(e => e.ConfigMapRef is { } r ? ("configmap", r.Name) : ("secret", e.SecretRef.Name))))
            .Concat(spec.Containers.Concat(spec.InitContainers ?? []).SelectMany(c => (c.Env ?? []).Select(e => e.ValueFrom?.ConfigMapKeyRef is { } r ? ("configmap", r.Name) : e.ValueFrom?.SecretKeyRef is { } s ? ("secret", s.Name) : default)))
            .Where(r => r.Item1 is not null)
            .ToList();
        Assert.All(refs, r => Assert.True(Known(r.Item1, r.Item2), $"{r.Item1} {r.Item2} is neither rendered nor documented in docs/cluster.md as one you create"));

        foreach (var v in spec.Volumes.Where(v => v.Secret is not null))
        {
            Assert.All(spec.Containers.Concat(spec.InitContainers ?? []).SelectMany(c => c.VolumeMounts ?? []).Where(m => m.Name == v.Name), m => Assert.True(m.ReadOnlyProperty == true, $"secret {v.Secret.SecretName} mounted writable at {m.MountPath}"));
        }
    }

    /// <summary>Loads a scenario whose absolute paths point into the pod's mounts, each path mapped to a stand-in file under a temp folder.</summary>
    internal static Scenario LoadWithMountedFiles(string yaml, IList<V1VolumeMount> mounts)
    {
        var root = TestTemp.Folder("pod");
        var paths = AbsolutePath().Matches(yaml).Select(m => m.Value).Distinct().ToList();
        Assert.NotEmpty(paths);
        foreach (var p in paths)
        {
            Assert.True(mounts.Any(m => p.StartsWith(m.MountPath.TrimEnd('/') + "/", StringComparison.Ordinal)), $"the scenario reads {p}, which no volume of the Job is mounted over");
            var standIn = root + p;
            Directory.CreateDirectory(Path.GetDirectoryName(standIn)!);
            File.WriteAllText(standIn, p.EndsWith(".crt", StringComparison.Ordinal) ? TestCertificate() : "stand-in-token");
        }

        return ScenarioLoader.Load(AbsolutePath().Replace(yaml, m => root + m.Value), Path.Combine(root, "scenario.yaml"));
    }

    private static string TestCertificate()
    {
        using var key = System.Security.Cryptography.ECDsa.Create();
        var request = new System.Security.Cryptography.X509Certificates.CertificateRequest("CN=stand-in", key, System.Security.Cryptography.HashAlgorithmName.SHA256);
        using var cert = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
        return cert.ExportCertificatePem();
    }

    internal static int Flag(V1Container c, string name) =>
        int.Parse(c.Args.Single(a => a.StartsWith($"--{name}=", StringComparison.Ordinal))[(name.Length + 3)..], System.Globalization.CultureInfo.InvariantCulture);

    internal static string Arg(V1Container c, string name) => c.Args[c.Args.IndexOf(name) + 1];

    /// <summary>A port as a number: a named one must be declared by a container of the pod.</summary>
    internal static int PortNumber(V1PodTemplateSpec pod, IntOrString port) =>
        int.TryParse(port.Value, out var n) ? n
        : pod.Spec.Containers.SelectMany(c => c.Ports ?? []).SingleOrDefault(p => p.Name == port.Value)?.ContainerPort
          ?? throw new Xunit.Sdk.XunitException($"port '{port.Value}' is named by a Service or probe but declared by no container");

    internal static IstioObject Single(IReadOnlyList<object> objects, string kind) => Assert.Single(objects.OfType<IstioObject>(), o => o.Kind == kind);

    internal static Dictionary<object, object> Map(object o) => Assert.IsType<Dictionary<object, object>>(o);

    internal static List<object> List(object o) => Assert.IsType<List<object>>(o);

    internal static async Task<IReadOnlyList<object>> RenderAsync(string dir)
    {
        var full = Path.IsPathRooted(dir) ? dir : Path.Combine(PublishTests.RepoRoot(), "deploy", "k8s", dir);
        return Load(await OutputOfAsync(LoadGen.Lab.LabBinaries.Find("LOADGEN_KUBECTL", "kubectl") ?? "kubectl", "kustomize", full));
    }

    /// <summary>What <paramref name="program"/> printed on a successful run (a minute at most); a failure names its stderr.</summary>
    internal static async Task<string> OutputOfAsync(string program, params string[] args)
    {
        var psi = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }

        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await p.WaitForExitAsync(cts.Token);
        Assert.True(p.ExitCode == 0, $"{Path.GetFileName(program)} {string.Join(' ', args)}: exit {p.ExitCode}\n{await stderr}");
        return await stdout;
    }

    /// <summary>Rendered YAML, every object loaded strictly as its kind (Istio kinds as generic objects).</summary>
    internal static IReadOnlyList<object> Load(string yaml)
    {
        var map = new Dictionary<string, Type>
        {
            ["networking.istio.io/v1/Gateway"] = typeof(IstioObject),
            ["networking.istio.io/v1/VirtualService"] = typeof(IstioObject),
            ["networking.istio.io/v1/DestinationRule"] = typeof(IstioObject),
        };
        return KubernetesYaml.LoadAllFromString(yaml, map, strict: true);
    }

    [GeneratedRegex(@"(?<=[\s:""]|^)/(etc|var/run)/[A-Za-z0-9._/-]+")]
    private static partial Regex AbsolutePath();

    [GeneratedRegex(@"^targets:\n(  .*\n)+", RegexOptions.Multiline)]
    private static partial Regex TargetsSection();
}

/// <summary>An Istio object: its spec kept as YAML maps and lists, checked field by field.</summary>
public sealed class IstioObject : IKubernetesObject<V1ObjectMeta>
{
    public string ApiVersion { get; set; } = "";

    public string Kind { get; set; } = "";

    public V1ObjectMeta Metadata { get; set; } = new();

    public Dictionary<object, object> Spec { get; set; } = [];
}
