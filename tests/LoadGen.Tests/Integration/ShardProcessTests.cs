using System.Globalization;
using LoadGen.Lab.Backend;
using LoadGen.Results;
using LoadGen.Tests.Cli;

namespace LoadGen.Tests.Integration;

/// <summary>
/// The distributed path as a cluster runs it, with processes for pods: one scenario run whole twice, then as three
/// shard processes (`run --shard i/3`, one shared start time) merged with `loadgen merge`.
/// </summary>
[Collection(SerialLoad.Name)]
public class ShardProcessTests
{
    private const int Streams = 90;

    [Fact(Timeout = SerialLoad.TimeoutMs)]
    public async Task ThreeShardProcesses_Merged_MatchAnUnshardedRun_WithinTheSpreadOfTwoUnshardedRuns()
    {
        // The backend as its own process, as in a cluster: in the test host its thread pool is shared with the tests of
        // other collections running meanwhile, and a loaded CI run saw it stall ~0.5 s while the three shards ran (p99
        // ~505 ms in each, their senders on time: send lag p99 under 20 ms) and never while the unsharded runs did.
        using var backend = CliProcess.Start("lab", "backend", "--grpc-port", "0", "--health-port", "0");
        var address = await BackendAddressAsync(backend);
        var scenario = (await TempScenario.WriteAsync("shards", $"""
            name: shards
            targets:
              - name: backend
                address: {address}
            profile:
              phases:
                - ramp: {Streams}
                  over: 2s
                - hold: 6s
                - ramp: 0
                  over: 1s
            messages:
              interval: 100ms
            reportingInterval: 1s
            """)).File;

        // No warm-up: with --warmup 2s and --start-at each shard's first half-second stalled (p99 ~500 ms, 3% fewer
        // messages on an idle machine) — not understood yet; the start-up stays in every run's tail alike instead.
        var whole1 = await RunAsync("run", "--scenario", scenario, "--quiet", "--out", TestTemp.Folder("whole"));
        var whole2 = await RunAsync("run", "--scenario", scenario, "--quiet", "--out", TestTemp.Folder("whole"));
        var shardsDir = TestTemp.Folder("shards");
        var startAt = DateTimeOffset.UtcNow.AddSeconds(8).ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture);
        var shards = Enumerable.Range(0, 3)
            .Select(i => CliProcess.Start("run", "--scenario", scenario, "--quiet", "--out", shardsDir, "--shard", $"{i}/3", "--start-at", startAt, "--run-id", "soak-1"))
            .ToList();
        try
        {
            foreach (var s in shards)
            {
                Assert.True(await s.WaitForExitAsync(TimeSpan.FromSeconds(90)), $"a shard did not end\n{s.Out}\n{s.Err}");
                Assert.True(s.Process.ExitCode == 0, $"shard exit {s.Process.ExitCode}\n{s.Out}\n{s.Err}");
            }
        }
        finally
        {
            shards.ForEach(s => s.Dispose());
        }

        var merged = await RunAsync("merge", shardsDir, "--out", TestTemp.Folder("merged"));
        var shardInfos = Directory.GetDirectories(shardsDir).Select(d => RunData(d).Info!).ToList();

        // Every shard started its phases at the shared time, to the tick.
        Assert.All(shardInfos, i => Assert.True(i.Shard!.StartLateS < 1, $"shard {i.Shard.Index} started {i.Shard.StartLateS} s late"));
        Assert.Equal([0, 1, 2], shardInfos.Select(i => i.Shard!.Index).Order());
        var (a, b, m) = (whole1.Summary.Topologies.Single(), whole2.Summary.Topologies.Single(), merged.Summary.Topologies.Single());
        Assert.Equal("soak-1", merged.Folder.RunId);

        // Streams: exact — the slices add up to the whole.
        Assert.Equal((Streams, Streams), (a.Streams.Opened, b.Streams.Opened));
        Assert.Equal(Streams, m.Streams.Opened);
        Assert.Equal(Streams, m.Streams.Ended);
        Assert.Equal(a.Outcomes, m.Outcomes);

        // Messages and latency: within what two unsharded runs differ by. A spread of 0 between two runs is luck, not a
        // tolerance: the floor is 1% of messages, 1 ms at p50 and, at p99, the mean itself — three processes share the two
        // cores where one ran (on a loaded CI machine the merged p99 read 59 ms against 16 and 22). That the merged
        // percentiles are exactly those of all the shards' measurements is pinned in ShardMergeTests.
        var perShard = string.Join(", ", Directory.GetDirectories(shardsDir).Order(StringComparer.Ordinal).Select(d => RunData(d).Summary.Topologies.Single()).Select(t => $"{t.Messages.Sent} sent, p50 {t.LatencyMs.P50} ms, p99 {t.LatencyMs.P99} ms"));
        // The load per stream: messages sent per second of stream life, within the unsharded runs' spread (at least 1%).
        // The total depends also on how soon the streams opened: three cold processes starting their streams at one
        // instant on two cores beside a CPU burner opened late enough to send 3% fewer (a loaded CI run: 6,572 against
        // 6,840 and 6,735), at the same rate per stream-second; their stream-seconds are held to 5%, the rest to 1%.
        var (ra, rb, rm) = (Rate(whole1), Rate(whole2), Rate(merged));
        Within("messages sent per stream-second", ra.PerS, rb.PerS, rm.PerS, 0.01 * ra.PerS, perShard);
        Within("stream-seconds", ra.StreamS, rb.StreamS, rm.StreamS, 0.05 * ra.StreamS, perShard);
        Within("messages sent", a.Messages.Sent, b.Messages.Sent, m.Messages.Sent, 0.05 * a.Messages.Sent, perShard);
        Assert.Equal(0, m.Messages.Unanswered);
        // p50 within the unsharded runs' spread when every run was clean (no generator saturated, the machine not
        // over-committed): a loaded clean-clone run read 2.58 ms merged against 1.61 and 1.14 with the load average at
        // 7.7 on 2 cores — the machine, not the merge, whose exactness ShardMergeTests pins.
        if (MachineLoad.Clean([whole1.Summary, whole2.Summary, merged.Summary, .. Directory.GetDirectories(shardsDir).Select(d => RunData(d).Summary)]))
        {
            Within("p50 ms", a.LatencyMs.P50!.Value, b.LatencyMs.P50!.Value, m.LatencyMs.P50!.Value, 1.0, perShard);
        }
        // p99 is not compared with the unsharded runs: three processes sharing two cores (beside a CPU burner, in a loaded
        // CI run) answered with a p99 twice the one process's — 10.3 against 4.9 and 4.7 ms, every generator under its
        // send-lag limit — which is the machine, not the merge. What the merge owes at p99: a percentile of the union of
        // the shards' measurements lies between the shards' own (a mixture's quantile is bounded by its parts'); that it
        // is exactly the union's is pinned in ShardMergeTests.
        var shardP99 = Directory.GetDirectories(shardsDir).Select(d => RunData(d).Summary.Topologies.Single().LatencyMs.P99!.Value).ToList();
        var mergedP99 = m.LatencyMs.P99!.Value;
        Assert.True(mergedP99 >= (shardP99.Min() * 0.99) - 0.01 && mergedP99 <= (shardP99.Max() * 1.01) + 0.01,
            string.Create(CultureInfo.InvariantCulture, $"merged p99 {mergedP99} ms is outside its shards' ({string.Join(", ", shardP99)} ms)"));
    }

    /// <summary>
    /// The start barrier as a Job's pods use it, with processes for pods sharing the runs folder: two shards come up,
    /// the third 20 s later (an image pull, a node scale-up); all three start their phases at one instant and merge.
    /// </summary>
    [Fact(Timeout = SerialLoad.TimeoutMs)]
    public async Task WaitForShards_OneShardTwentySecondsLate_AllThreeStartTogether_AndMerge()
    {
        using var backend = CliProcess.Start("lab", "backend", "--grpc-port", "0", "--health-port", "0");
        var scenario = await ShortScenarioAsync(await BackendAddressAsync(backend));
        var shardsDir = TestTemp.Folder("barrier");
        string[] Args(int i) => ["run", "--scenario", scenario, "--quiet", "--out", shardsDir, "--shard", $"{i}/3", "--run-id", "soak-b", "--wait-for-shards", "2m", "--no-gate"];
        var launched = DateTimeOffset.UtcNow;
        var shards = new List<CliProcess> { CliProcess.Start(Args(0)), CliProcess.Start(Args(1)) };
        try
        {
            await Task.Delay(TimeSpan.FromSeconds(20));
            Assert.All(shards, s => Assert.False(s.Process.HasExited, $"a shard ended before the late one came\n{s.Out}\n{s.Err}"));
            // Nothing was measured while they waited: no run folder yet.
            Assert.DoesNotContain(Directory.GetDirectories(shardsDir), d => File.Exists(Path.Combine(d, RunFolder.RunFile)));
            shards.Add(CliProcess.Start(Args(2)));
            foreach (var s in shards)
            {
                Assert.True(await s.WaitForExitAsync(TimeSpan.FromSeconds(120)), $"a shard did not end\n{s.Out}\n{s.Err}");
                // The scenario's threshold cannot pass; with --no-gate a shard says so and leaves the verdict to the merge.
                Assert.True(s.Process.ExitCode == 0, $"shard exit {s.Process.ExitCode}\n{s.Out}\n{s.Err}");
                Assert.Contains("threshold FAIL: p50 < 0.001ms", s.Out, StringComparison.Ordinal);
                Assert.Contains("--no-gate: exit 0", s.Err, StringComparison.Ordinal);
            }
        }
        finally
        {
            shards.ForEach(s => s.Dispose());
        }

        var infos = Directory.GetDirectories(shardsDir).Where(d => File.Exists(Path.Combine(d, RunFolder.RunFile))).Select(d => RunData(d).Info!.Shard!).ToList();
        Assert.Equal([0, 1, 2], infos.Select(i => i.Index).Order());
        // One shared start, the same instant in every shard's run.json, at least 20 s after the first two were ready.
        var start = Assert.Single(infos.Select(i => i.StartAt).Distinct());
        Assert.True(start >= launched.AddSeconds(20), $"the shared start {start:O} is before the late shard came (launched {launched:O} + 20 s)");
        Assert.All(infos, i => Assert.True(i.StartLateS < 2, $"shard {i.Index} started {i.StartLateS} s late"));
        var mergedDir = TestTemp.Folder("merged");
        using (var merge = CliProcess.Start("merge", shardsDir, "--out", mergedDir))
        {
            Assert.True(await merge.WaitForExitAsync(TimeSpan.FromSeconds(90)), $"merge did not end\n{merge.Out}\n{merge.Err}");
            // The merge judges the whole run: the threshold fails there, exit 1.
            Assert.True(merge.Process.ExitCode == 1, $"merge exit {merge.Process.ExitCode}\n{merge.Out}\n{merge.Err}");
        }

        var merged = RunData(Assert.Single(Directory.GetDirectories(mergedDir)));
        Assert.Equal(30, merged.Summary.Topologies.Single().Streams.Opened);
        Assert.Equal("fail", merged.Summary.Verdict.Value);
    }

    [Fact(Timeout = SerialLoad.TimeoutMs)]
    public async Task WaitForShards_AShardNeverComes_TheOthersNameIt_AndExitThreeBeforeAnyStream()
    {
        using var backend = CliProcess.Start("lab", "backend", "--grpc-port", "0", "--health-port", "0");
        var scenario = await ShortScenarioAsync(await BackendAddressAsync(backend));
        var shardsDir = TestTemp.Folder("barrier");
        var shards = Enumerable.Range(0, 2)
            .Select(i => CliProcess.Start("run", "--scenario", scenario, "--quiet", "--out", shardsDir, "--shard", $"{i}/3", "--run-id", "soak-c", "--wait-for-shards", "5s"))
            .ToList();
        try
        {
            foreach (var s in shards)
            {
                Assert.True(await s.WaitForExitAsync(TimeSpan.FromSeconds(90)), $"a shard did not end\n{s.Out}\n{s.Err}");
                Assert.True(s.Process.ExitCode == 3, $"shard exit {s.Process.ExitCode}\n{s.Out}\n{s.Err}");
                Assert.Contains("shard 2 of 0–2 of run soak-c never became ready within 5s", s.Err, StringComparison.Ordinal);
            }
        }
        finally
        {
            shards.ForEach(s => s.Dispose());
        }

        // No stream opened, nothing to merge by mistake: no run folder.
        Assert.DoesNotContain(Directory.GetDirectories(shardsDir), d => File.Exists(Path.Combine(d, RunFolder.RunFile)));
    }

    private static async Task<string> ShortScenarioAsync(string address) => (await TempScenario.WriteAsync("barrier", $"""
        name: barrier
        targets:
          - name: backend
            address: {address}
        profile:
          phases:
            - ramp: 30
              over: 1s
            - hold: 2s
            - ramp: 0
              over: 1s
        messages:
          interval: 200ms
        reportingInterval: 1s
        thresholds:
          - p50 < 0.001ms
        """)).File;

    /// <summary><paramref name="merged"/> is within the two runs' spread (at least <paramref name="floor"/>) of their mean.</summary>
    private static void Within(string what, double run1, double run2, double merged, double floor, string? detail = null)
    {
        var spread = Math.Max(Math.Abs(run1 - run2), floor);
        var mean = (run1 + run2) / 2;
        Assert.True(Math.Abs(merged - mean) <= spread,
            string.Create(CultureInfo.InvariantCulture, $"{what}: merged {merged:0.###}, unsharded {run1:0.###} and {run2:0.###} (allowed ±{spread:0.###} around {mean:0.###}){(detail is null ? "" : "; shards: " + detail)}"));
    }

    private static LoadGen.Reports.RunData RunData(string folder) => LoadGen.Reports.RunData.Load(folder);

    /// <summary>The gRPC address `loadgen lab backend` prints once it listens.</summary>
    private static async Task<string> BackendAddressAsync(CliProcess backend)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (DateTime.UtcNow < deadline && !backend.Process.HasExited)
        {
            if (System.Text.RegularExpressions.Regex.Match(backend.Out, @"lab backend: gRPC h2c (\S+) ,") is { Success: true } m)
            {
                return m.Groups[1].Value;
            }

            await Task.Delay(100);
        }

        throw new TimeoutException($"the lab backend did not say where it listens\n{backend.Out}\n{backend.Err}");
    }

    /// <summary>A run's messages sent per second of stream life, and its stream-seconds, from its outcomes.</summary>
    private static (double PerS, double StreamS) Rate(LoadGen.Reports.RunData run)
    {
        var ends = Ndjson.Read<OutcomeRecord>(run.Folder.OutcomesPath).Records;
        var streamS = ends.Sum(o => o.LifetimeS ?? 0);
        return (ends.Sum(o => o.Sent) / streamS, streamS);
    }

    /// <summary>Runs `loadgen ARGS` as a process; the run folder it wrote (the only one in its --out).</summary>
    private static async Task<LoadGen.Reports.RunData> RunAsync(params string[] args)
    {
        using var p = CliProcess.Start(args);
        Assert.True(await p.WaitForExitAsync(TimeSpan.FromSeconds(90)), $"loadgen {args[0]} did not end\n{p.Out}\n{p.Err}");
        Assert.True(p.Process.ExitCode == 0, $"loadgen {args[0]}: exit {p.Process.ExitCode}\n{p.Out}\n{p.Err}");
        var outDir = args[Array.IndexOf(args, "--out") + 1];
        return RunData(Assert.Single(Directory.GetDirectories(outDir)));
    }
}
