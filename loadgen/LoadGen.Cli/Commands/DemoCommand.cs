using System.CommandLine;
using LoadGen.Core.Scenarios;

namespace LoadGen.Cli.Commands;

internal static class DemoCommand
{
    public static Command Create(CliConsole console)
    {
        var output = CommonOptions.Out();
        var quiet = CommonOptions.Quiet();
        var streams = new Option<int>("--streams")
        {
            Description = "Streams to hold.",
            DefaultValueFactory = _ => 2000,
        };
        var duration = new Option<string>("--duration")
        {
            Description = "Whole run: ramp up, hold, ramp down (e.g. 60s, 5m).",
            DefaultValueFactory = _ => "60s",
        };
        var cmd = new Command("demo", "Start the embedded lab backend in this process and hold 2,000 bidi streams against it for about a minute (1 msg/s each), then print a summary and the run folder.")
        {
            output, quiet, streams, duration,
        };
        cmd.SetAction(async (pr, ct) =>
        {
            var n = pr.GetValue(streams);
            if (n is < 1 or > 1_000_000)
            {
                console.Error($"error: --streams {n}: must be between 1 and 1,000,000");
                return ExitCodes.BadInput;
            }

            if (!Durations.TryParse(pr.GetValue(duration), out var d) || d < TimeSpan.FromSeconds(3))
            {
                console.Error($"error: --duration '{pr.GetValue(duration)}': expected {Durations.Expected}, at least 3s");
                return ExitCodes.BadInput;
            }

            return await RunCommand.ExecuteAsync(console, BuiltinScenarios.Demo(n, d), pr.GetValue(output)!, pr.GetValue(quiet), ct);
        });
        return cmd;
    }
}
