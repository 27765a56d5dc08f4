using LoadGen.Core.Engine;
using LoadGen.Core.Scenarios;
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
        var ends = Enumerable.Range(0, 10).Select(i => End("goaway:NO_ERROR", 120 + (i * 0.05), 0.2, 0.3)).ToList();
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
