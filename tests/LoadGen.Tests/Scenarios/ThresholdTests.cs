using LoadGen.Core.Engine;
using LoadGen.Core.Inputs;
using LoadGen.Core.Metrics;
using LoadGen.Core.Scenarios;
using LoadGen.Results;
using LoadGen.Results.Analysis;

namespace LoadGen.Tests.Scenarios;

/// <summary>The threshold language: parsing, and evaluation against topology summaries.</summary>
public class ThresholdTests
{
    private static TopologySummary Topology(string name, double p99, Dictionary<string, long> outcomes, double streamHours, SurvivalSummary? survival = null)
    {
        var h = Histograms.Create();
        h.RecordValue((long)(p99 * 1000));
        var l = LatencyStats.From(h);
        return new TopologySummary
        {
            Name = name,
            Address = "x",
            Streams = new StreamCounts(1, 1, 1, 1, 0),
            Messages = new MessageCounts(1, 1),
            LatencyMs = l,
            LatencyUncorrectedMs = l,
            OpenLatencyMs = l,
            SendLagMs = l,
            Outcomes = outcomes,
            Connections = new ConnectionCounts(1, 1, 1),
            StreamHours = streamHours,
            Survival = survival,
        };
    }

    private static Threshold Parse(string text) => Thresholds.Parse(text) ?? throw new InvalidOperationException(text);

    [Theory]
    [InlineData("delta p99 < +5ms vs direct-tls", ThresholdKind.Delta, 5)]
    [InlineData("delta p50 < -1ms vs baseline", ThresholdKind.Delta, -1)]
    [InlineData("rate(rst:*) < 1 per 1000 stream-hours", ThresholdKind.Rate, 1)]
    [InlineData("survival(1h) > 0.999", ThresholdKind.Survival, 0.999)]
    [InlineData("no new cause vs baseline", ThresholdKind.NoNewCause, 0)]
    [InlineData("p99 uncorrected < 20ms", ThresholdKind.Latency, 20)]
    public void Parse_EveryForm(string text, ThresholdKind kind, double limit)
    {
        var t = Parse(text);

        Assert.Equal((kind, limit), (t.Kind, t.Limit));
    }

    [Theory]
    [InlineData("survival(1h) > 1.5")]
    [InlineData("rate(rst:*) < 1 per hour")]
    [InlineData("delta p99 < 5ms")]
    public void Parse_RejectsWhatDoesNotFit(string text) => Assert.Null(Thresholds.Parse(text));

    [Fact]
    public void Loader_DeltaAgainstAnUnknownTarget_NamesTheLine()
    {
        var e = Assert.Throws<ScenarioException>(() => ScenarioLoader.Load("""
            targets:
              - name: old
                address: http://127.0.0.1:1
              - name: new
                address: http://127.0.0.1:2
            profile:
              phases:
                - ramp: 1
                  over: 1s
                - hold: 1s
            thresholds:
              - delta p99 < +5ms vs olt
            """, "t.yaml"));

        Assert.Equal(("thresholds[0]", 12), (e.Field, e.Line));
        Assert.Contains("'olt' is not a target", e.Problem, StringComparison.Ordinal);
    }

    private static ScenarioException LoadThresholdsError(string thresholds) => Assert.Throws<ScenarioException>(() => LoadThresholds(thresholds));

    private static IReadOnlyList<Threshold> LoadThresholds(string thresholds) => ScenarioLoader.Load($"""
        targets:
          - name: old
            address: http://127.0.0.1:1
        profile:
          phases:
            - ramp: 1
              over: 1s
            - hold: 1s
        thresholds:
        {thresholds}
        """, "t.yaml").Thresholds;

    [Fact]
    public void Loader_AbortOnFail_MappingForm_AndThePlainFormSideBySide()
    {
        var list = LoadThresholds("""
              - p99 < 50ms
              - check: rate(rst:*) < 1 per 1000 stream-hours
                abortOnFail: true
                startCheckAfter: 5m
              - check: p50 < 10ms
            """);

        Assert.Equal(
            [("p99 < 50ms", false, TimeSpan.Zero), ("rate(rst:*) < 1 per 1000 stream-hours", true, TimeSpan.FromMinutes(5)), ("p50 < 10ms", false, TimeSpan.Zero)],
            list.Select(t => (t.Expression, t.AbortOnFail, t.StartCheckAfter)));
        Assert.Equal(ThresholdKind.Rate, list[1].Kind);
    }

    [Theory]
    [InlineData("", "unanswered < 1% (default)", false)]
    [InlineData("  - unanswered < 5%", "unanswered < 5%", true)]
    [InlineData("  - unanswered off", null, true)]
    [InlineData("  - unanswered: off", null, true)]
    public void UnansweredDefault_FailsALossyRun_UnlessTheScenarioTightensOrTurnsItOff(string yaml, string? judgedBy, bool passes)
    {
        // 2% of 1,000 messages never answered: the default 1% fails it; a declared 5% replaces the default; "off" removes it.
        var lossy = Topology("old", 1, new() { ["client-closed"] = 1 }, 1) with { Messages = new MessageCounts(1000, 980) { Unanswered = 20 } };
        var declared = yaml.Length == 0 ? [] : LoadThresholds(yaml);

        var results = ThresholdEvaluator.Evaluate(Thresholds.WithDefaults(declared), [lossy]);

        Assert.Equal(judgedBy is null ? [] : [judgedBy], results.Select(r => r.Expression));
        Assert.Equal(passes, results.All(r => r.Passed));
        Assert.All(results, r => Assert.Equal(2.0, r.Actual));
    }

    [Fact]
    public void UnansweredDefault_AsksNothingOfATopologyThatSentNothing_ADeclaredOneFailsIt()
    {
        var idle = Topology("old", 1, new() { ["client-closed"] = 1 }, 1) with { Messages = new MessageCounts(0, 0) };

        Assert.Empty(ThresholdEvaluator.Evaluate(Thresholds.WithDefaults([]), [idle]));
        var declared = Assert.Single(ThresholdEvaluator.Evaluate(Thresholds.WithDefaults([Parse("unanswered < 1%")]), [idle]));
        Assert.Equal((null, false), (declared.Actual, declared.Passed));
        // run.json records the default by its expression, and a rebuild reads it back as the default.
        Assert.True(Parse(Thresholds.DefaultUnanswered).IsDefault);
        Assert.False(Parse("unanswered < 1%").IsDefault);
    }

    [Fact]
    public void UnansweredMapping_WithAnythingButOff_NamesTheField()
    {
        var e = LoadThresholdsError("  - unanswered: 5%");

        Assert.Equal(("thresholds[0].unanswered", 10), (e.Field, e.Line));
        Assert.Contains("a limit is written 'unanswered < 0.1%'", e.Problem, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("  - abortOnFail: true", "thresholds[0].check", 10, "is required but missing")]
    [InlineData("  - check: p99 < 50ms\n    startCheckAfter: 1m", "thresholds[0].startCheckAfter", 11, "only applies with 'abortOnFail: true'")]
    [InlineData("  - check: p99 < 50ms\n    abortOnFailure: true", "thresholds[0].abortOnFailure", 11, "did you mean 'abortOnFail'")]
    [InlineData("  - check: p99 < 50 msec\n    abortOnFail: true", "thresholds[0].check", 10, "is not a threshold")]
    [InlineData("  - check: p99 < 50ms\n    abortOnFail: sometimes", "thresholds[0].abortOnFail", 11, "'sometimes' is not a boolean")]
    public void Loader_AbortOnFail_Mistakes_NameTheLineAndField(string yaml, string field, int line, string problem)
    {
        var e = LoadThresholdsError(yaml);

        Assert.Equal((field, line), (e.Field, e.Line));
        Assert.Contains(problem, e.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public void FirstAbort_OnlyAbortOnFailThresholds_OnlyWhenDue_NeverOnNothingMeasured()
    {
        var soFar = new RunSummary
        {
            RunId = "r",
            Scenario = "s",
            StartedAt = DateTimeOffset.UnixEpoch,
            EndedAt = DateTimeOffset.UnixEpoch,
            Verdict = RunVerdict.None,
            Topologies = [Topology("old", 80, new() { ["client-closed"] = 1 }, streamHours: 1)],
        };
        Threshold[] thresholds =
        [
            Parse("p99 < 50ms"),
            Parse("survival(1h) > 0.999") with { AbortOnFail = true },
            Parse("p50 < 60ms") with { AbortOnFail = true, StartCheckAfter = TimeSpan.FromMinutes(1) },
        ];

        // p99 fails but is judged at the end only; survival at 1 h has nothing measured yet; p50 is not due.
        Assert.Null(ThresholdEvaluator.FirstAbort(thresholds, soFar, TimeSpan.FromSeconds(59)));
        var abort = ThresholdEvaluator.FirstAbort(thresholds, soFar, TimeSpan.FromSeconds(61));
        Assert.NotNull(abort);
        Assert.Equal(("p50 < 60ms", "old", 61.0), (abort.Threshold.Expression, abort.Threshold.Topology, abort.AtS));
        // (80 ms as the histogram holds it: within its precision.)
        Assert.Matches(@"^threshold 'p50 < 60ms' failed for old 61 s into the run: 80\.\d+ ms \(limit 60 ms\)$", abort.Describe());
    }

    [Fact]
    public void Evaluate_EachKind_PassesAndFailsOnTheNumbers()
    {
        var curve = SurvivalSummary.Compute(Enumerable.Range(0, 1000).Select(i => (LifetimeS: 7200.0, Event: i == 0)));
        var baseline = Topology("old", 40, new() { ["client-closed"] = 100, ["rst:CANCEL"] = 1 }, streamHours: 2000, curve);
        var candidate = Topology("new", 48, new() { ["client-closed"] = 100, ["rst:NO_ERROR"] = 5, ["goaway:NO_ERROR"] = 1 }, streamHours: 2000, curve);
        Threshold[] thresholds =
        [
            Parse("delta p99 < +5ms vs old"),
            Parse("rate(rst:*) < 1 per 1000 stream-hours"),
            Parse("survival(1h) > 0.99"),
            Parse("no new cause vs baseline"),
        ];

        var r = ThresholdEvaluator.Evaluate(thresholds, [baseline, candidate]).ToDictionary(x => (x.Expression, x.Topology));

        // The delta is judged on the candidate only: +8 ms > +5 ms.
        Assert.False(r.ContainsKey(("delta p99 < +5ms vs old", "old")));
        Assert.InRange(r[("delta p99 < +5ms vs old", "new")].Actual!.Value, 7.9, 8.1);
        Assert.False(r[("delta p99 < +5ms vs old", "new")].Passed);
        // rst:* per 1000 stream-hours: 1/2000 → 0.5 passes; 5/2000 → 2.5 fails.
        Assert.True(r[("rate(rst:*) < 1 per 1000 stream-hours", "old")].Passed);
        Assert.False(r[("rate(rst:*) < 1 per 1000 stream-hours", "new")].Passed);
        Assert.Equal(2.5, r[("rate(rst:*) < 1 per 1000 stream-hours", "new")].Actual);
        // One event in 1,000 streams that all lived 2 h: S(1h) = 0.999.
        Assert.True(r[("survival(1h) > 0.99", "new")].Passed);
        // rst:NO_ERROR and goaway:NO_ERROR never happened on the baseline.
        Assert.Equal(2, r[("no new cause vs baseline", "new")].Actual);
        Assert.False(r[("no new cause vs baseline", "new")].Passed);
    }

    [Fact]
    public void Evaluate_SurvivalBeyondTheLongestStream_IsNoEvidence_AndFails()
    {
        var shortLived = SurvivalSummary.Compute(Enumerable.Range(0, 10).Select(_ => (LifetimeS: 60.0, Event: false)));
        var t = Topology("svc", 10, new() { ["client-closed"] = 10 }, 0.2, shortLived);

        var r = Assert.Single(ThresholdEvaluator.Evaluate([Parse("survival(1h) > 0.999")], [t]));

        Assert.Null(r.Actual);
        Assert.False(r.Passed);
        Assert.Equal("nothing measured", r.ActualText);
    }

    [Fact]
    public void Unanswered_IsAShareOfTheMessagesSent_AndNothingSentIsNothingMeasured()
    {
        var lossy = Topology("gw", 10, new() { ["client-closed"] = 1 }, streamHours: 1) with { Messages = new MessageCounts(1000, 995) { Unanswered = 5 } };
        var idle = Topology("idle", 10, new() { ["client-closed"] = 1 }, streamHours: 1) with { Messages = new MessageCounts(0, 0) };

        var r = ThresholdEvaluator.Evaluate([Parse("unanswered < 0.1%"), Parse("unanswered < 1%")], [lossy, idle]).ToDictionary(x => (x.Expression, x.Topology));

        Assert.Equal(ThresholdKind.Unanswered, Parse("unanswered < 0.1%").Kind);
        Assert.Equal(0.5, r[("unanswered < 0.1%", "gw")].Actual);
        Assert.False(r[("unanswered < 0.1%", "gw")].Passed);
        Assert.True(r[("unanswered < 1%", "gw")].Passed);
        Assert.Null(r[("unanswered < 1%", "idle")].Actual);
        Assert.False(r[("unanswered < 1%", "idle")].Passed);
    }
}
