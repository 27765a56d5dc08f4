using System.CommandLine;
using LoadGen.Core.Inputs;
using LoadGen.Core.Scenarios;
using LoadGen.Results;
using LoadGen.Results.Analysis;

namespace LoadGen.Cli.Commands;

internal static class ValidateCommand
{
    public static Command Create(CliConsole console)
    {
        var scenario = CommonOptions.Scenario();
        var explain = new Option<bool>("--explain")
        {
            Description = "Also print the scenario as it will run, every default filled in, in the file's own keys (metadata as templates, never values).",
        };
        var cmd = new Command("validate", "Check a scenario file without running it: prints what it would do, or where it is wrong.")
        {
            scenario,
            explain,
        };
        cmd.SetAction(pr =>
        {
            try
            {
                var s = ScenarioLoader.LoadFile(pr.GetValue(scenario)!.FullName);
                // Certificates, keys and CA bundles are read now, as a run would: an empty CA bundle is bad input, not a target's fault.
                foreach (var t in s.Targets.Where(t => t.Address.Scheme == Uri.UriSchemeHttps || t.ClientCertFile is not null || t.CaFile is not null))
                {
                    try
                    {
                        _ = LoadGen.Core.Connections.TlsTrust.For(t);
                    }
                    catch (LoadGen.Core.Inputs.InputException e)
                    {
                        console.Error($"error: {s.Source}: {e.Message}");
                        return ExitCodes.BadInput;
                    }
                }

                foreach (var warning in s.LoadWarnings)
                {
                    console.Error($"WARNING: {warning}");
                }

                console.Line($"{s.Source}: ok — scenario '{s.Name}', {s.Targets.Count} target(s) ({string.Join(", ", s.Targets.Select(t => $"{t.Name} {t.Address}"))}), " +
                    $"peak {s.Profile.Peak:#,0} streams over {Durations.Format(s.Profile.Duration)}, one message every {Durations.Format(s.Messages.Interval)} ({s.Messages.Schedule.ToString().ToLowerInvariant()}) per stream" +
                    (s.Rounds > 1 ? $", {s.Rounds} interleaved rounds of {Durations.Format(s.Profile.SplitHold(s.Rounds).Duration)}" : "") +
                    (s.WarmUp > TimeSpan.Zero ? $", a {Durations.Format(s.WarmUp)} warm-up per target first" : "") +
                    (s.Faults.Count > 0 ? $", faults on cue: {string.Join("; ", s.Faults.Select(f => $"{Durations.Format(f.At)} {f.Describe()}"))}" : "") +
                    (s.Workload is { } w ? $"; streams call {w.Describe()}" : s.Service is { Reflect: true } r ? $"; streams call {r.Method}, its descriptors taken from the server's reflection at start (not checked now)" : "") +
                    ($"; thresholds: {string.Join(", ", LoadGen.Results.Analysis.Thresholds.WithDefaults(s.Thresholds).Select(t => t.AbortOnFail ? $"{t.Expression} (checked every interval from {Durations.Format(t.StartCheckAfter)}, aborts the run)" : t.Expression))}"));
                if (pr.GetValue(explain))
                {
                    console.Line($"# {s.Source} as it will run, every default filled in:");
                    foreach (var line in ScenarioExplainer.Explain(s).Split('\n', StringSplitOptions.RemoveEmptyEntries))
                    {
                        console.Line(line);
                    }
                }

                return ExitCodes.Ok;
            }
            catch (ScenarioException e)
            {
                console.Error($"error: {e.Message}");
                return ExitCodes.BadInput;
            }
        });
        return cmd;
    }
}
