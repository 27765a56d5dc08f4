using System.CommandLine;
using LoadGen.Core.Scenarios;

namespace LoadGen.Cli.Commands;

internal static class DemoCommand
{
    public static Command Create(CliConsole console)
    {
        var run = new RunFlags();
        var streams = new Option<int>("--streams")
        {
            Description = "Streams each topology holds.",
            DefaultValueFactory = _ => 2000,
        };
        var duration = new Option<string>("--duration")
        {
            Description = "How long each topology holds its streams, in total over its four rounds (e.g. 40s, 5m).",
            DefaultValueFactory = _ => "40s",
        };
        var cmd = new Command("demo",
            "Stand up the lab (real NGINX and HAProxy when installed, embedded .NET proxies otherwise) and compare the seed's two paths:\n" +
            "direct-tls (client → ESP stand-in over TLS) and gateway (client → TLS-terminating gateway → ESP h2c), 2,000 streams each at\n" +
            "1 msg/s, in four interleaved rounds (paired: the strongest comparison one run makes); then print the comparison and the run folder. Same as:\n" +
            "  loadgen compare --topologies direct-tls,gateway --streams 2000 --duration 40s --rounds 4")
        {
            streams, duration,
        };
        run.AddTo(cmd);
        cmd.SetAction(async (pr, ct) =>
        {
            if (CompareCommand.Workload(console, pr.GetValue(streams), pr.GetValue(duration)) is not { } w)
            {
                return ExitCodes.BadInput;
            }

            TargetOptions[] targets =
            [
                new() { Name = "direct-tls", Address = new Uri("lab://direct-tls") },
                new() { Name = "gateway", Address = new Uri("lab://gateway") },
            ];
            // Four rounds: paired rounds (three at least) decide a difference by its interval against zero; two rounds fall back
            // to batches, which must clear the margin — gateway +0.44 ms [-0.18, +1.05] at p50 could not (2 rounds), while four
            // rounds of the same 40 s found p50 equivalent (bench note of 2026-12-08).
            return await RunCommand.ExecuteAsync(console, BuiltinScenarios.Compare(targets, w.Streams, w.Hold, rounds: 4, name: "demo"), run.Read(pr), ct);
        });
        return cmd;
    }
}
