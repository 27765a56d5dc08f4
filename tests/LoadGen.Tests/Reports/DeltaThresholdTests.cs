using System.Globalization;
using System.Text.Json;
using LoadGen.Reports;
using LoadGen.Results;
using LoadGen.Results.Analysis;

namespace LoadGen.Tests.Reports;

/// <summary>
/// A <c>delta … vs …</c> threshold is judged by the run's calibrated comparison — the figure's interval against the
/// limit — never by the point estimate, and the page carries one delta for the figure: the comparison's.
/// </summary>
public class DeltaThresholdTests
{
    /// <summary>
    /// One run, two topologies: "a" steady at p50 ~10 ms; "b" whose p50 wanders between intervals by
    /// <paramref name="wanderMs"/> around 10 ms + <paramref name="shiftMs"/> (a noisy candidate: a wide interval).
    /// </summary>
    private static string TwoTopologyRun(string threshold, int seed, double wanderMs, double shiftMs = 0, double candidateLagP99 = 1)
    {
        var dir = TestTemp.Path("run");
        var start = DateTimeOffset.Parse("2026-12-08T10:00:00Z", CultureInfo.InvariantCulture);
        var folder = RunFolder.Create(dir, "delta", start);
        var random = new Random(seed);
        var totals = new Dictionary<string, HdrHistogram.HistogramBase> { ["a"] = Histograms.Create(), ["b"] = Histograms.Create() };
        using (var stream = File.Create(folder.Latency))
        using (var log = new HdrLogWriter(stream, start, "synthetic"))
        {
            for (var i = 0; i < 30; i++)
            {
                foreach (var name in new[] { "a", "b" })
                {
                    var centre = name == "a" ? 10 : 10 + shiftMs + ((random.NextDouble() - 0.5) * 2 * wanderMs);
                    var h = Histograms.Create();
                    h.Tag = name + ".rtt";
                    for (var k = 0; k < 2000; k++)
                    {
                        h.RecordValue((long)((centre + random.NextDouble() - 0.5) * 1000));
                    }

                    totals[name].Add(h);
                    log.Write(h, start.AddSeconds(i * 5), start.AddSeconds((i + 1) * 5));
                }
            }
        }

        TopologySummary Topology(string name, double lagP99)
        {
            var lag = Histograms.Create();
            lag.RecordValueWithCount(300, 98);
            lag.RecordValueWithCount((long)(lagP99 * 1000), 2);
            var t = totals[name];
            return new TopologySummary
            {
                Name = name,
                Address = $"https://{name}.example:443",
                Streams = new StreamCounts(100, 100, 100, 100, 0),
                Messages = new MessageCounts(t.TotalCount, t.TotalCount),
                LatencyMs = LatencyStats.From(t),
                LatencyUncorrectedMs = LatencyStats.From(t),
                OpenLatencyMs = LatencyStats.From(Histograms.Create()),
                SendLagMs = LatencyStats.From(lag),
                Outcomes = new Dictionary<string, long> { ["client-closed"] = 100 },
                Connections = new ConnectionCounts(1, 100, 1),
                StreamHours = 2000,
            };
        }

        TopologySummary[] topologies = [Topology("a", 1), Topology("b", candidateLagP99)];
        var thresholds = new[] { Thresholds.Parse(threshold)! };
        var pointJudged = ThresholdEvaluator.Evaluate(thresholds, topologies);
        folder.WriteJson(RunFolder.RunFile, new RunInfo
        {
            RunId = folder.RunId,
            Scenario = "delta",
            ScenarioSource = "synthetic",
            ScenarioSettings = new ScenarioSettings { Thresholds = [threshold] },
            Targets = [new RunTarget("a", "https://a.example:443", null, null), new RunTarget("b", "https://b.example:443", null, null)],
            LoadGenVersion = "test",
            Runtime = "test",
            Host = "test",
            Os = "test",
            StartedAt = start,
            EndedAt = start.AddSeconds(150),
            Completion = RunCompletion.Completed,
        });
        folder.WriteJson(RunFolder.SummaryFile, new RunSummary
        {
            RunId = folder.RunId,
            Scenario = "delta",
            StartedAt = start,
            EndedAt = start.AddSeconds(150),
            Verdict = RunVerdict.From(pointJudged, false),
            Topologies = topologies,
            Thresholds = pointJudged,
        });
        return folder.Path;
    }

    private static (ThresholdResult Judged, ThresholdResult Point, JsonElement P50) Report(string path)
    {
        var point = Assert.Single(RunFolder.Open(path).ReadSummary().Thresholds);
        var written = ReportWriter.WriteRun(path);
        var judged = Assert.Single(written.Summary.Thresholds);
        // What summary.json says afterwards is what the console and the reports said.
        Assert.Equal(judged, Assert.Single(RunFolder.Open(path).ReadSummary().Thresholds));
        using var comparison = JsonDocument.Parse(File.ReadAllText(Path.Combine(path, RunFolder.ComparisonFile)));
        var p50 = comparison.RootElement.GetProperty("comparisons")[0].GetProperty("figures").EnumerateArray().Single(f => f.GetProperty("name").GetString() == "p50").Clone();
        return (judged, point, p50);
    }

    [Fact]
    public void APointEstimateUnderTheLimit_WithAnIntervalReachingPastIt_Fails()
    {
        // b's p50 wanders ±8 ms between intervals: the point estimate lands under +1 ms, the interval reaches past it.
        var path = TwoTopologyRun("delta p50 < +1ms vs a", seed: 3, wanderMs: 8, shiftMs: -0.5);
        var (judged, point, p50) = Report(path);

        Assert.True(point.Passed, $"precondition: the point estimate {point.ActualText} passes");
        Assert.False(judged.Passed, judged.ActualText);
        // One delta for the figure: the threshold shows the comparison's interval and is judged on its upper end.
        Assert.Equal(p50.GetProperty("high").GetDouble(), judged.Actual!.Value, 6);
        Assert.Contains("[", judged.ActualText, StringComparison.Ordinal);
        Assert.Contains("upper end", judged.ActualText, StringComparison.Ordinal);
        Assert.Contains(judged.ActualText, File.ReadAllText(Path.Combine(path, RunFolder.MarkdownFile)), StringComparison.Ordinal);
        Assert.Equal(RunVerdict.Fail, RunFolder.Open(path).ReadSummary().Verdict);
    }

    [Fact]
    public void AnIntervalWhollyUnderTheLimit_Passes()
    {
        var (judged, _, p50) = Report(TwoTopologyRun("delta p50 < +1ms vs a", seed: 4, wanderMs: 0.2));

        Assert.True(p50.GetProperty("high").GetDouble() < 1);
        Assert.True(judged.Passed, judged.ActualText);
        Assert.Equal(p50.GetProperty("high").GetDouble(), judged.Actual!.Value, 6);
    }

    [Fact]
    public void ASaturatedCandidate_NeverPassesADeltaThreshold_WhateverItsInterval()
    {
        // The same tight pair as above, but b's generator lagged 60 ms at p99: its numbers may be the generator's.
        var path = TwoTopologyRun("delta p50 < +1ms vs a", seed: 4, wanderMs: 0.2, candidateLagP99: 60);
        var (judged, point, _) = Report(path);

        Assert.True(point.Passed, $"precondition: the point estimate {point.ActualText} passes");
        Assert.False(judged.Passed);
        Assert.StartsWith("cannot tell", judged.ActualText, StringComparison.Ordinal);
        Assert.Contains("saturated", judged.ActualText, StringComparison.Ordinal);
        Assert.Equal(RunVerdict.Fail, RunFolder.Open(path).ReadSummary().Verdict);
        Assert.Contains("cannot tell", File.ReadAllText(Path.Combine(path, RunFolder.MarkdownFile)), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("delta max < +5ms vs a")]
    [InlineData("delta p99 uncorrected < +5ms vs a")]
    public void ADeltaWithoutAnInterval_IsRefusedAtLoad(string threshold)
    {
        var why = Thresholds.Refused(Thresholds.Parse(threshold)!);

        Assert.NotNull(why);
        Assert.Contains("interval", why, StringComparison.Ordinal);
    }
}
