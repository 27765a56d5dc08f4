using LoadGen.Core.Engine;
using LoadGen.Core.Metrics;
using LoadGen.Results;
using LoadGen.Results.Analysis;

namespace LoadGen.Tests.Engine;

public class EndSampleReservoirTests
{
    [Fact]
    public void PastTheCap_MemoryStaysFlat_TheSampleStaysUniform_AndStreamHoursStayExact()
    {
        var m = new TopologyMetrics("t");
        var total = 2 * TopologyMetrics.MaxEndSamples + (TopologyMetrics.MaxEndSamples / 2);
        var lifetimes = 0.0;
        for (var i = 0; i < total; i++)
        {
            // The later half of a soak ends differently (say, a new timeout appeared): it must be seen.
            var late = i >= total / 2;
            m.Sample(new EndSample(late ? "rst:NO_ERROR" : "rst:CANCEL", i % 100, 0.1, 0.1, Planned: false));
            lifetimes += i % 100;
        }

        var sample = m.EndSamples;
        Assert.Equal(TopologyMetrics.MaxEndSamples, sample.Count);
        Assert.Equal(total, m.EndsSeen);
        Assert.Equal(lifetimes, m.LifetimeSeconds);
        // Keeping only the first ends would hold no late one; a uniform sample holds about half.
        var lateShare = sample.Count(e => e.Cause == "rst:NO_ERROR") / (double)sample.Count;
        Assert.InRange(lateShare, 0.48, 0.52);
    }
}
