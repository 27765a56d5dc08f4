using LoadGen.Core.Engine;
using LoadGen.Core.Scenarios;
using LoadGen.Reports;
using LoadGen.Results;
using LoadGen.Results.Analysis;

namespace LoadGen.Tests.Outcomes;

public class AnalysisTests
{
    private static EndSample End(string cause, double life, double clientQuiet, double serverQuiet, bool planned = false) =>
        new(cause, life, clientQuiet, serverQuiet, planned);

    [Fact]
    public void KaplanMeier_KnownAnswer_WithCensoring()
    {
        // Lifetimes 1,2,3(censored),4,5(censored): S = 4/5, then 3/4 of that, then (after the
        // censored 3 leaves 2 at risk) 1/2 of that.
        var s = SurvivalSummary.Compute([(1, true), (2, true), (3, false), (4, true), (5, false)]);

        Assert.Equal(5, s.Streams);
        Assert.Equal(3, s.Events);
        Assert.Equal([1.0, 0.8, 0.6, 0.3], s.Points.Select(p => p.Survival));
        Assert.Equal([0.0, 1, 2, 4], s.Points.Select(p => p.TimeS));
        Assert.Equal(4, s.MedianS);
        Assert.Null(s.At1h); // the run never saw an hour
    }

    [Fact]
    public void KaplanMeier_AllCensored_NoMedian()
    {
        var s = SurvivalSummary.Compute(Enumerable.Range(1, 10).Select(i => ((double)i, false)));
        Assert.Null(s.MedianS);
        Assert.Equal(1.0, Assert.Single(s.Points).Survival);
    }

    [Fact]
    public void KaplanMeier_LongRun_ReportsOneHourSurvival()
    {
        var lifetimes = Enumerable.Range(0, 100).Select(i => (i < 10 ? 1800.0 : 7200.0, i < 10)).ToList();
        var s = SurvivalSummary.Compute(lifetimes);
        Assert.Equal(0.9, s.At1h);
        Assert.Null(s.At24h);
    }

    [Fact]
    public void Detector_ServerQuietCluster_IsServerQuiet()
    {
        var ends = Enumerable.Range(0, 20).Select(i => End("rst:INTERNAL_ERROR", 10 + i, 0.1 + (i % 5 * 0.1), 5.0 + (i % 3 * 0.1))).ToList();
        var d = Assert.Single(TimeoutDetector.Detect(ends));
        Assert.Equal(("server-quiet", "rst:INTERNAL_ERROR", 20L), (d.Direction, d.Cause, d.Count));
        Assert.InRange(d.Seconds, 5.0, 5.1);
    }

    [Fact]
    public void Detector_BothSidesQuietTheSame_IsBothQuiet()
    {
        var ends = Enumerable.Range(0, 10).Select(i => End("server-status:Unavailable", 30 + i, 60.1, 60.2)).ToList();
        Assert.Equal("both-quiet", Assert.Single(TimeoutDetector.Detect(ends)).Direction);
    }

    [Fact]
    public void Detector_AgeClusterWhileBothSidesTalk_IsAge()
    {
        var ends = Enumerable.Range(0, 10).Select(i => End("rst:NO_ERROR", 120 + (i * 0.05), 0.2, 0.3)).ToList();
        var d = Assert.Single(TimeoutDetector.Detect(ends));
        Assert.Equal(("age", 120.0), (d.Direction, d.Seconds));
    }

    [Fact]
    public void Detector_LateBatch_IsStillOneTimeoutAtItsEarliestFiring()
    {
        // Observed on NGINX 1.22 under load: a 2 s client_body_timeout firing for a batch up to 1.4 s late.
        double[] quiet = [2.0, 2.0, 2.0, 2.0, 1.76, 1.8, 2.0, 2.82, 2.88, 2.93, 2.94, 3.06, 3.04, 3.1, 3.2, 3.23, 3.29, 3.3, 3.39, 3.38];
        var ends = quiet.Select((q, i) => End("rst:PROTOCOL_ERROR", q + 0.3 + (i * 0.05), q, q)).ToList();

        var d = Assert.Single(TimeoutDetector.Detect(ends));
        Assert.Equal("both-quiet", d.Direction);
        Assert.InRange(d.Seconds, 1.7, 2.1);
    }

    [Fact]
    public void Detector_OrdinaryTrafficQuietTimes_NoClaim()
    {
        // A mass reset of streams sending once a second: quiet times spread evenly over 0-1.5 s.
        var random = new Random(5);
        var ends = Enumerable.Range(0, 5000).Select(i => End("rst:INTERNAL_ERROR", 2 + (i * 0.001), random.NextDouble(), random.NextDouble() * 1.5)).ToList();
        Assert.Empty(TimeoutDetector.Detect(ends));

        // A loaded server stretched the gaps to 0.6-2.4 s: below two message intervals, still no claim.
        var stretched = Enumerable.Range(0, 5000).Select(i => End("rst:INTERNAL_ERROR", 2 + (i * 0.001), random.NextDouble(), 0.9 + (random.NextDouble() * 1.2))).ToList();
        Assert.NotEmpty(TimeoutDetector.Detect(stretched));
        Assert.Empty(TimeoutDetector.Detect(stretched, minQuiet: TimeSpan.FromSeconds(2)));
    }

    [Fact]
    public void Detector_MassResetBehindASecondsLongLatencyTail_NoClaim()
    {
        // Seen on a busy 2-core CI machine: 5,000 streams at 1 msg/s, round-trip p99.9 2.2 s, every stream
        // reset at once; replies were seconds behind, so the server had been quiet 2.2-3.8 s on each.
        var random = new Random(7);
        var ends = Enumerable.Range(0, 5000).Select(i => End("rst:INTERNAL_ERROR", 10 + (i * 0.001), random.NextDouble() * 1.8, 2.2 + (random.NextDouble() * 1.6))).ToList();
        var interval = TimeSpan.FromSeconds(1);

        // Two intervals alone would claim a 2.4 s server-quiet timeout that no part of the path has.
        Assert.Equal("server-quiet", Assert.Single(TimeoutDetector.Detect(ends, 2 * interval)).Direction);
        Assert.Empty(TimeoutDetector.Detect(ends, TimeoutDetector.MinQuiet(interval, rttP999Ms: 2200, sendLagP999Ms: 1380)));
        // The same ends on a fast path (p99.9 50 ms) are a 2.4 s timer: the claim stands.
        Assert.Equal("server-quiet", Assert.Single(TimeoutDetector.Detect(ends, TimeoutDetector.MinQuiet(interval, rttP999Ms: 50, sendLagP999Ms: 5))).Direction);
    }

    /// <summary>An end with what the stream survived before it: its longest gaps per side, and its sent count.</summary>
    private static EndSample Lived(string cause, double life, double clientQuiet, double serverQuiet, double survivedClient, double survivedServer, long sent = 1, bool planned = false, long connection = 0, double endedAt = double.NaN, double connectionAge = double.NaN) =>
        new(cause, life, clientQuiet, serverQuiet, planned, endedAt, survivedClient, survivedServer, sent, sent, connection, connectionAge);

    [Theory]
    [InlineData(1)]
    [InlineData(10)]
    [InlineData(30)]
    public void Detector_AFiveSecondCut_IsFound_AtAnyMessageInterval(double intervalS)
    {
        // A 5 s both-quiet cut (fired up to 0.8 s late). At a 1 s interval the streams went quiet after 3 s
        // (gaps of 1 s survived); at 10 and 30 s every stream died at its first gap (nothing survived).
        var random = new Random(3);
        var survived = intervalS < 5 ? intervalS : 0;
        var ends = Enumerable.Range(0, 40).Select(_ => 5 + (random.NextDouble() * 0.8))
            .Select(q => Lived("rst:PROTOCOL_ERROR", q + Math.Min(3, intervalS), q, q, survived, survived * 0.99)).ToList();
        var interval = TimeSpan.FromSeconds(intervalS);

        var d = Assert.Single(TimeoutDetector.Detect(ends, TimeoutDetector.MinQuiet(interval, 5, 1)));

        Assert.Equal(("both-quiet", "rst:PROTOCOL_ERROR"), (d.Direction, d.Cause));
        Assert.InRange(d.Seconds, 5.0, 5.2);
        // The old rule (a floor of two message intervals) missed it at 10 s and 30 s: only files without survived gaps use it now.
        var withoutSurvivors = ends.Select(e => e with { SurvivedClientQuietS = double.NaN, SurvivedServerQuietS = double.NaN }).ToList();
        Assert.Equal(intervalS < 5, TimeoutDetector.Detect(withoutSurvivors, TimeoutDetector.MinQuiet(interval, 5, 1)).Any(x => x.Direction == "both-quiet"));
    }

    [Fact]
    public void Detector_APerConnectionCut_CountsTheLeastQuietStreamOfItsBatch()
    {
        // Measured on NGINX 1.22 (client_body_timeout 5s, a message every 30 s, 19 streams on one connection): four
        // streams sent their second message 0.5-3.5 s in, re-arming the connection; all 19 were cut at one moment,
        // 5.6 s after the last frame — most of them 9 s quiet. The lowest 80% window said 7.8 s; the batch says 5.6 s.
        double[] clientQuiet = [5.569, 7.808, 8.213, 8.643, .. Enumerable.Range(0, 15).Select(i => 9.0 + (i * 0.013))];
        double[] survived = [3.457, 1.345, 0.98, 0.51, .. Enumerable.Repeat(0.0, 15)];
        var ends = clientQuiet.Select((q, i) => Lived("rst:PROTOCOL_ERROR", 9.0 + (i * 0.01), q, q - 0.001, survived[i], survived[i], sent: survived[i] > 0 ? 2 : 1, connection: 1, endedAt: 1000.0 + (i * 0.001))).ToList();

        var d = Assert.Single(TimeoutDetector.Detect(ends));

        Assert.Equal(("both-quiet", "rst:PROTOCOL_ERROR"), (d.Direction, d.Cause));
        Assert.InRange(d.Seconds, 5.5, 5.6);
    }

    [Fact]
    public void Detector_MassResetOfStretchedTraffic_NoClaim_BecauseSurvivorsHadTheSameQuiet()
    {
        // 5,000 streams at 1 msg/s behind a seconds-long latency tail, all reset at once: the server had been
        // quiet 2.2-3.8 s on each — and over their lives the streams had lived through server gaps that long.
        var random = new Random(7);
        var ends = Enumerable.Range(0, 5000).Select(i => Lived("rst:INTERNAL_ERROR", 10 + (i * 0.001), random.NextDouble() * 1.8, 2.2 + (random.NextDouble() * 1.6),
            survivedClient: 1.2 + (random.NextDouble() * 0.6), survivedServer: 2.6 + (random.NextDouble() * 1.6))).ToList();

        Assert.Empty(TimeoutDetector.Detect(ends));

        // Seen in StreamEndTests: 5,000 streams at 1 msg/s reset at once, the resets read up to 1.5 s late by a busy
        // client — server quiet 0.5-2.0 s clusters at 0.5 s, but every stream had lived through ~1 s gaps.
        var readLate = Enumerable.Range(0, 5000).Select(i => Lived("rst:INTERNAL_ERROR", 10 + (i * 0.001), random.NextDouble(), 0.5 + (random.NextDouble() * 1.5),
            survivedClient: 1.0, survivedServer: 1.0 + (random.NextDouble() * 0.3))).ToList();
        Assert.Empty(TimeoutDetector.Detect(readLate));

        // The same ends where no stream had lived through such a quiet: a server-quiet timer at 2.2 s.
        var fast = ends.Select(e => e with { SurvivedServerQuietS = 1.1 }).ToList();
        var d = Assert.Single(TimeoutDetector.Detect(fast));
        Assert.Equal("server-quiet", d.Direction);
        Assert.InRange(d.Seconds, 2.2, 2.5);
    }

    [Fact]
    public void Detector_EndsAfterFiveMessages_IsAMessageLimit_NotAnAgeTimeout()
    {
        // The server ends each stream with ResourceExhausted right after its 5th message, at 1 msg/s: ages
        // cluster at 4-5 s too (an age claim before), but the count explains the ends and each end follows the 5th send.
        var random = new Random(11);
        // Each stream's phase (its first gap, 0-1 s) spreads the lifetimes; the end comes a round trip after the 5th send.
        var ends = Enumerable.Range(0, 30).Select(_ => Lived("server-status:ResourceExhausted", 4 + random.NextDouble(), 0.002 + (random.NextDouble() * 0.003), 0.001, 1.0, 1.0, sent: 5)).ToList();

        var (timeouts, limits) = TimeoutDetector.Analyse(ends);

        Assert.Empty(timeouts);
        var l = Assert.Single(limits);
        Assert.Equal((DetectedLimit.Messages, 5.0, "server-status:ResourceExhausted", 30L), (l.Kind, l.Value, l.Cause, l.Count));
        Assert.Equal("ends after 5 messages → server-status:ResourceExhausted", l.Text);
    }

    [Fact]
    public void Detector_ALateClientsExtraSends_StillReadAsTheMessageLimit()
    {
        // Measured in the keepalive churn test on a loaded machine: a server ending streams after 4 messages (300 ms
        // apart), the client late to read the ends — it sent on schedule meanwhile: 4×201, 5×24, 6×4; each end still
        // follows the last send within milliseconds while the lifetimes spread over half a second.
        var random = new Random(17);
        var ends = new[] { (4, 201), (5, 24), (6, 4) }
            .SelectMany(c => Enumerable.Range(0, c.Item2).Select(_ => Lived("server-status:OK", 0.63 + (random.NextDouble() * 0.5), random.NextDouble() * 0.007, 0.001, 0.3, 0.3, sent: c.Item1)))
            .ToList();

        var (timeouts, limits) = TimeoutDetector.Analyse(ends);

        Assert.Empty(timeouts);
        var l = Assert.Single(limits);
        Assert.Equal("ends after 4 messages → server-status:OK", l.Text);
    }

    [Fact]
    public void Detector_AnAgeLimitWithTwoCounts_IsNotAMessageLimit()
    {
        // Cut at 1.0 s with a message every 300 ms: each stream's phase decides whether it got 4 sends in or 3, and the
        // time since its last send spreads over the interval while the ages stay tight: the clock, not a count.
        var random = new Random(19);
        var ends = Enumerable.Range(0, 60).Select(_ => random.NextDouble() * 0.3)
            .Select(phase => Lived("rst:NO_ERROR", 1.0 + (random.NextDouble() * 0.01), (1.0 - phase) % 0.3, 0.001, 0.3, 0.3, sent: phase < 0.1 ? 4 : 3)).ToList();

        var (timeouts, limits) = TimeoutDetector.Analyse(ends);

        Assert.Empty(limits);
        Assert.Equal(("age", 1.0), (Assert.Single(timeouts).Direction, Assert.Single(timeouts).Seconds));
    }

    [Fact]
    public void Detector_AMaxStreamDuration_UnderLoad_WhereLifetimesSpreadMoreThanTheLastSend_StaysAnAge()
    {
        // A 2 s max stream duration, a message every 100 ms, on a loaded machine: the client saw the lifetimes spread over
        // ~150 ms (header and reset delivery late), more than the ~80 ms the time since the last send spread over — but that
        // spread covers most of the interval: a clock cut the streams at every phase. (Seen as "ends after 21 messages".)
        var random = new Random(23);
        var ends = Enumerable.Range(0, 20).Select(_ => random.NextDouble() * 0.1)
            .Select(q => Lived("rst:NO_ERROR", 1.9 + (random.NextDouble() * 0.2), q, q, 0.1, 0.1, sent: 21)).ToList();

        var (timeouts, limits) = TimeoutDetector.Analyse(ends);

        Assert.Empty(limits);
        Assert.Equal("age", Assert.Single(timeouts).Direction);
    }

    [Fact]
    public void Detector_WithPhasesRecorded_TellsACountFromAnAge_EvenWhenALoadedClientBlursBothClocks()
    {
        // A loaded client: the ends are read 0–150 ms late and the last sends bunch up just before (0–5 ms quiet) in both
        // cases. A 2 s max stream duration at 100 ms: 21 sends each, the lifetime is 2 s plus the lateness whatever the
        // phase. A server ending after 4 messages at 300 ms: the lifetime is the phase + 0.9 s plus the lateness.
        var random = new Random(29);
        EndSample Late(string cause, double phase, double life, long sent) =>
            Lived(cause, life + (random.NextDouble() * 0.15), random.NextDouble() * 0.005, 0.001, 0.1, 0.1, sent: sent) with { PhaseS = phase };
        var age = Enumerable.Range(0, 30).Select(_ => random.NextDouble() * 0.1).Select(p => Late("rst:NO_ERROR", p, 2.0, 21)).ToList();
        var count = Enumerable.Range(0, 60).Select(_ => random.NextDouble() * 0.3).Select(p => Late("server-status:OK", p, p + 0.9, p < 0.05 ? 5 : 4)).ToList();

        var (ageTimeouts, ageLimits) = TimeoutDetector.Analyse(age);
        var (countTimeouts, countLimits) = TimeoutDetector.Analyse(count);

        Assert.Empty(ageLimits);
        Assert.Equal("age", Assert.Single(ageTimeouts).Direction);
        Assert.Empty(countTimeouts);
        Assert.Equal("ends after 4 messages → server-status:OK", Assert.Single(countLimits).Text);
    }

    [Fact]
    public void Detector_AMaxStreamDuration_StaysAnAgeTimeout_EvenWhereTheCountsAgree()
    {
        // Cut at 2.5 s of age with a message every 200 ms: all 13 sends in — the same count everywhere — but each
        // stream's phase puts its last send anywhere in the 200 ms before the cut: the age is tight, the quiet is not.
        var random = new Random(13);
        var ends = Enumerable.Range(0, 30).Select(_ => random.NextDouble() * 0.2)
            .Select(q => Lived("rst:NO_ERROR", 2.5 + (random.NextDouble() * 0.02), q, q, 0.2, 0.2, sent: 13)).ToList();

        var (timeouts, limits) = TimeoutDetector.Analyse(ends);

        Assert.Empty(limits);
        var d = Assert.Single(timeouts);
        Assert.Equal(("age", 2.5), (d.Direction, d.Seconds));
    }

    [Fact]
    public void Detector_MoreConnectionsThanPlanned_WithNoneEnded_IsTheServersConcurrentStreamLimit_PerRound()
    {
        // 2 rounds of 50 streams, each round planned 1 connection of 100 and opened 5: the server allows 10 per connection.
        var closed = Enumerable.Range(0, 100).Select(i => Lived("client-closed", 4, 0.1, 0.1, 0.2, 0.2, planned: true, connection: 1 + (i / 10))).ToList();

        var spread = TimeoutDetector.Analyse(closed, churn: new ConnectionChurn(2, 10, 100, PeakActive: 50, PerConnection: 100, Rounds: 2));
        var asPlanned = TimeoutDetector.Analyse(closed, churn: new ConnectionChurn(2, 2, 100, PeakActive: 50, PerConnection: 100, Rounds: 2));
        var replaced = TimeoutDetector.Analyse([.. closed, .. Enumerable.Range(0, 5).Select(i => Lived("connection-lost", 2, 0.1, 0.1, 0.2, 0.2, connection: 11 + i))],
            churn: new ConnectionChurn(2, 10, 105, PeakActive: 50, PerConnection: 100, Rounds: 2));

        var l = Assert.Single(spread.Limits);
        Assert.Equal((DetectedLimit.ConcurrentStreams, 10.0), (l.Kind, l.Value));
        Assert.Contains("10 TCP connections for 2 planned over 2 rounds to carry 50 streams", l.Text, StringComparison.Ordinal);
        Assert.Empty(asPlanned.Limits);
        // Connections replaced because they broke are not the server's stream limit.
        Assert.DoesNotContain(replaced.Limits, x => x.Kind == DetectedLimit.ConcurrentStreams);
    }

    [Fact]
    public void Detector_ConnectionsTheServerEnds_AreAConnectionLimit_NeverAnAgeTimeout()
    {
        // keepalive_requests 20 under churn: GOAWAY(NO_ERROR) every 20 streams; the streams it cut had lived ~2.8 s.
        var ends = Enumerable.Range(0, 12).Select(i => Lived("goaway:NO_ERROR", 2.8 + (i * 0.01), 0.05, 0.05, 0.1, 0.1, sent: 28, connection: 1 + (i / 4), endedAt: 100 + (i / 4 * 3.0), connectionAge: 3.0 + (i * 0.01))).ToList();

        var churned = TimeoutDetector.Analyse(ends, churn: new ConnectionChurn(2, 30, 600));
        var notChurned = TimeoutDetector.Analyse(ends, churn: new ConnectionChurn(2, 2, 600));

        Assert.Empty(churned.Timeouts);
        var l = Assert.Single(churned.Limits);
        Assert.Equal((DetectedLimit.Connection, 20.0, "goaway:NO_ERROR"), (l.Kind, l.Value, l.Cause));
        Assert.Contains("30 TCP connections for 2 planned, about 20 streams per connection, each at about 3 s of age", l.Text, StringComparison.Ordinal);
        Assert.Equal(3.0, l.ConnectionAgeS);
        // Connections that were never replaced limit nothing; the GOAWAY ends still claim no stream timeout.
        Assert.Empty(notChurned.Timeouts);
        Assert.Empty(notChurned.Limits);
    }

    [Fact]
    public void Detector_ARequestCountLimit_SaysTheCount_AndNothingAboutAge()
    {
        // Four connections ended after exactly 20 streams each, at ages that spread (1 s to 6 s): the count is the clock.
        double[] ages = [1.0, 2.5, 4.0, 6.0];
        var ends = Enumerable.Range(0, 80).Select(i => Lived("goaway:NO_ERROR", 0.5, 0.05, 0.05, 0.1, 0.1, sent: 3, connection: 1 + (i / 20), endedAt: 100 + (i / 20 * 7.0), connectionAge: ages[i / 20])).ToList();

        var l = Assert.Single(TimeoutDetector.Analyse(ends, churn: new ConnectionChurn(1, 4, 80)).Limits);

        Assert.Contains("each after 20 streams: a request-count limit", l.Text, StringComparison.Ordinal);
        Assert.DoesNotContain("of age", l.Text, StringComparison.Ordinal);
        Assert.Null(l.ConnectionAgeS);
    }

    private static IntervalRecord Interval(string phase, HoldRecord? hold, long waitedForSlot = 0) => new()
    {
        Topology = "t",
        Start = DateTimeOffset.UnixEpoch,
        End = DateTimeOffset.UnixEpoch.AddSeconds(10),
        Phase = phase,
        Hold = hold,
        WaitedForSlot = waitedForSlot,
    };

    private static TopologySummary Summarise(params IntervalRecord[] intervals) => TopologySummaryBuilder.Build(new TopologyInputs
    {
        Name = "t",
        Address = "http://127.0.0.1:1",
        Intervals = intervals,
        Histograms = new Dictionary<string, HdrHistogram.HistogramBase>(),
        Ends = [],
    });

    [Fact]
    public void Population_IsTheTimeWeightedShareOfWantedDuringHolds_WithTheBackoffHint()
    {
        // 100 wanted for 20 s of hold: 10 s fully held, 10 s at a mean of 56 open (lowest 40) while lost streams waited out their backoff.
        var t = Summarise(
            Interval("ramp 1/3", null),
            Interval("hold 2/3", new HoldRecord(10, 1000, 1000, 1.0, 0)),
            Interval("hold 2/3", new HoldRecord(10, 1000, 560, 0.4, 9.5) { ShortS = 10 }));

        var p = t.Population!;
        Assert.Equal((20.0, 100.0, 78.0, 0.78, 0.4), (p.HoldS, p.WantedMean, p.HeldMean, p.HeldShare, p.MinShare));
        Assert.Contains("reconnect backoff", p.Hint, StringComparison.Ordinal);
        Assert.Equal("held 78% of 100 wanted (lowest 40%)", p.Describe());
        Assert.Contains("t: population held 78% of 100 wanted (lowest 40%) — short of wanted 48% of the hold", Assert.Single(SummaryTable.Notes(new RunSummary { RunId = "r", Scenario = "s", StartedAt = DateTimeOffset.UnixEpoch, EndedAt = DateTimeOffset.UnixEpoch, Verdict = RunVerdict.Pass, Topologies = [t] })), StringComparison.Ordinal);

        var r = ThresholdEvaluator.Evaluate([Thresholds.Parse("population > 95%")!, Thresholds.Parse("population > 75%")!], [t]);
        Assert.Equal([(78.0, false), (78.0, true)], r.Select(x => (x.Actual!.Value, x.Passed)));
        Assert.Equal("% of wanted", r[0].Unit);

        // Held in full: no hint, no note. No hold phase at all: nothing measured, and the threshold fails.
        Assert.Null(Summarise(Interval("hold 2/3", new HoldRecord(10, 1000, 1000, 1.0, 0))).Population!.Hint);
        var none = Summarise(Interval("ramp 1/1", null));
        Assert.Null(none.Population);
        Assert.False(Assert.Single(ThresholdEvaluator.Evaluate([Thresholds.Parse("population > 95%")!], [none])).Passed);
        // Short without backoff but with slot waits: the pool is named.
        Assert.Contains("pool slot", Summarise(Interval("hold 2/3", new HoldRecord(10, 1000, 800, 0.7, 0), waitedForSlot: 40)).Population!.Hint, StringComparison.Ordinal);
    }

    [Fact]
    public void Detector_NoCluster_NoClaim()
    {
        var random = new Random(1);
        var spread = Enumerable.Range(0, 50).Select(_ => End("connection-lost", random.NextDouble() * 100, random.NextDouble() * 30, random.NextDouble() * 30)).ToList();
        var planned = Enumerable.Range(0, 50).Select(_ => End("client-closed", 60, 5, 5, planned: true)).ToList();
        var tooFew = new[] { End("rst:CANCEL", 100, 100, 100), End("rst:CANCEL", 100, 100, 100) };

        Assert.Empty(TimeoutDetector.Detect([.. spread, .. planned, .. tooFew]));
    }

    [Fact]
    public void Detector_EndsAtOneMoment_WithSpreadAges_AreAMassEvent_NotAnAgeTimeout()
    {
        // 30 streams opened over a 3 s ramp, all dropped at one moment (a gateway drain): ages 2..5 s.
        var drained = Enumerable.Range(0, 30).Select(i => new EndSample("connection-lost", 5 - (i / 10.0), 0.05, 0.05, false, EndedAtS: 100 + (i * 0.001))).ToList();
        // Each stream ended at its own open time + 2 s: that is an age limit.
        var aged = Enumerable.Range(0, 30).Select(i => new EndSample("rst:NO_ERROR", 2 + (i * 0.001), 0.05, 0.05, false, EndedAtS: 100 + (i / 10.0) + 2)).ToList();
        // Opened together, cut by one timer at 2.5 s, headers seen up to 0.5 s late: ages 2.0..2.5, ends at one moment — still an age limit.
        var jittery = Enumerable.Range(0, 30).Select(i => new EndSample("rst:INTERNAL_ERROR", 2.5 - (i / 60.0), 0.05, 0.05, false, EndedAtS: 100 + (i * 0.001))).ToList();

        var found = TimeoutDetector.Detect([.. drained, .. aged, .. jittery]);

        Assert.Equal([("age", "rst:INTERNAL_ERROR"), ("age", "rst:NO_ERROR")], found.Select(d => (d.Direction, d.Cause)).Order());
    }

    [Fact]
    public void Backoff_FollowsGrpcDefaults_WithinJitter()
    {
        var policy = new ReconnectPolicy();
        var random = new Random(3);
        for (var attempt = 0; attempt < 15; attempt++)
        {
            var bare = Math.Min(Math.Pow(1.6, attempt), 120);
            var d = policy.Delay(attempt, random).TotalSeconds;
            Assert.InRange(d, bare * 0.8, bare * 1.2);
        }
    }
}
