using System.CommandLine;
using System.Globalization;
using Grpc.Net.Client;
using LoadGen.Core.Connections;
using LoadGen.Core.Engine;
using LoadGen.Core.Scenarios;
using LoadGen.Results;

namespace LoadGen.Cli.Commands;

internal static class ProbeCommand
{
    public static Command Create(CliConsole console)
    {
        var scenario = CommonOptions.Scenario();
        var output = CommonOptions.Out();
        var target = new Option<string?>("--target", "-t") { Description = "Probe only this target of the scenario (default: each in turn)." };
        var cmd = new Command("probe-timeouts",
            "Find the idle cut-offs a path imposes on a stream: per direction (client-quiet, server-quiet, both-quiet), " +
            "the longest quiet interval that survives, by a bounded search within the scenario's 'probe' bounds and budget. " +
            "The targets must serve the lab service. Writes probe.json into a run folder.")
        {
            scenario, target, output,
        };
        cmd.SetAction(async (pr, ct) =>
        {
            if (CommandSupport.LoadScenario(console, pr.GetValue(scenario)!, ScenarioPurpose.Probe) is not { } s)
            {
                return ExitCodes.BadInput;
            }

            if (pr.GetValue(target) is { } only)
            {
                if (s.Targets.All(t => t.Name != only))
                {
                    console.Error($"error: --target {only}: the scenario has no such target (it has: {string.Join(", ", s.Targets.Select(t => t.Name))})");
                    return ExitCodes.BadInput;
                }

                s = s with { Targets = s.Targets.Where(t => t.Name == only).ToList() };
            }

            return await ExecuteAsync(console, s, pr.GetValue(output)!, ct);
        });
        return cmd;
    }

    private static async Task<int> ExecuteAsync(CliConsole console, Scenario scenario, string outDir, CancellationToken ct)
    {
        if (scenario.Service is not null)
        {
            console.Error($"error: {scenario.Source}: probe-timeouts streams to the lab service (it asks the backend to go quiet on cue), not to service: {scenario.Service.Method}. " +
                "Put `loadgen lab backend` behind the path you want to probe and drop the service: section for the probe.");
            return ExitCodes.BadInput;
        }

        await using var lab = new LabTargets();
        var (resolved, exitCode) = await CommandSupport.ResolveLabAsync(console, lab, scenario, ct);
        if (resolved is null)
        {
            return exitCode;
        }

        if (!CommandSupport.Preflight(console, resolved))
        {
            return ExitCodes.BadInput;
        }

        var folder = RunFolder.Create(outDir, scenario.Name, DateTimeOffset.UtcNow);
        var p = scenario.Probe;
        console.Error($"probe {folder.RunId}: quiet intervals {Durations.Format(p.Min)}..{Durations.Format(p.Max)}, resolution {Durations.Format(p.Resolution)}, budget {Durations.Format(p.Budget)} per target");
        var report = new List<ProbeTargetReport>();
        foreach (var t in resolved.Targets)
        {
            var probe = new TimeoutProbe(() => TargetChannelFactory.Create(t))
            {
                Log = line => console.Error($"[{t.Name}] {line}"),
                Headers = MetadataSource.Create(t, TimeProvider.System),
            };
            IReadOnlyList<ProbeResult> results;
            try
            {
                results = await probe.RunAsync(p, ct);
            }
            catch (OperationCanceledException)
            {
                console.Error("interrupted");
                folder.WriteJson(ProbeTargetReport.FileName, report);
                return ExitCodes.Interrupted;
            }

            var labPart = lab.RunTargets.FirstOrDefault(r => r.Name == t.Name && r.Components is not null);
            report.Add(new ProbeTargetReport(t.Name, t.Address.ToString(), results)
            {
                Components = labPart?.Components,
                Lab = labPart is null ? null : new Dictionary<string, string>(StringComparer.Ordinal)
                {
                    ["esp"] = scenario.Lab.Esp.IsEmpty ? "defaults" : scenario.Lab.Esp.Describe(),
                    ["gateway"] = scenario.Lab.Gateway.IsEmpty ? "defaults" : scenario.Lab.Gateway.Describe(),
                    ["backend"] = scenario.Lab.Backend.IsEmpty ? "defaults" : scenario.Lab.Backend.Describe(),
                },
            });
            console.Line($"{t.Name}:");
            foreach (var r in results)
            {
                var cutoff = r.CutoffS is { } c ? string.Create(CultureInfo.InvariantCulture, $"{c:0.0} s (±{(r.ShortestFailedS - r.LongestSurvivedS) / 2:0.0})") : "none found";
                console.Line($"  {r.Direction,-13} cut-off {cutoff,-18} {r.Verdict} [{r.Probes} probes]");
            }
        }

        folder.WriteJson(ProbeTargetReport.FileName, report);
        console.Line($"run folder: {folder.Path}");
        return ExitCodes.Ok;
    }
}
