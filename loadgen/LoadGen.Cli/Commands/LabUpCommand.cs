using System.CommandLine;
using LoadGen.Lab;
using LoadGen.Results;
using LoadGen.Results.Analysis;

namespace LoadGen.Cli.Commands;

/// <summary>`loadgen lab up`: the lab in the foreground, for other clients (grpcurl, ghz, your own).</summary>
internal static class LabUpCommand
{
    public static Command Create(CliConsole console)
    {
        var topologies = new Option<string>("--topologies", "-t")
        {
            Description = $"Topologies to bring up, comma-separated ({string.Join(", ", LabTopologies.Names)}).",
            DefaultValueFactory = _ => string.Join(",", LabTopologies.Names),
            HelpName = "LIST",
        };
        var duration = new Option<string?>("--for")
        {
            Description = "Stop by itself after this long (e.g. 10m); default: until Ctrl-C or SIGTERM.",
            HelpName = "DURATION",
        };
        var lab = CommonOptions.LabParts();
        var cmd = new Command("up",
            "Bring lab topologies up in the foreground and print their endpoints and the CA to trust; Ctrl-C (or SIGTERM) stops\n" +
            "every part — NGINX and HAProxy child processes included — and removes their temporary folders.")
        {
            topologies, duration, lab,
        };
        cmd.SetAction(async (pr, ct) =>
        {
            var names = pr.GetValue(topologies)!.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
            if (names.FirstOrDefault(n => !LabTopologies.Names.Contains(n)) is { } bad || names.Length == 0)
            {
                console.Error($"error: --topologies '{pr.GetValue(topologies)}': known topologies are {string.Join(", ", LabTopologies.Names)}");
                return ExitCodes.BadInput;
            }

            TimeSpan? limit = null;
            if (pr.GetValue(duration) is { } text)
            {
                if (!LoadGen.Results.Durations.TryParse(text, out var d) || d <= TimeSpan.Zero)
                {
                    console.Error($"error: --for '{text}': expected {LoadGen.Results.Durations.Expected}");
                    return ExitCodes.BadInput;
                }

                limit = d;
            }

            CommandSupport.SweepLabLeftovers(console);
            await using var topologiesUp = new LabTopologies(new LabOptions { Esp = pr.GetValue(lab), Gateway = pr.GetValue(lab) });
            try
            {
                foreach (var name in names)
                {
                    var e = await topologiesUp.EnsureAsync(name, ct);
                    console.Line($"{name,-12} {e.Address}   {e.Components}");
                    foreach (var f in e.Fallbacks)
                    {
                        console.Error($"WARNING: {f}");
                    }
                }
            }
            catch (LabComponentMissingException e)
            {
                console.Error($"error: {e.Message}");
                return ExitCodes.RunFailed;
            }

            if (topologiesUp.CaFile is { } ca)
            {
                console.Line($"CA to trust  {ca}   (e.g. grpcurl -cacert {ca} …)");
            }

            if (topologiesUp.EspHealthAddress is { } health)
            {
                console.Line($"ESP health   {health}   (HTTP/1.1; the h2c port {topologiesUp.EspH2cAddress} cannot serve it)");
            }

            foreach (var pid in topologiesUp.ChildProcessIds)
            {
                console.Line($"child pid    {pid}");
            }

            console.Line(limit is { } l ? $"lab is up for {LoadGen.Results.Durations.Format(l)} (Ctrl-C stops it sooner)" : "lab is up; Ctrl-C stops it");
            await console.Out.FlushAsync(ct);
            try
            {
                await Task.Delay(limit ?? Timeout.InfiniteTimeSpan, ct);
            }
            catch (OperationCanceledException)
            {
            }

            console.Line("lab: stopping");
            return ExitCodes.Ok;
        });
        return cmd;
    }
}
