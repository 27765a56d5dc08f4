using LoadGen.Results;

namespace LoadGen.Reports;

/// <summary>The decision rules: a figure's verdict from its interval and margin, the headline from the primary figures, the primary level.</summary>
public sealed partial record TopologyComparison
{
    /// <summary>The headline from the primary figures' verdicts: worse if any is worse, else better if any is better, else equivalent if all are, else inconclusive.</summary>
    public static ComparisonVerdict HeadlineOf(IReadOnlyList<ComparisonVerdict> primary)
    {
        ArgumentNullException.ThrowIfNull(primary);
        return primary.Count == 0 ? ComparisonVerdict.Inconclusive
            : primary.Contains(ComparisonVerdict.Worse) ? ComparisonVerdict.Worse
            : primary.Contains(ComparisonVerdict.Better) ? ComparisonVerdict.Better
            : primary.All(v => v == ComparisonVerdict.Equivalent) ? ComparisonVerdict.Equivalent
            : ComparisonVerdict.Inconclusive;
    }

    /// <summary>
    /// A latency figure's verdict from its interval and margin (ms): equivalent when the whole interval
    /// lies in ±margin; else worse (better) when it lies beyond zero — beyond the margin for
    /// <see cref="DeltaBasis.Batches"/>, whose interval lacks between-run variation; else inconclusive.
    /// </summary>
    /// <param name="lateness">The saturated generator's own lateness (send lag p99, ms; 0 when it kept up): a difference no larger is not claimed.</param>
    public static ComparisonVerdict Decide(Estimate d, double margin, DeltaBasis basis, double lateness = 0)
    {
        ArgumentNullException.ThrowIfNull(d);
        var claimAt = Math.Max(basis == DeltaBasis.Batches ? margin : 0, lateness);
        return !d.Bounded ? ComparisonVerdict.Inconclusive
            : d.Low >= -margin && d.High <= margin ? ComparisonVerdict.Equivalent
            : d.Low > claimAt ? ComparisonVerdict.Worse
            : d.High < -claimAt ? ComparisonVerdict.Better
            : ComparisonVerdict.Inconclusive;
    }

    /// <summary>
    /// A rate ratio's verdict: equivalent when its interval lies in [1/r, r] or both rates are shown
    /// below the floor (<paramref name="bothRare"/>); worse (better) beyond 1 — beyond r for batches.
    /// </summary>
    public static ComparisonVerdict DecideRate(Estimate ratio, double r, bool bothRare, DeltaBasis basis)
    {
        ArgumentNullException.ThrowIfNull(ratio);
        var claim = basis == DeltaBasis.Batches ? r : 1;
        return bothRare || (ratio.Low >= 1 / r && ratio.High <= r) ? ComparisonVerdict.Equivalent
            : ratio.Low > claim ? ComparisonVerdict.Worse
            : ratio.High < 1 / claim ? ComparisonVerdict.Better
            : ComparisonVerdict.Inconclusive;
    }

    /// <summary>The interval level of each primary figure: 1 − 5%/m.</summary>
    public static double PrimaryLevel(ComparisonSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        return 1 - (FamilyError / Math.Max(1, settings.Primary.Count));
    }
}
