using System.Net;
using System.Net.Sockets;
using LoadGen.Results;
using LoadGen.Tests.Cli;
using LoadGen.Tests.Integration;

namespace LoadGen.Tests.Lab;

/// <summary>
/// A run's lab backend is its own process, so its work and GC are not the generator's send lag, and it reports how
/// long <c>directives.delay</c> really held replies — never less than asked — in summary.json and every report.
/// </summary>
[Collection(SerialLoad.Name)]
public class LabBackendProcessTests
{
    [Theory(Timeout = SerialLoad.TimeoutMs)]
    [InlineData(null)]
    [InlineData("in-process")]
    public async Task ARunsLabBackend_RunsWhereItSays_AndReportsTheHoldsItReallyHeld(string? where)
    {
        var scenario = await TempScenario.WriteAsync("held", """
            name: held
            targets:
              - name: backend
                address: lab://backend-h2c
            profile:
              phases:
                - ramp: 100
                  over: 1s
                - hold: 4s
            messages:
              interval: 200ms
              directives:
                delay: 5ms
            reportingInterval: 1s
            """);
        using var run = CliProcess.Start(new Dictionary<string, string?> { ["LOADGEN_LAB_BACKEND"] = where }, "run", "--scenario", scenario.File, "--out", scenario.OutDir);
        Assert.True(await run.WaitForExitAsync(TimeSpan.FromSeconds(90)), $"the run did not end\n{run.Out}\n{run.Err}");
        Assert.True(run.Process.ExitCode == 0, $"exit {run.Process.ExitCode}\n{run.Out}\n{run.Err}");

        var folder = RunFolder.Open(Assert.Single(Directory.GetDirectories(scenario.OutDir)));
        var summary = folder.ReadSummary();
        var t = Assert.Single(summary.Topologies);
        var lab = summary.LabBackend;
        Assert.NotNull(lab);
        Assert.Equal(where is null, lab.OwnProcess);
        Assert.Contains(where is null ? "Kestrel (its own process)" : "Kestrel (embedded)", run.Err, StringComparison.Ordinal);
        // The backend answered what the run counted, and held each of those replies.
        Assert.True(lab.MessagesReceived >= t.Messages.Received, $"backend {lab.MessagesReceived}, client {t.Messages.Received}");
        var held = lab.Held;
        Assert.NotNull(held);
        Assert.Equal(5, held.AskedMs);
        Assert.True(held.Count >= t.Messages.Received, $"{held.Count} holds for {t.Messages.Received} replies");
        // A hold never ends early: the timer is asked for less than the delay only to be finished by waiting out the rest.
        Assert.True(held.MinMs >= 5, $"shortest hold {held.MinMs} ms");
        Assert.True(held.P50Ms <= held.P99Ms && held.P99Ms <= held.MaxMs);
        // Every output says it: the console, summary.md, report.html.
        var said = lab.Describe();
        Assert.StartsWith(where is null ? "lab backend: its own process; directives.delay 5 ms held min" : "lab backend: inside LoadGen's process", said, StringComparison.Ordinal);
        Assert.Contains(said, run.Out, StringComparison.Ordinal);
        Assert.Contains(said, File.ReadAllText(Path.Combine(folder.Path, RunFolder.MarkdownFile)), StringComparison.Ordinal);
        Assert.Contains(System.Net.WebUtility.HtmlEncode(said), File.ReadAllText(Path.Combine(folder.Path, RunFolder.HtmlFile)), StringComparison.Ordinal);

        // Nothing is left listening once the run has ended.
        var info = System.Text.Json.JsonSerializer.Deserialize<RunInfo>(File.ReadAllText(folder.RunJson), RunSummary.JsonOptions)!;
        var port = new Uri(Assert.Single(info.Targets).ResolvedAddress!).Port;
        using var probe = new Socket(SocketType.Stream, ProtocolType.Tcp);
        await Assert.ThrowsAsync<SocketException>(async () => await probe.ConnectAsync(IPAddress.Loopback, port));
        TestTemp.Remove(scenario.Dir);
    }
}
