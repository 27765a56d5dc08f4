using LoadGen.Core.Engine;
using LoadGen.Core.Scenarios;
using LoadGen.Lab.Backend;
using LoadGen.Reports;
using LoadGen.Results;
using LoadGen.Results.Analysis;
using LoadGen.Tests.Integration;

namespace LoadGen.Tests.Results;

/// <summary>Shards (`run --shard i/N`) and `loadgen merge`: slices that add up, a merge that loses nothing, refusals that name the folder.</summary>
[Collection(SerialLoad.Name)]
public class ShardMergeTests
{
    [Fact]
    public void Slices_AddUpToTheWhole_ForEveryLevelAndShardCount()
    {
        foreach (var whole in Enumerable.Range(0, 1200).Concat([99_999, 1_000_000, int.MaxValue / 2]))
        {
            foreach (var count in new[] { 1, 2, 3, 7, 8, 32, 100, 1000 })
            {
                var shares = Enumerable.Range(0, count).Select(i => new ShardSlice(i, count).Of(whole)).ToList();
                Assert.True(shares.Sum(s => (long)s) == whole, $"{whole} over {count}: {string.Join(",", shares.Take(10))} sums to {shares.Sum(s => (long)s)}");
                Assert.True(shares.Max() - shares.Min() <= 1, $"{whole} over {count}: uneven {shares.Min()}..{shares.Max()}");
            }
        }
    }

    [Fact]
    public void ShardProfiles_AddUpToTheWholeProfile_AtEveryMoment()
    {
        var whole = new PopulationProfile
        {
            Phases = [new(PhaseKind.Ramp, 1001, TimeSpan.FromSeconds(7)), new(PhaseKind.Hold, 1001, TimeSpan.FromSeconds(5)), new(PhaseKind.Ramp, 0, TimeSpan.FromSeconds(3))],
            MaxOpensPerSecond = 300,
        };
        var shards = Enumerable.Range(0, 3).Select(i => whole.For(new ShardSlice(i, 3))).ToList();

        for (var ms = 0; ms <= 16_000; ms += 37)
        {
            var t = TimeSpan.FromMilliseconds(ms);
            Assert.Equal(whole.TargetAt(t), shards.Sum(s => s.TargetAt(t)));
        }

        Assert.Equal(whole.Peak, shards.Sum(s => s.Peak));
        Assert.Equal(300, shards.Sum(s => s.MaxOpensPerSecond), 6);
        Assert.All(shards, s => Assert.Equal(whole.Duration, s.Duration));
    }

    [Theory]
    [InlineData("1/3", true)]
    [InlineData("0/1", true)]
    [InlineData("3/3", false)]
    [InlineData("-1/3", false)]
    [InlineData("1/0", false)]
    [InlineData("1", false)]
    [InlineData("a/b", false)]
    [InlineData("0/10001", false)]
    public void ShardFlag_AcceptsIndexBelowCount_AndSaysWhatIsWrongOtherwise(string text, bool ok)
    {
        var slice = ShardSlice.TryParse(text, out var error);

        Assert.Equal(ok, slice is not null);
        Assert.Equal(ok, error is null);
        if (!ok)
        {
            Assert.Contains(text, error!, StringComparison.Ordinal);
        }
    }

    [Fact(Timeout = SerialLoad.TimeoutMs)]
    public async Task Merge_OfThreeShards_LosesNothing_AndTheHistogramsAddExactly()
    {
        await using var backend = await LabBackend.StartAsync(new LabBackendOptions());
        var scenario = EngineHarness.Scenario(backend.GrpcAddress, streams: 31, hold: TimeSpan.FromSeconds(2));
        var dir = TestTemp.Folder("shards");

        var shards = await RunShardsAsync(scenario, dir, "run-a", 3);
        var merged = ShardMerge.Merge([.. shards.Select(s => s.Folder.Path)], TestTemp.Folder("merged"));

        var parts = shards.Select(s => s.Summary.Topologies.Single()).ToList();
        var all = merged.Summary.Topologies.Single();
        Assert.Equal(31, all.Streams.Opened);
        Assert.Equal([10, 10, 11], parts.Select(p => p.Streams.Opened));
        Assert.Equal(parts.Sum(p => p.Messages.Sent), all.Messages.Sent);
        Assert.Equal(parts.Sum(p => p.Messages.Received), all.Messages.Received);
        Assert.Equal(parts.Sum(p => p.LatencyMs.Count), all.LatencyMs.Count);
        Assert.Equal(parts.Sum(p => p.Connections.Opened), all.Connections.Opened);
        // The path's fingerprint counts every shard's connections and streams.
        Assert.Equal((31L, parts.Sum(p => p.Path!.Connections)), (all.Path!.Streams, all.Path.Connections));
        Assert.Equal(parts.Sum(p => p.Path!.Fields[LoadGen.Results.PathFields.MaxConcurrentStreams]["1000"]), all.Path.Fields[LoadGen.Results.PathFields.MaxConcurrentStreams]["1000"]);

        // The merged percentiles are those of every shard's measurements together (addition is exact).
        var together = Histograms.Create();
        foreach (var s in shards)
        {
            foreach (var l in HdrLogReader.ReadFile(s.Folder.Latency).Where(l => l.Tag == "backend-h2c.rtt"))
            {
                together.Add(l.Histogram);
            }
        }

        Assert.Equal(Histograms.PercentileMs(together, 99), all.LatencyMs.P99);
        Assert.Equal(Histograms.PercentileMs(together, 50), all.LatencyMs.P50);

        var outcomes = Ndjson.Read<OutcomeRecord>(merged.Folder.OutcomesPath).Records;
        Assert.Equal(31, outcomes.Count);
        Assert.Equal(31, outcomes.Select(o => o.StreamId).Distinct().Count());
        Assert.Equal(parts.Sum(p => p.Connections.Opened), outcomes.Select(o => o.TcpConnection).Distinct().Count());
        var info = RunData.Load(merged.Folder.Path);
        Assert.Equal("run-a", merged.Folder.RunId);
        Assert.Equal(3, File.ReadAllText(merged.Folder.RunJson).Split("\"folder\"").Length - 1);
        Assert.Equal(RunCompletion.Completed, info.Summary.Completion);
    }

    [Fact(Timeout = SerialLoad.TimeoutMs)]
    public async Task Merge_OfShardsRunningInterleavedRounds_PairsEachRoundsIntervals()
    {
        await using var backend = await LabBackend.StartAsync(new LabBackendOptions());
        var scenario = EngineHarness.Scenario(backend.GrpcAddress, streams: 8, hold: TimeSpan.FromSeconds(2)) with
        {
            Targets =
            [
                new TargetOptions { Name = "a", Address = backend.GrpcAddress },
                new TargetOptions { Name = "b", Address = backend.GrpcAddress },
            ],
            Rounds = 2,
        };

        var shards = await RunShardsAsync(scenario, TestTemp.Folder("shards"), "rounds", 2);
        var merged = ShardMerge.Merge([.. shards.Select(s => s.Folder.Path)], TestTemp.Folder("merged"));

        Assert.Equal(4, merged.Summary.Rounds.Count);
        foreach (var name in new[] { "a", "b" })
        {
            var all = merged.Summary.Topologies.Single(t => t.Name == name);
            var parts = shards.Select(s => s.Summary.Topologies.Single(t => t.Name == name)).ToList();
            Assert.Equal(parts.Sum(p => p.Streams.Opened), all.Streams.Opened);
            Assert.Equal(parts.Sum(p => p.Messages.Received), all.Messages.Received);
            Assert.Equal(parts.Sum(p => p.LatencyMs.Count), all.LatencyMs.Count);
        }

        // Each merged round carries both shards' share of that round.
        var intervals = Ndjson.Read<IntervalRecord>(merged.Folder.Intervals).Records;
        foreach (var round in new[] { 1, 2 })
        {
            Assert.Equal(
                shards.Sum(s => Ndjson.Read<IntervalRecord>(s.Folder.Intervals).Records.Where(i => i.Topology == "a" && i.Round == round).Sum(i => i.Received)),
                intervals.Where(i => i.Topology == "a" && i.Round == round).Sum(i => i.Received));
        }
    }

    [Fact(Timeout = SerialLoad.TimeoutMs)]
    public async Task Merge_RefusesAnotherRunsShard_AMissingShard_AShardTwice_AndAnotherScenario_NamingTheFolder()
    {
        await using var backend = await LabBackend.StartAsync(new LabBackendOptions());
        var scenario = EngineHarness.Scenario(backend.GrpcAddress, streams: 6, hold: TimeSpan.FromMilliseconds(500));
        var dir = TestTemp.Folder("shards");
        var a = await RunShardsAsync(scenario, dir, "run-a", 3);
        var b = await RunShardsAsync(scenario, dir, "run-b", 3, only: 1);
        var other = await RunShardsAsync(scenario with { Messages = scenario.Messages with { Interval = TimeSpan.FromMilliseconds(300) } }, dir, "run-a", 3, only: 2);
        var out1 = TestTemp.Folder("merged");

        var wrongRun = Assert.Throws<MergeRefusedException>(() => ShardMerge.Merge([a[0].Folder.Path, b[0].Folder.Path, a[2].Folder.Path], out1));
        var missing = Assert.Throws<MergeRefusedException>(() => ShardMerge.Merge([a[0].Folder.Path, a[2].Folder.Path], out1));
        var twice = Assert.Throws<MergeRefusedException>(() => ShardMerge.Merge([a[0].Folder.Path, a[1].Folder.Path, a[2].Folder.Path, a[1].Folder.Path + "/"], out1));
        var scenarioDiffers = Assert.Throws<MergeRefusedException>(() => ShardMerge.Merge([a[0].Folder.Path, a[1].Folder.Path, other[0].Folder.Path], out1));

        Assert.Contains("different run ids", wrongRun.Message, StringComparison.Ordinal);
        Assert.Contains($"run-b in {b[0].Folder.Path}", wrongRun.Message, StringComparison.Ordinal);
        Assert.Contains("shard 1/3 of run run-a missing", missing.Message, StringComparison.Ordinal);
        Assert.Contains("shard 1/3 is given 2 times", twice.Message, StringComparison.Ordinal);
        Assert.Contains(a[1].Folder.Path, twice.Message, StringComparison.Ordinal);
        Assert.Contains("different scenarios", scenarioDiffers.Message, StringComparison.Ordinal);
        Assert.Contains(other[0].Folder.Path, scenarioDiffers.Message, StringComparison.Ordinal);
        // Nothing half-made is left behind.
        Assert.Empty(Directory.GetFileSystemEntries(out1));
    }

    [Fact(Timeout = SerialLoad.TimeoutMs)]
    public async Task AShardThatStartsLate_SaysByHowMuch_InRunJson_AndInTheMergedReportsWarnings()
    {
        await using var backend = await LabBackend.StartAsync(new LabBackendOptions());
        var scenario = EngineHarness.Scenario(backend.GrpcAddress, streams: 4, hold: TimeSpan.FromMilliseconds(500));
        var dir = TestTemp.Folder("shards");
        var shared = DateTimeOffset.UtcNow.AddSeconds(1);

        var late = RunFolder.CreateNamed(dir, "late-shard-1-of-2");
        var onTime = RunFolder.CreateNamed(dir, "late-shard-0-of-2");
        await Task.WhenAll(
            new LoadEngine { Shard = new ShardPlan(new ShardSlice(0, 2), "late"), StartAt = shared }.RunAsync(scenario, onTime),
            new LoadEngine { Shard = new ShardPlan(new ShardSlice(1, 2), "late"), StartAt = shared.AddSeconds(-3) }.RunAsync(scenario, late));
        var merged = ShardMerge.Merge([onTime.Path, late.Path], TestTemp.Folder("merged"));

        var lateInfo = RunData.Load(late.Path).Info!.Shard!;
        // Its start time was 2 s past when it started: it ran at once, 2 s late (the engine checks after its setup).
        Assert.InRange(lateInfo.StartLateS!.Value, 2.0, 5.0);
        Assert.True(RunData.Load(onTime.Path).Info!.Shard!.StartLateS < 1);
        Assert.Contains(merged.Summary.Warnings, w => w.StartsWith("shard 1/2 started its phases", StringComparison.Ordinal));
    }

    [Fact]
    public void Merge_RefusesAFolderThatIsNotAShard()
    {
        var plain = TestTemp.Folder("plain");
        File.WriteAllText(Path.Combine(plain, RunFolder.RunFile), """{"runId":"x","scenario":"s","scenarioSource":"f","scenarioSettings":{},"targets":[],"loadGenVersion":"0","runtime":"r","host":"h","os":"o","startedAt":"2026-11-30T00:00:00Z"}""");

        var e = Assert.Throws<MergeRefusedException>(() => ShardMerge.Merge([plain], TestTemp.Folder("merged")));

        Assert.Contains($"{plain}: not a shard", e.Message, StringComparison.Ordinal);
    }

    /// <summary>Runs shards of <paramref name="scenario"/> at once in this process (or only shard <paramref name="only"/>), each into its own folder.</summary>
    private static async Task<List<(RunSummary Summary, RunFolder Folder)>> RunShardsAsync(Scenario scenario, string dir, string runId, int count, int? only = null)
    {
        var start = DateTimeOffset.UtcNow.AddSeconds(1);
        var runs = Enumerable.Range(0, count).Where(i => only is null || i == only).Select(async i =>
        {
            var folder = RunFolder.CreateNamed(dir, $"{runId}-shard-{i}-of-{count}");
            var engine = new LoadEngine { Shard = new ShardPlan(new ShardSlice(i, count), runId), StartAt = start };
            return (await engine.RunAsync(scenario, folder), folder);
        });
        return [.. await Task.WhenAll(runs)];
    }
}
