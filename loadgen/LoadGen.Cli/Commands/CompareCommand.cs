using System.CommandLine;
using LoadGen.Core.Scenarios;
using LoadGen.Results;
using LoadGen.Results.Analysis;

namespace LoadGen.Cli.Commands;

internal static class CompareCommand
{
    public const int DefaultRounds = 8;

    public static Command Create(CliConsole console)
    {
        var topologies = new Option<string>("--topologies", "-t")
        {
            Description = "Comma-separated targets to compare, first = baseline: lab topologies by name (" +
                string.Join(", ", LabTargets.Known) + ") or NAME=URL (e.g. prod=https://gw.example:443). Default: direct-tls,gateway.",
            HelpName = "LIST",
        };
        var scenario = new Option<FileInfo>("--scenario", "-s")
        {
            Description = "Scenario file for the workload (its targets are replaced by --topologies when given). Default: the built-in workload below.",
            HelpName = "FILE",
        };
        var rounds = new Option<int?>("--rounds", "-r")
        {
            Description = $"Interleaved rounds per topology (A, B, B, A, A, B …: the order reversed every other round), so drift on a shared machine and going first hit all alike. Default: the scenario's, else {DefaultRounds}.",
            HelpName = "N",
        };
        var streams = new Option<int>("--streams")
        {
            Description = "Built-in workload: streams each topology holds (1 msg/s each).",
            DefaultValueFactory = _ => 2000,
        };
        var hold = new Option<string>("--duration")
        {
            Description = "Built-in workload: how long each topology holds its streams, in total over its rounds (ramps come on top).",
            DefaultValueFactory = _ => "60s",
        };
        var run = new RunFlags();
        var connection = new ConnectionFlags();
        var judging = new ComparisonFlags();
        var cmd = new Command("compare",
            "Run one workload against several topologies in interleaved rounds and write one run folder with all of them in summary.json.\n" +
            "Example: loadgen compare --topologies direct-tls,gateway --streams 2000 --duration 60s")
        {
            topologies, scenario, rounds, streams, hold,
        };
        run.AddTo(cmd);
        foreach (var o in connection.All.Concat(judging.All))
        {
            cmd.Options.Add(o);
        }

        cmd.SetAction(async (pr, ct) =>
        {
            var targets = ParseTopologies(console, pr.GetValue(topologies) ?? (pr.GetValue(scenario) is null ? "direct-tls,gateway" : null));
            if (targets is { Count: 0 })
            {
                return ExitCodes.BadInput;
            }

            Scenario s;
            if (pr.GetValue(scenario) is { } file)
            {
                if (CommandSupport.LoadScenario(console, file) is not { } loaded)
                {
                    return ExitCodes.BadInput;
                }

                s = loaded with
                {
                    Targets = targets ?? loaded.Targets,
                    Rounds = pr.GetValue(rounds) ?? (loaded.Rounds > 1 ? loaded.Rounds : DefaultRounds),
                    WarmUp = loaded.WarmUp > TimeSpan.Zero ? loaded.WarmUp : BuiltinScenarios.CompareWarmUp,
                };
            }
            else
            {
                if (Workload(console, pr.GetValue(streams), pr.GetValue(hold)) is not { } w)
                {
                    return ExitCodes.BadInput;
                }

                s = BuiltinScenarios.Compare(targets!, w.Streams, w.Hold, pr.GetValue(rounds) ?? DefaultRounds);
            }

            if (s.Targets.Count < 2)
            {
                console.Error($"error: compare needs at least two topologies; got {string.Join(", ", s.Targets.Select(t => t.Name))}");
                return ExitCodes.BadInput;
            }

            if (s.Rounds is < 1 or > 1000)
            {
                console.Error($"error: --rounds {s.Rounds}: must be between 1 and 1000");
                return ExitCodes.BadInput;
            }

            if (judging.Apply(pr, s.Comparison, console) is not { } comparison)
            {
                return ExitCodes.BadInput;
            }

            return connection.Apply(pr, s with { Comparison = comparison }, console) is { } withFlags
                ? await RunCommand.ExecuteAsync(console, withFlags, run.Read(pr), ct)
                : ExitCodes.BadInput;
        });
        return cmd;
    }

    /// <summary>Checks the built-in workload's numbers; null (after an error line) when one is out of range.</summary>
    public static (int Streams, TimeSpan Hold)? Workload(CliConsole console, int streams, string? hold)
    {
        if (streams is < 1 or > 1_000_000)
        {
            console.Error($"error: --streams {streams}: must be between 1 and 1,000,000");
            return null;
        }

        if (!Durations.TryParse(hold, out var d) || d < TimeSpan.FromSeconds(2))
        {
            console.Error($"error: --duration '{hold}': expected {Durations.Expected}, at least 2s");
            return null;
        }

        return (streams, d);
    }

    /// <summary>"direct-tls,gateway" or "old=https://a:443,new=https://b:443" → targets; null for none given; empty after an error.</summary>
    public static List<TargetOptions>? ParseTopologies(CliConsole console, string? list)
    {
        if (list is null)
        {
            return null;
        }

        var targets = new List<TargetOptions>();
        foreach (var raw in list.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            var eq = raw.IndexOf('=', StringComparison.Ordinal);
            var name = eq > 0 ? raw[..eq] : raw;
            var address = eq > 0 ? raw[(eq + 1)..] : $"lab://{raw}";
            // The same rules as a scenario file's targets: section.
            if (TargetRules.NameProblem(name) is { } badName)
            {
                console.Error($"error: --topologies '{raw}': {badName}");
                return [];
            }

            if (TargetRules.AddressProblem(address, out var parsed) is not null)
            {
                // A URL with a password or a token in it is refused without echoing it.
                console.Error(Uri.TryCreate(address, UriKind.Absolute, out var asked) && TargetRules.UrlProblem(asked) is { } inUrl
                    ? $"error: --topologies '{name}': {inUrl}"
                    : $"error: --topologies '{name}={TargetRules.Shown(address)}': expected a lab topology ({string.Join(", ", LabTargets.Known)}) or NAME=URL with http:// or https://");
                return [];
            }

            var uri = parsed!;

            if (uri.Scheme == "lab" && !LabTargets.Known.Contains(uri.Host))
            {
                console.Error($"error: --topologies '{raw}': not a lab topology (known: {string.Join(", ", LabTargets.Known)}); for your own endpoint write NAME=URL");
                return [];
            }

            if (targets.Any(t => t.Name == name))
            {
                console.Error($"error: --topologies: '{name}' is listed twice");
                return [];
            }

            targets.Add(new TargetOptions { Name = name, Address = uri });
        }

        return targets;
    }
}
