using System.Globalization;
using LoadGen.Results;
using LoadGen.Results.Analysis;

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
    /// <param name="lateness">The generator's own lateness at the figure's quantile (its send lag there, ms, the larger of the two sides): a difference no larger is not claimed.</param>
    /// <param name="lagGap">
    /// How far the two sides' send lags at that quantile differ (ms): the generator alone moved one side's figure that much
    /// more than the other's, so when it exceeds the margin, equivalence is not claimed either — a lag gap larger than the
    /// margin can hide a difference as well as make one. Equal lags cancel in the difference.
    /// </param>
    public static ComparisonVerdict Decide(Estimate d, double margin, DeltaBasis basis, double lateness = 0, double lagGap = 0)
    {
        ArgumentNullException.ThrowIfNull(d);
        var claimAt = Math.Max(basis == DeltaBasis.Batches ? margin : 0, lateness);
        return !d.Bounded ? ComparisonVerdict.Inconclusive
            : d.Low >= -margin && d.High <= margin ? (lagGap <= margin ? ComparisonVerdict.Equivalent : ComparisonVerdict.Inconclusive)
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

    /// <summary>
    /// The margin of a latency figure in ms, the same whichever side is the baseline: a percentage of the smaller of the two
    /// values, so A→B and B→A judge alike and a side the generator inflated does not widen its own margin.
    /// </summary>
    public static double MarginFor(Margin margin, double? a, double? b)
    {
        ArgumentNullException.ThrowIfNull(margin);
        return margin.For(a is { } x && b is { } y ? Math.Min(x, y) : a ?? b);
    }

    /// <summary>
    /// The sides whose generator was saturated (send lag p99 at or above <see cref="GeneratorHealth.SaturatedSendLagMs"/>), named
    /// with their lag; null when none was. A gate is never passed on such numbers, whatever a single figure shows.
    /// </summary>
    public static string? SaturatedSides(IEnumerable<Side> sides)
    {
        ArgumentNullException.ThrowIfNull(sides);
        var named = sides.Where(x => GeneratorHealth.Lateness(x.Topology) > 0)
            .Select(x => string.Create(CultureInfo.InvariantCulture, $"{x.Label} (send lag p99 {x.Topology.SendLagMs.P99:0.#} ms{(x.Run.Summary.Generator?.Cause is { } cause ? $"; {cause}" : "")})")).ToList();
        return named.Count == 0 ? null : $"LoadGen was saturated on {string.Join(" and ", named)}";
    }

    /// <summary>The interval level of each primary figure: 1 − 5%/m.</summary>
    public static double PrimaryLevel(ComparisonSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        return 1 - (FamilyError / Math.Max(1, settings.Primary.Count));
    }
}
