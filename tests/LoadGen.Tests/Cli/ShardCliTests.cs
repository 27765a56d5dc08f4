using LoadGen.Tests.Integration;

namespace LoadGen.Tests.Cli;

/// <summary>`run --shard` and `merge` mistakes, as a user (or a Job manifest) makes them: exit 2 and a line naming the flag or variable.</summary>
[Collection(SerialLoad.Name)]
public class ShardCliTests
{
    private const string Scenario = """
        name: shard-cli
        targets:
          - name: backend
            address: http://127.0.0.1:1
        profile:
          phases:
            - ramp: 3
              over: 1s
            - hold: 1s
        """;

    [Theory(Timeout = SerialLoad.TimeoutMs)]
    [InlineData(new[] { "--start-at", "2026-12-01T09:00" }, "--start-at '2026-12-01T09:00': expected an ISO 8601 time with its zone")]
    [InlineData(new[] { "--shard", "3/3", "--run-id", "r" }, "--shard '3/3': the index counts from 0")]
    [InlineData(new[] { "--shard", "0/4", "--run-id", "r" }, "the scenario's peak of 3 streams leaves this shard none; use at most 3 shards")]
    [InlineData(new[] { "--shard", "1/3" }, "shards of one run need a shared run id")]
    [InlineData(new[] { "--shard", "1/3", "--run-id", "../x" }, "--run-id '../x': expected at most 100 letters")]
    [InlineData(new[] { "--start-at", "2026-12-01 09:00" }, "--start-at '2026-12-01 09:00': expected an ISO 8601 time with its zone")]
    [InlineData(new[] { "--start-at", "2999-01-01T00:00:00Z" }, "at most 24 h ahead")]
    public async Task Run_ShardMistakes_ExitTwo_NamingTheFlag(string[] flags, string said)
    {
        var s = await TempScenario.WriteAsync("shard-cli", Scenario);

        var (code, _, err) = await CliRunner.RunAsync(["run", "--scenario", s.File, "--out", s.OutDir, .. flags]);

        Assert.True(code == 2, $"exit {code}: {err}");
        Assert.Contains(said, err, StringComparison.Ordinal);
        Assert.False(Directory.Exists(s.OutDir), "a run folder was made for a run that never started");
    }

    [Fact(Timeout = SerialLoad.TimeoutMs)]
    public async Task Run_InAnIndexedJobPod_WithoutTheShardCount_ExitsTwo_SayingWhichVariable()
    {
        var s = await TempScenario.WriteAsync("shard-cli", Scenario);
        using var p = CliProcess.Start(new Dictionary<string, string?> { ["JOB_COMPLETION_INDEX"] = "2", ["LOADGEN_SHARDS"] = null, ["LOADGEN_RUN_ID"] = "r" },
            "run", "--scenario", s.File, "--out", s.OutDir);

        Assert.True(await p.WaitForExitAsync(TimeSpan.FromSeconds(60)), p.Err);
        Assert.Equal(2, p.Process.ExitCode);
        Assert.Contains("$JOB_COMPLETION_INDEX is 2 (a Kubernetes Indexed Job's pod) but $LOADGEN_SHARDS is not set", p.Err, StringComparison.Ordinal);
    }

    [Fact(Timeout = SerialLoad.TimeoutMs)]
    public async Task Merge_OfFoldersThatAreNotShards_ExitsTwo_NamingEach_AndMakesNothing()
    {
        var empty = TestTemp.Folder("not-a-run");
        var outDir = TestTemp.Path("merged");

        var (code, _, err) = await CliRunner.RunAsync("merge", empty, "--out", outDir);

        Assert.Equal(2, code);
        Assert.Contains($"{empty}: neither a run folder", err, StringComparison.Ordinal);
        Assert.Contains("nothing was merged", err, StringComparison.Ordinal);
        Assert.False(Directory.Exists(outDir));
    }
}
