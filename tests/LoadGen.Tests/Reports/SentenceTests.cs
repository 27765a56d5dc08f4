using LoadGen.Reports;
using LoadGen.Results;

namespace LoadGen.Tests.Reports;

/// <summary>The one sentence a reviewer quotes: short, first, the sides named by role, and one reason when it cannot tell.</summary>
public class SentenceTests
{
    private static Side Side(string path, string label) => GeneratorGuardTests.Side(path, label);

    private static void Short(TopologyComparison c) =>
        Assert.True(c.Sentence.Length <= TopologyComparison.SentenceLimit, $"{c.Sentence.Length} characters: {c.Sentence}");

    [Fact]
    public void AWorseCandidate_IsSaidInOneShortSentence_WithTheFigureAndItsInterval()
    {
        var c = TopologyComparison.Compare(
            Side(ReportTests.SyntheticRun("a", seed: 81, tailShiftMs: 0, sendLag: (0.3, 60)), "direct-tls"),
            Side(ReportTests.SyntheticRun("b", seed: 82, tailShiftMs: 0, p50ShiftMs: 5, sendLag: (0.3, 60)), "gateway"));

        Assert.Matches(@"^gateway \(candidate\) is worse than direct-tls \(baseline\): p50 \+5\.\d+ ms \[\+\d\.\d+ ms, \+\d\.\d+ ms\]$", c.Sentence);
        Short(c);
        // The long form, every primary figure's reading, stays below it.
        Assert.Contains("p99", c.Verdict, StringComparison.Ordinal);
    }

    [Fact]
    public void CannotTell_GivesTheOneReason_AndWhatTheDecidedFiguresSaid()
    {
        // The candidate's generator lagged 60 ms at p99 (the baseline's kept up): p99 cannot be judged; p50 can.
        var c = TopologyComparison.Compare(
            Side(ReportTests.SyntheticRun("a", seed: 83, tailShiftMs: 0, sendLag: (0.2, 4)), "before"),
            Side(ReportTests.SyntheticRun("b", seed: 84, tailShiftMs: 0, sendLag: (0.3, 60)), "after"),
            new ComparisonSettings { Primary = [ComparisonSettings.P50, ComparisonSettings.P99] });

        Assert.Equal("cannot tell whether after (candidate) is better or worse than before (baseline): LoadGen's own send lag hides p99; p50 equivalent", c.Sentence);
        Short(c);

        // With unplanned ends primary too (none on either side in 17 stream-hours, a 30 s hold of 2,000 streams: too few to
        // bound them), each
        // undecided figure is named under its own reason, and run ids of the usual length still fit.
        var both = TopologyComparison.Compare(
            Side(ReportTests.SyntheticRun("a", seed: 83, tailShiftMs: 0, sendLag: (0.2, 4), streamHours: 17), "20261208-024944-aa-run/a"),
            Side(ReportTests.SyntheticRun("b", seed: 84, tailShiftMs: 0, sendLag: (0.3, 60), streamHours: 17), "20261208-025023-aa-run/a"));
        Assert.EndsWith(": LoadGen's own send lag hides p99; unplanned-ends needs more data; p50 equivalent", both.Sentence, StringComparison.Ordinal);
        Short(both);
    }

    [Fact]
    public void SeveralBaselineRuns_AreCounted_AndNoDifferenceIsSaidSo()
    {
        var bases = Enumerable.Range(91, 3).Select(seed => Side(ReportTests.SyntheticRun($"b{seed}", seed, tailShiftMs: 0), "release-41")).ToList();
        var candidate = Side(ReportTests.SyntheticRun("cand", seed: 94, tailShiftMs: 0), "release-42");

        var c = TopologyComparison.Compare(bases, candidate, new ComparisonSettings { Primary = [ComparisonSettings.P50] });

        Assert.Equal("release-42 (candidate) is equivalent to release-41 (3 baseline runs): no difference larger than the margins (p50)", c.Sentence);
        Short(c);
    }
}
