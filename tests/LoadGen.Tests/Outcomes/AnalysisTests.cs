using LoadGen.Core.Engine;
using LoadGen.Core.Results;
using LoadGen.Core.Scenarios;

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
        Assert.InRange(d.Seconds, 5.0, 5.2);
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
        Assert.Equal(("age", 120.2), (d.Direction, d.Seconds));
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
