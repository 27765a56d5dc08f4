using LoadGen.Lab;
using LoadGen.Lab.Backend;
using LoadGen.Reports;
using LoadGen.Results;

namespace LoadGen.Tests.Cli;

/// <summary>SIGTERM and Ctrl-C on a real `loadgen run` process, sent by PID.</summary>
[Collection(LoadGen.Tests.Integration.SerialLoad.Name)]
public class SignalTests
{
    private const int SigInt = 2;
    private const int SigTerm = 15;

    private static Task<TempScenario> ScenarioAsync(string address, int streams) =>
        TempScenario.WriteAsync("signals", $"""
            name: signals
            targets:
              - name: target
                address: {address}
            profile:
              phases:
                - ramp: {streams}
                  over: 1s
                - hold: 120s
            messages:
              interval: 100ms
            interval: 1s
            closeTimeout: 10s
            """);

    /// <summary>
    /// SIGINT, unless the process was started with SIGINT ignored (a test run started in the background
    /// by a shell without job control passes that on, and the .NET runtime then leaves SIGINT alone, as
    /// nohup and `cmd &` expect); then SIGTERM, which takes the same path in LoadGen.
    /// </summary>
    private static int CtrlC(int pid)
    {
        var ignored = File.ReadLines($"/proc/{pid}/status").First(l => l.StartsWith("SigIgn:", StringComparison.Ordinal))["SigIgn:".Length..].Trim();
        return (Convert.ToUInt64(ignored, 16) & (1UL << (SigInt - 1))) != 0 ? SigTerm : SigInt;
    }

    [Fact]
    public async Task Sigterm_ClosesOpenStreamsGracefully_WritesTheFinalReport_Exits130()
    {
        var scenario = await ScenarioAsync("lab://backend-h2c", 50);
        using var p = CliProcess.Start("run", "--scenario", scenario.File, "--out", scenario.OutDir, "--quiet");
        var dir = await p.WaitForIntervalsAsync(scenario.OutDir, 3, TimeSpan.FromSeconds(60));

        Assert.True(ProcessSignals.Send(p.Pid, SigTerm));

        Assert.True(await p.WaitForExitAsync(TimeSpan.FromSeconds(30)), "a SIGTERM'd run stops within its close bound");
        Assert.True(p.Process.ExitCode == 130, $"exit {p.Process.ExitCode}\n{p.Out}\n{p.Err}");
        Assert.Contains("SIGTERM: stopping gracefully", p.Err, StringComparison.Ordinal);
        var summary = RunFolder.Open(dir).ReadSummary();
        Assert.Equal("interrupted", summary.Completion.Value);
        var t = Assert.Single(summary.Topologies);
        // Stopped opening, closed what was open: every stream ended as the client's own close.
        Assert.Equal(t.Streams.Opened, t.Outcomes.GetValueOrDefault("client-closed"));
        Assert.Equal(50, t.Streams.PeakActive);
        Assert.True(t.DurationS < 60, $"ran {t.DurationS} s of a 121 s plan");
        Assert.False(File.Exists(Path.Combine(dir, RunFolder.PartialSummaryFile)), "the final summary replaces the rolling one");
        Assert.True(File.Exists(Path.Combine(dir, ReportWriter.Html)));
        Assert.Contains(ReportWriter.Markdown, p.Out, StringComparison.Ordinal);
        JunitAssert.NotCompleted(dir, "interrupted");
    }

    [Fact]
    public async Task SecondCtrlC_ExitsAtOnce_AndTheFolderIsStillReportable()
    {
        await using var backend = await LabBackend.StartAsync(new LabBackendOptions());
        var scenario = await ScenarioAsync(backend.GrpcAddress.ToString(), 20);
        using var p = CliProcess.Start("run", "--scenario", scenario.File, "--out", scenario.OutDir, "--quiet");
        var dir = await p.WaitForIntervalsAsync(scenario.OutDir, 3, TimeSpan.FromSeconds(60));

        // A backend that answers nothing for a minute: a graceful close would wait out its 10 s bound.
        backend.Control.Pause(TimeSpan.FromSeconds(60));
        await Task.Delay(500);
        var ctrlC = CtrlC(p.Pid);
        Assert.True(ProcessSignals.Send(p.Pid, ctrlC));
        Assert.False(await p.WaitForExitAsync(TimeSpan.FromSeconds(2), stretch: false), "the first Ctrl-C waits for streams to close");
        Assert.Contains("stopping gracefully", p.Err, StringComparison.Ordinal);
        Assert.True(ProcessSignals.Send(p.Pid, ctrlC));

        Assert.True(await p.WaitForExitAsync(TimeSpan.FromSeconds(3), stretch: false), "the second Ctrl-C exits at once");
        Assert.Equal(130, p.Process.ExitCode);
        Assert.False(File.Exists(Path.Combine(dir, RunFolder.SummaryFile)));

        var (code, stdout, err) = await CliRunner.RunAsync("report", dir);
        Assert.True(code == 0, $"exit {code}\n{stdout}\n{err}");
        var run = RunData.Load(dir);
        Assert.Equal("partial", run.Summary.Completion.Value);
        Assert.Equal(20, Assert.Single(run.Summary.Topologies).Streams.PeakActive);
        JunitAssert.NotCompleted(dir, "partial");
    }
}
