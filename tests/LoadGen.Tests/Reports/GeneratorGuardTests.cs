using LoadGen.Reports;
using LoadGen.Results;

namespace LoadGen.Tests.Reports;

/// <summary>
/// The generator's own lag, judged per quantile and both ways: what it explains at a figure's quantile is not the path's,
/// a lag larger than the margin shows neither a difference nor its absence, a saturated side never passes a gate, and
/// which run is called the baseline does not change the margins.
/// </summary>
public class GeneratorGuardTests
{
    /// <summary>A run folder's first topology as a side of a comparison.</summary>
    internal static Side Side(string path, string label)
    {
        var run = RunData.Load(path);
        return new Side(label, run, run.Summary.Topologies[0]);
    }

    [Fact]
    public void AP50ShiftFarAboveTheGeneratorsP50Lag_IsDecided_WhileItsP99LagIsHigh()
    {
        // Both generators late at p99 (60 ms: "saturated") but not at p50 (0.3 ms); the candidate's replies 5 ms slower.
        var a = Side(ReportTests.SyntheticRun("a", seed: 31, tailShiftMs: 0, sendLag: (0.3, 60)), "before");
        var b = Side(ReportTests.SyntheticRun("b", seed: 32, tailShiftMs: 0, p50ShiftMs: 5, sendLag: (0.3, 60)), "after");

        var c = TopologyComparison.Compare(a, b);

        var p50 = c.Figures.Single(f => f.Figure == ComparisonSettings.P50);
        Assert.True(p50.Verdict == ComparisonVerdict.Worse, p50.Reading);
        Assert.InRange(p50.Delta!.Value, 4.5, 5.5);
        // p99: the 60 ms lag there is larger than any difference the run could show — neither worse nor equivalent.
        var p99 = c.Figures.Single(f => f.Figure == ComparisonSettings.P99);
        Assert.True(p99.Verdict == ComparisonVerdict.Inconclusive, p99.Reading);
        Assert.Contains("generator lag", p99.Reading, StringComparison.Ordinal);
        // And the advice is a generator that keeps up, never a longer run of this one.
        Assert.Contains("a longer run of this generator will not settle it", p99.Resolve, StringComparison.Ordinal);
        Assert.Equal(ComparisonVerdict.Worse, c.Headline);
    }

    [Theory]
    [InlineData(ComparisonGate.NotWorse)]
    [InlineData(ComparisonGate.Equivalent)]
    public void ASaturatedCandidate_NeverPassesAGate_EvenWhenItsFigureLooksEquivalent(ComparisonGate gate)
    {
        // No difference in the replies; the candidate's generator lagged 232 ms at p99, little at p50 — the case:
        // '--primary p50 --gate not-worse' passed with it.
        var a = Side(ReportTests.SyntheticRun("a", seed: 41, tailShiftMs: 0, sendLag: (0.2, 4)), "before");
        var b = Side(ReportTests.SyntheticRun("b", seed: 42, tailShiftMs: 0, sendLag: (0.3, 232)), "after");
        var settings = new ComparisonSettings { Primary = [ComparisonSettings.P50], Gate = gate };

        var c = TopologyComparison.Compare(a, b, settings);

        Assert.False(c.Gate.Passed, c.Gate.Text);
        Assert.Contains("LoadGen was saturated on after (send lag p99 232", c.Gate.Text, StringComparison.Ordinal);
        Assert.True(c.GateFailed);
        // The same pair with a generator that kept up passes: the guard, not the data, failed the gate above.
        var kept = Side(ReportTests.SyntheticRun("b2", seed: 42, tailShiftMs: 0, sendLag: (0.3, 4)), "after");
        Assert.True(TopologyComparison.Compare(a, kept, settings).Gate.Passed);
    }

    [Fact]
    public void ALagGapLargerThanTheMargin_ShowsNoEquivalence_AndNoNotWorse_EqualLagsCancel()
    {
        // Identical replies; one generator 3 ms late at p50, the other 0.2 ms (margin 0.5 ms): a 2.8 ms gap the generator
        // made could hide a path difference of that size.
        var a = Side(ReportTests.SyntheticRun("a", seed: 51, tailShiftMs: 0, sendLag: (0.2, 4)), "before");
        var b = Side(ReportTests.SyntheticRun("b", seed: 52, tailShiftMs: 0, sendLag: (3, 10)), "after");

        var p50 = TopologyComparison.Compare(a, b).Figures.Single(f => f.Figure == ComparisonSettings.P50);

        Assert.True(p50.Verdict == ComparisonVerdict.Inconclusive, p50.Reading);
        Assert.False(p50.NotWorse);
        Assert.Contains("differs by 2.80 ms between the sides, more than the margin", p50.Reading, StringComparison.Ordinal);
        // Both generators 3 ms late: the same lag on both sides cancels in the difference, and equivalence can be shown.
        var c = Side(ReportTests.SyntheticRun("c", seed: 53, tailShiftMs: 0, sendLag: (3, 10)), "before");
        var same = TopologyComparison.Compare(c, b).Figures.Single(f => f.Figure == ComparisonSettings.P50);
        Assert.True(same.Verdict == ComparisonVerdict.Equivalent, same.Reading);
    }

    [Fact]
    public void AToB_AndBToA_UseTheSameMargins_AndMirrorTheirVerdicts()
    {
        // p99 about 45 ms against about 55 ms: a margin of 10% of the baseline alone was 4.5 ms one way, 5.5 ms the other.
        var slow = ReportTests.SyntheticRun("slow", seed: 61, tailShiftMs: 10);
        var fast = ReportTests.SyntheticRun("fast", seed: 62, tailShiftMs: 0);

        var forward = TopologyComparison.Compare(Side(fast, "fast"), Side(slow, "slow"));
        var backward = TopologyComparison.Compare(Side(slow, "slow"), Side(fast, "fast"));

        foreach (var figure in new[] { ComparisonSettings.P50, ComparisonSettings.P99, ComparisonSettings.P999 })
        {
            var (f, g) = (forward.Figures.Single(x => x.Figure == figure), backward.Figures.Single(x => x.Figure == figure));
            Assert.Equal(f.MarginValue, g.MarginValue);
            Assert.Equal(Mirror(f.Verdict), g.Verdict);
        }

        Assert.Equal(ComparisonVerdict.Worse, forward.Figures.Single(x => x.Figure == ComparisonSettings.P99).Verdict);
    }

    [Fact]
    public void TwoRunsThatCannotTell_AreAdvisedMoreBaselineRuns_NeverInterleavedRounds()
    {
        // A before/after pair cannot be interleaved: compare-runs' advice is more baseline runs or longer runs.
        var a = Side(ReportTests.SyntheticRun("a", seed: 71, tailShiftMs: 0), "before");
        var b = Side(ReportTests.SyntheticRun("b", seed: 72, tailShiftMs: 5), "after");

        var p99 = TopologyComparison.Compare(a, b).Figures.Single(f => f.Figure == ComparisonSettings.P99);

        Assert.True(p99.Verdict == ComparisonVerdict.Inconclusive, p99.Reading);
        Assert.Contains("more baseline runs (compare-runs BASE1 BASE2 BASE3 CANDIDATE", p99.Resolve, StringComparison.Ordinal);
        Assert.DoesNotContain("interleaved", p99.Resolve, StringComparison.Ordinal);
    }

    private static ComparisonVerdict Mirror(ComparisonVerdict v) => v switch
    {
        ComparisonVerdict.Worse => ComparisonVerdict.Better,
        ComparisonVerdict.Better => ComparisonVerdict.Worse,
        _ => v,
    };
}
