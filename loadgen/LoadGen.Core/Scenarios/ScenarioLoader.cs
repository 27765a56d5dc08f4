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

    /// <summary>What the lab service's ClientFrame adds to its payload (sequence number, field tags, lengths, first-message directives), rounded up.</summary>
    private const int LabFrameOverhead = 64;

    public static Scenario LoadFile(string path)
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

        return Load(text, path);
    }

    public static Scenario Load(string yaml, string file)
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
            Profile = Read(() => ReadProfile(root), new PopulationProfile()),
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
        if (scenario.Faults.Count > 0 && scenario.Targets.FirstOrDefault(t => t.Address.Scheme != "lab") is { } outside)
        {
            var node = root.Get("faults")!;
            throw new ScenarioException(file, (int)node.Start.Line, (int)node.Start.Column, "faults",
                $"faults on cue act on the lab's own parts, but target '{outside.Name}' ({outside.Address}) is not a lab:// topology");
        }

        if (scenario.Service is null && scenario.Workload is null
            && scenario.Targets.FirstOrDefault(t => scenario.Messages.PayloadBytes + LabFrameOverhead > t.MaxSendMessageBytes) is { } small)
        {
            // The lab service's frame is the payload plus a few bytes of sequence number and directives.
            var node = (root.Get("messages") is YamlMappingNode m && m.Children.TryGetValue(new YamlScalarNode("payloadBytes"), out var p) ? p : null) ?? root.Get("messages") ?? root.Node;
            throw new ScenarioException(file, (int)node.Start.Line, (int)node.Start.Column, "messages.payloadBytes",
                $"{scenario.Messages.PayloadBytes:#,0} bytes per message is over target '{small.Name}''s maxSendMessageSize ({small.MaxSendMessageBytes:#,0} bytes): the client would refuse every message (client-error:message-too-large)");
        }

        if (scenario.Profile.Duration <= TimeSpan.Zero)
        {
            var node = root.Get("profile")!;
            throw new ScenarioException(file, (int)node.Start.Line, (int)node.Start.Column, "profile",
                "the profile lasts 0s: every phase is over 0s, so no stream would live long enough to measure anything; give a ramp an 'over' or add a hold");
        }

        if (root.Get("lab") is { } labNode && scenario.Targets.All(t => t.Address.Scheme != "lab"))
        {
            throw new ScenarioException(file, (int)labNode.Start.Line, (int)labNode.Start.Column, "lab",
                $"these settings shape the lab's own NGINX, gateway and backend, but no target is a lab:// topology ({string.Join(", ", scenario.Targets.Select(t => t.Address))}): they would be ignored; remove the section or target lab://…");
        }

        if (scenario.Service is null && scenario.Workload is null && scenario.Targets.Where(t => t.Address.Scheme != "lab").ToList() is { Count: > 0 } own)
        {
            var node = root.Get("targets")!;
            warnings.Add($"{file}:{node.Start.Line}: targets: {string.Join(", ", own.Select(t => $"{t.Name} ({t.Address})"))} {(own.Count == 1 ? "is" : "are")} not lab:// and there is no service: section, " +
                "so every stream will call the lab's own loadgen.lab.v1.LabService/Chat — a server that is not LoadGen's lab backend answers Unimplemented; " +
                "name your method and message in service: (docs/own-service.md)");
        }

        var last = scenario.Faults.Count == 0 ? TimeSpan.Zero : scenario.Faults.Max(f => f.At);
        var round = scenario.Profile.SplitHold(scenario.Rounds).Duration;
        UnmeasurableThresholds(root, scenario, round, warnings);
        if (scenario.Faults.Count > 0 && last >= round)
        {
            var node = root.Get("faults")!;
            throw new ScenarioException(file, (int)node.Start.Line, (int)node.Start.Column, "faults",
                $"a fault at {Durations.Format(last)} would never fire: each {(scenario.Rounds > 1 ? "round" : "target's run")} lasts {Durations.Format(round)}");
        }
        return scenario;
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
