using System.Text.RegularExpressions;
using LoadGen.Core.Inputs;
using LoadGen.Core.Scenarios.Lab;
using LoadGen.Results;
using LoadGen.Results.Analysis;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace LoadGen.Core.Scenarios;

/// <summary>
/// Loads scenario YAML. Every problem becomes a <see cref="ScenarioException"/> naming the file,
/// line, column and field; nothing is silently defaulted when it was written wrongly.
/// </summary>
public static partial class ScenarioLoader
{
    private const int MaxStreams = 1_000_000;

    /// <param name="purpose">What the scenario is loaded for: a timeout probe needs no profile (it opens its own streams).</param>
    public static Scenario LoadFile(string path, ScenarioPurpose purpose = ScenarioPurpose.Run)
    {
        if (Directory.Exists(path))
        {
            throw new ScenarioException(path, 0, 0, "(file)", "is a directory, not a scenario file (give the .yaml file itself, e.g. scenarios/demo.yaml)");
        }

        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ScenarioException(path, 0, 0, "(file)", $"cannot read the scenario file: {e.Message}");
        }

        return Load(text, path, purpose);
    }

    public static Scenario Load(string yaml, string file, ScenarioPurpose purpose = ScenarioPurpose.Run)
    {
        var stream = new YamlStream();
        try
        {
            stream.Load(new StringReader(yaml));
        }
        catch (YamlException e)
        {
            var problem = e.InnerException?.Message ?? e.Message;
            throw new ScenarioException(file, e.Start.Line, e.Start.Column, "(syntax)", $"not valid YAML: {problem}");
        }
        catch (InvalidOperationException e)
        {
            // YamlDotNet's scanner fails this way on some malformed flow collections, without a position.
            throw new ScenarioException(file, 1, 1, "(syntax)", $"not valid YAML (the parser could not say where; look for an unclosed [ or {{ or a stray quote): {e.Message}");
        }

        if (stream.Documents.Count == 0)
        {
            throw new ScenarioException(file, 1, 1, "(document)", "the file is empty; a scenario needs at least 'targets' and 'profile'");
        }

        if (stream.Documents.Count > 1)
        {
            var second = stream.Documents[1].RootNode;
            throw new ScenarioException(file, second.Start.Line, second.Start.Column, "(document)",
                $"a second YAML document (after '---') would be ignored: one scenario per file ({stream.Documents.Count} documents here)");
        }

        var root = new YamlFields(file, "", stream.Documents[0].RootNode);
        var warnings = new List<string>();
        // Each section is read on its own, so one reading reports every section's problem (file:line each),
        // not only the first; a section that fails is left at its default for the rest of the reading.
        var problems = new List<ScenarioException>();
        T Read<T>(Func<T> read, T fallback)
        {
            try
            {
                return read();
            }
            catch (ScenarioException e)
            {
                problems.AddRange(e.All);
                return fallback;
            }
        }

        var reporting = root.Renamed("reportingInterval", "interval", warnings,
            "how often histograms and counts are flushed; the message rate is messages.interval");
        var scenario = new Scenario
        {
            Source = file,
            Name = Read(() => root.String("name"), null) ?? Path.GetFileNameWithoutExtension(file),
            Targets = Read<IReadOnlyList<TargetOptions>>(() => ReadTargets(root), []),
            // A probe opens its own streams: a probe-only file needs no profile (the default stands in, unused).
            Profile = Read(() => purpose == ScenarioPurpose.Probe && root.Get("profile") is null ? new PopulationProfile() : ReadProfile(root), new PopulationProfile()),
            Messages = Read(() => ReadMessages(root), new MessagePlan()),
            Connections = Read(() => ReadConnections(root), new ConnectionOptions()),
            Reconnect = Read(() => ReadReconnect(root), new ReconnectPolicy()),
            Probe = Read(() => ReadProbe(root), new ProbeOptions()),
            ReportingInterval = Read(() => root.Duration(reporting, TimeSpan.FromSeconds(5), TimeSpan.FromMilliseconds(100), TimeSpan.FromHours(1)), TimeSpan.FromSeconds(5)),
            Rounds = Read(() => root.Int("rounds", 1, 1, 1000), 1),
            CloseTimeout = Read(() => root.Duration("closeTimeout", TimeSpan.FromSeconds(10), TimeSpan.Zero, TimeSpan.FromMinutes(10)), TimeSpan.FromSeconds(10)),
            WarmUp = Read(() => root.Duration("warmup", TimeSpan.Zero, TimeSpan.Zero, TimeSpan.FromMinutes(10)), TimeSpan.Zero),
            Thresholds = Read<IReadOnlyList<Threshold>>(() => ReadThresholds(root), []),
            Comparison = Read(() => ReadComparison(root), new ComparisonSettings()),
            Lab = Read(() => ReadLab(root), new LabSettings()),
            Faults = Read<IReadOnlyList<FaultStep>>(() => ReadFaults(root), []),
            Service = Read(() => ReadService(root), null),
            LoadWarnings = warnings,
        };
        Read(() => { root.RejectUnknown(); return 0; }, 0);
        if (problems.Count > 0)
        {
            throw new ScenarioException(problems.OrderBy(p => p.Line).ThenBy(p => p.Column).ToList());
        }

        scenario = WithService(scenario, root);
        // The rules across fields live on the model (code-first scenarios run them too); here each problem gets its line.
        if (scenario.Validate() is { Count: > 0 } invalid)
        {
            throw new ScenarioException(invalid.Select(p => Locate(root, p)).ToList());
        }

        if (scenario.Service is null && scenario.Workload is null && scenario.Targets.Where(t => t.Address.Scheme != "lab").ToList() is { Count: > 0 } own)
        {
            var node = root.Get("targets")!;
            warnings.Add($"{file}:{node.Start.Line}: targets: {string.Join(", ", own.Select(t => $"{t.Name} ({t.Address})"))} {(own.Count == 1 ? "is" : "are")} not lab:// and there is no service: section, " +
                "so every stream will call the lab's own loadgen.lab.v1.LabService/Chat — a server that is not LoadGen's lab backend answers Unimplemented; " +
                "name your method and message in service: (docs/own-service.md)");
        }

        UnmeasurableThresholds(root, scenario, scenario.Profile.SplitHold(scenario.Rounds).Duration, warnings);
        return scenario;
    }

    /// <summary>
    /// A model problem at the line of its field: the path (<c>targets[1].authority</c>) walked as far as the file has
    /// it, so a field left to its default points at its section.
    /// </summary>
    private static ScenarioException Locate(YamlFields root, ScenarioProblem problem)
    {
        YamlNode node = root.Node;
        foreach (var part in problem.Field.Split('.'))
        {
            var bracket = part.IndexOf('[', StringComparison.Ordinal);
            var key = bracket < 0 ? part : part[..bracket];
            if (node is not YamlMappingNode map || !map.Children.TryGetValue(new YamlScalarNode(key), out var child))
            {
                break;
            }

            node = child;
            if (bracket >= 0 && int.TryParse(part[(bracket + 1)..^1], System.Globalization.CultureInfo.InvariantCulture, out var index)
                && node is YamlSequenceNode seq && index < seq.Children.Count)
            {
                node = seq.Children[index];
            }
        }

        return new ScenarioException(root.File, (int)node.Start.Line, (int)node.Start.Column, problem.Field, problem.Problem);
    }

    /// <summary>
    /// Warns (file, line) of a threshold the planned run cannot measure — a survival age longer than
    /// any stream can live (each round's length) — which would otherwise fail "nothing measured" at the end.
    /// </summary>
    private static void UnmeasurableThresholds(YamlFields root, Scenario scenario, TimeSpan round, List<string> warnings)
    {
        var nodes = root.Sequence("thresholds").ToList();
        for (var i = 0; i < Math.Min(nodes.Count, scenario.Thresholds.Count); i++)
        {
            var t = scenario.Thresholds[i];
            if (t.Kind == ThresholdKind.Survival && t.SurvivalAge > round)
            {
                warnings.Add($"{root.File}:{nodes[i].Node.Start.Line}: {nodes[i].Path}: '{t.Expression}' cannot be measured: no stream can live {Durations.Format(t.SurvivalAge)} " +
                    $"when each {(scenario.Rounds > 1 ? "round" : "target's run")} lasts {Durations.Format(round)}, so it would fail 'nothing measured' at the end; lengthen the hold or lower the age");
            }
        }
    }
}

/// <summary>What a scenario file is loaded for.</summary>
public enum ScenarioPurpose
{
    /// <summary>run, compare, validate: the profile is required.</summary>
    Run,

    /// <summary>probe-timeouts: the probe opens its own streams, so the profile may be left out.</summary>
    Probe,
}
