using LoadGen.Reports;
using LoadGen.Results;
using LoadGen.Results.Analysis;

namespace LoadGen.Tests.Results;

/// <summary>Drift inside one run: a ramp is found with its slope, a flat run is not called rising, and too little data is "cannot tell".</summary>
public class DriftTests
{
    private static readonly DateTimeOffset T0 = new(2026, 12, 7, 0, 0, 0, TimeSpan.Zero);

    /// <summary>A soak's hold intervals every 5 s: p99 = 20 ms + slope × hours + AR(1) noise (neighbouring intervals share queues and GC pauses).</summary>
    private static List<IntervalRecord> Soak(double hours, double p99SlopePerHour, int seed, double sendLagSlopePerHour = 0, double noiseMs = 4)
    {
        var random = new Random(seed);
        var list = new List<IntervalRecord>();
        var n = (int)(hours * 3600 / 5);
        var ar = 0.0;
        for (var i = 0; i < n; i++)
        {
            ar = (0.7 * ar) + (noiseMs * Math.Sqrt(1 - 0.49) * Normal(random));
            var h = i * 5 / 3600.0;
            list.Add(new IntervalRecord
            {
                Topology = "gateway",
                Start = T0.AddSeconds(i * 5),
                End = T0.AddSeconds((i + 1) * 5),
                Phase = "hold 2/3",
                Active = 1000,
                P50Ms = 3 + (0.2 * Normal(random)),
                P99Ms = 20 + (p99SlopePerHour * h) + Math.Abs(ar),
                SendLagP99Ms = 5 + (sendLagSlopePerHour * h) + Math.Abs(0.5 * Normal(random)),
                LoadGenRssMb = 300 + random.NextDouble(),
            });
        }

        return list;
    }

    private static double Normal(Random r) => Math.Sqrt(-2 * Math.Log(1 - r.NextDouble())) * Math.Cos(2 * Math.PI * r.NextDouble());

    private static DriftResult Of(IReadOnlyList<DriftResult> drift, string figure) => drift.Single(d => d.Figure == figure);

    [Fact]
    public void ARamp_IsFoundRising_WithItsSlopeInsideTheInterval()
    {
        var drift = DriftAnalysis.For("gateway", Soak(hours: 2, p99SlopePerHour: 6, seed: 1));

        var p99 = Of(drift, DriftResult.P99);
        Assert.Equal(DriftTrend.Rising, p99.Trend);
        Assert.InRange(6.0, p99.Low!.Value, p99.High!.Value);
        Assert.StartsWith("p99 rose ", p99.Reading, StringComparison.Ordinal);
        Assert.Equal(DriftTrend.Stable, Of(drift, DriftResult.P50).Trend);
    }

    [Fact]
    public void FlatRuns_AreRarelyCalledRisingOrFalling()
    {
        // 200 flat 1-hour soaks with autocorrelated noise: a false trend in at most 5% (the calibration on real runs is bench/drift).
        var moved = Enumerable.Range(0, 200)
            .Select(seed => Of(DriftAnalysis.For("gateway", Soak(hours: 1, p99SlopePerHour: 0, seed: seed, noiseMs: 8)), DriftResult.P99).Trend)
            .Count(t => t is DriftTrend.Rising or DriftTrend.Falling);

        Assert.True(moved <= 10, $"{moved} of 200 flat runs were called rising or falling");
    }

    [Fact]
    public void AFewIntervals_CannotTell_AndADriftThresholdOnThemFails()
    {
        var drift = DriftAnalysis.For("gateway", Soak(hours: 20 / 3600.0, p99SlopePerHour: 0, seed: 3));
        var topology = Topology() with { Drift = drift };

        Assert.Equal(DriftTrend.CannotTell, Of(drift, DriftResult.P99).Trend);
        Assert.Null(Of(drift, DriftResult.P99).High);
        var result = Assert.Single(ThresholdEvaluator.Evaluate([Thresholds.Parse("drift(p99) < 1ms/h")!], [topology]));
        Assert.False(result.Passed);
        Assert.Null(result.Actual);
    }

    [Fact]
    public void ADriftThreshold_IsJudgedOnTheIntervalsUpperEnd()
    {
        var rising = Topology() with { Drift = DriftAnalysis.For("gateway", Soak(hours: 2, p99SlopePerHour: 6, seed: 1)) };
        var flat = Topology() with { Drift = DriftAnalysis.For("gateway", Soak(hours: 2, p99SlopePerHour: 0, seed: 1)) };
        var high = Of(rising.Drift, DriftResult.P99).High!.Value;

        Assert.False(ThresholdEvaluator.Evaluate([Thresholds.Parse("drift(p99) < 5ms/h")!], [rising]).Single().Passed);
        Assert.Equal(high, ThresholdEvaluator.Evaluate([Thresholds.Parse("drift(p99) < 5ms/h")!], [rising]).Single().Actual);
        Assert.True(ThresholdEvaluator.Evaluate([Thresholds.Parse($"drift(p99) < {Math.Ceiling(high) + 1}ms/h")!], [rising]).Single().Passed);
        Assert.True(ThresholdEvaluator.Evaluate([Thresholds.Parse("drift(p99) < 5ms/h")!], [flat]).Single().Passed);
    }

    [Theory]
    [InlineData("drift(p99) < 1ms/h", true)]
    [InlineData("drift(send-lag-p99) < 2 ms per hour", true)]
    [InlineData("drift(loadgen-rss) < 50MB/h", true)]
    [InlineData("drift(unplanned-ends) < 5 per 1000 stream-hours/h", true)]
    [InlineData("drift(p99) < 1MB/h", false)]
    [InlineData("drift(p99) < 1ms", false)]
    [InlineData("drift(p95) < 1ms/h", false)]
    public void DriftThresholds_NameAFigureAndAUnitPerHour(string text, bool parses)
    {
        var t = Thresholds.Parse(text);

        Assert.Equal(parses, t is { Kind: ThresholdKind.Drift });
    }

    [Fact]
    public void APathFigureRisingWithTheGeneratorsSendLag_IsSaidToBeMaybeTheGenerators()
    {
        var both = Topology() with { Drift = DriftAnalysis.For("gateway", Soak(hours: 2, p99SlopePerHour: 6, seed: 1, sendLagSlopePerHour: 6)) };
        var pathOnly = Topology() with { Drift = DriftAnalysis.For("gateway", Soak(hours: 2, p99SlopePerHour: 6, seed: 1)) };

        Assert.Contains("may be the generator's", Assert.Single(DriftCard.Notes([both])), StringComparison.Ordinal);
        Assert.Contains("send lag did not rise: the path's", Assert.Single(DriftCard.Notes([pathOnly])), StringComparison.Ordinal);
        Assert.Contains("rising: +", DriftCard.Build([pathOnly])!.Rows.Single(r => r[0] == DriftResult.P99)[1], StringComparison.Ordinal);
    }

    [Fact]
    public void ASoakWhosePathFigureRose_IsWarnedOf_AShortRunIsNot()
    {
        var soak = Topology() with { Drift = DriftAnalysis.For("gateway", Soak(hours: 2, p99SlopePerHour: 6, seed: 1)) };
        var shortRun = Topology() with { Drift = DriftAnalysis.For("gateway", Soak(hours: 5 / 60.0, p99SlopePerHour: 600, seed: 1)) };

        Assert.Equal(DriftTrend.Rising, Of(shortRun.Drift, DriftResult.P99).Trend);
        var warning = Assert.Single(RunWarnings.For([soak]), w => w.StartsWith("drift", StringComparison.Ordinal));
        Assert.Contains("gateway: p99 rose", warning, StringComparison.Ordinal);
        Assert.DoesNotContain(RunWarnings.For([shortRun]), w => w.StartsWith("drift", StringComparison.Ordinal));
    }

    private static TopologySummary Topology()
    {
        var none = new LatencyStats(0, null, null, null, null, null, null);
        return new TopologySummary
        {
            Name = "gateway",
            Address = "https://127.0.0.1:1",
            Streams = new StreamCounts(1, 1, 0, 1, 0),
            Messages = new MessageCounts(1, 1),
            LatencyMs = none,
            LatencyUncorrectedMs = none,
            OpenLatencyMs = none,
            SendLagMs = none,
            Outcomes = new Dictionary<string, long>(),
            Connections = new ConnectionCounts(1, 1, 1),
        };
    }
}

/// <summary>The drift test on a real run: the lab backend's delay rising on a known ramp is found rising, with that slope.</summary>
[Collection(Integration.SerialLoad.Name)]
public class DriftRunTests
{
    [Fact(Timeout = Integration.SerialLoad.TimeoutMs)]
    public async Task AKnownRampInTheBackendsDelay_IsFoundRising_WithItsSlope_AndFailsADriftThreshold()
    {
        var outDir = TestTemp.Path("drift-run");
        var scenario = TestTemp.Path("drift-scenario") + ".yaml";
        // 100 ms more per minute: 6,000 ms per hour, 20 ms over the 12-second hold — far beyond p50's margin.
        await File.WriteAllTextAsync(scenario, """
            name: drift-ramp
            targets:
              - name: backend
                address: lab://backend-h2c
            profile:
              phases:
                - ramp: 20
                  over: 500ms
                - hold: 12s
            messages:
              interval: 200ms
              directives:
                delay: 1ms
                delayRisePerMinute: 100ms
            reportingInterval: 500ms
            warmup: 0s
            thresholds:
              - drift(p50) < 1ms/h
            """);

        // Its own process, as the known-answer tests run: the test host's own pauses are not the path's.
        using var run = Cli.CliProcess.Start("run", "--scenario", scenario, "--out", outDir, "--quiet");
        Assert.True(await run.WaitForExitAsync(TimeSpan.FromSeconds(90)), $"the run did not end\n{run.Out}\n{run.Err}");
        // The drift threshold fails, and says so with exit 1: the delay rose.
        Assert.True(run.Process.ExitCode == 1, $"exit {run.Process.ExitCode}\n{run.Out}\n{run.Err}");
        var summary = LoadGen.Results.RunFolder.Open(Assert.Single(Directory.GetDirectories(outDir))).ReadSummary();
        var p50 = Assert.Single(Assert.Single(summary.Topologies).Drift, d => d.Figure == DriftResult.P50);

        Assert.True(p50.Trend == DriftTrend.Rising, p50.Reading);
        // The slope found within 15% of the ramp (its interval's coverage over many runs is measured in bench/drift.sh).
        Assert.True(p50.SlopePerHour is > 5100 and < 6900, $"expected about 6000 ms/h: {p50.Reading}");
        var threshold = Assert.Single(summary.Thresholds, t => t.Expression.StartsWith("drift(", StringComparison.Ordinal));
        Assert.False(threshold.Passed);
        Assert.Equal(p50.High, threshold.Actual);
    }
}
