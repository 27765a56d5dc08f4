using LoadGen.Results;
using LoadGen.Tests.Integration;

namespace LoadGen.Tests.Cli;

/// <summary>loadgen.log: the run's events with stable ids in the run folder, at the level asked, never on the console.</summary>
[Collection(SerialLoad.Name)]
public class RunLogTests
{
    private const string Scenario = """
        name: logged
        targets:
          - name: gateway
            address: lab://gateway
        profile:
          phases:
            - ramp: 10
              over: 500ms
            - hold: 3s
        messages:
          interval: 200ms
          first:
            cutoff:
              when: age
              after: 1s
              status: ResourceExhausted
        interval: 1s
        thresholds:
          - unanswered off   # the cut at 1 s may catch a message in flight: lost on purpose here, not this test's question
        """;

    [Theory(Timeout = SerialLoad.TimeoutMs)]
    [InlineData("trace", true)]
    [InlineData("debug", true)]
    [InlineData("information", false)]
    public async Task Run_WritesLoadgenLog_InTheRunFolder_AtTheLevelAsked(string level, bool perStream)
    {
        var s = await TempScenario.WriteAsync("logged", Scenario);

        var (code, stdout, err) = await CliRunner.RunAsync("run", "--scenario", s.File, "--out", s.OutDir, "--lab", "embedded", "--quiet", "--log-level", level);

        Assert.True(code == 0, $"exit {code}\n{stdout}\n{err}");
        var log = await File.ReadAllTextAsync(Path.Combine(s.RunFolder, "loadgen.log"));
        var folder = RunFolder.Open(s.RunFolder);
        // The lab came up before the folder existed: its lines were held and written first.
        Assert.Contains("[2001 EmbeddedStarted] LoadGen.Lab.LabTopologies: ESP stand-in up", log, StringComparison.Ordinal);
        Assert.Contains($"[1000 RunStarted] LoadGen.Core.Engine.LoadEngine: run {folder.RunId}", log, StringComparison.Ordinal);
        Assert.Contains("[1010 RoundStarted] LoadGen.Core.Engine.RoundRunner: gateway: round 1 started", log, StringComparison.Ordinal);
        Assert.Contains("[1001 RunEnded] LoadGen.Core.Engine.LoadEngine: run " + folder.RunId + " ended: completed", log, StringComparison.Ordinal);
        Assert.True(log.IndexOf("[2001 ", StringComparison.Ordinal) < log.IndexOf("[1000 ", StringComparison.Ordinal), "lab lines come first");
        Assert.Equal(perStream, log.Contains("[1030 StreamLost] LoadGen.Core.Engine.LoadStream: gateway: stream", StringComparison.Ordinal));
        // The exception the cause was decided from, as an exception (type, message, stack), not a string of type names.
        Assert.Equal(perStream, log.Contains("Grpc.Core.RpcException: Status(StatusCode=\"ResourceExhausted\"", StringComparison.Ordinal));
        Assert.Equal(level == "trace", log.Contains("[1032 StreamOpened] LoadGen.Core.Engine.LoadStream: gateway: stream", StringComparison.Ordinal));
        Assert.Equal(perStream, log.Contains("as server-status:ResourceExhausted", StringComparison.Ordinal));
        Assert.Equal(perStream, log.Contains("[1020 ConnectionOpened]", StringComparison.Ordinal));
        // The console keeps its own lines; the log's never reach it.
        Assert.DoesNotContain("RunStarted", stdout + err, StringComparison.Ordinal);
        TestTemp.Remove(s.Dir);
    }
}
