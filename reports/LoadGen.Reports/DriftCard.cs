using System.Globalization;
using LoadGen.Results;
using LoadGen.Results.Analysis;

namespace LoadGen.Reports;

/// <summary>
/// The "drift" card of every report: for each topology, whether each figure moved while the run held its population
/// (rising, falling, stable or cannot tell, with the slope's interval per hour), LoadGen's own send lag and memory
/// beside the path's figures so the generator's drift is not read as the path's.
/// </summary>
public static class DriftCard
{
    /// <summary>One row per figure, one column per topology; null when no topology had a hold phase.</summary>
    public static SummaryTable? Build(IReadOnlyList<TopologySummary> topologies)
    {
        ArgumentNullException.ThrowIfNull(topologies);
        if (topologies.All(t => t.Drift.Count == 0))
        {
            return null;
        }

        var rows = DriftResult.AllFigures.Select(f => (IReadOnlyList<string>)[
            f + (f is DriftResult.SendLagP99 or DriftResult.LoadGenRss ? " (LoadGen's own)" : ""),
            .. topologies.Select(t => t.Drift.FirstOrDefault(d => d.Figure == f) is { } d ? Cell(d) : "-")]).ToList();
        return new SummaryTable(["drift inside the run", .. topologies.Select(t => t.Name)], rows);
    }

    /// <summary>What a reader must not miss: a path figure that rose (or fell), and whether the generator's own figures did too.</summary>
    public static IReadOnlyList<string> Notes(IReadOnlyList<TopologySummary> topologies)
    {
        ArgumentNullException.ThrowIfNull(topologies);
        return [.. topologies.Select(DriftAnalysis.Note).OfType<string>()];
    }

    private static string Cell(DriftResult d)
    {
        if (d.SlopePerHour is not { } slope || d.Low is not { } low || d.High is not { } high)
        {
            return d.Points == 0 ? "not measured" : string.Create(CultureInfo.InvariantCulture, $"cannot tell ({d.Points} of {DriftAnalysis.MinBlocks} blocks needed)");
        }

        var word = d.Trend switch
        {
            DriftTrend.Rising => "rising",
            DriftTrend.Falling => "falling",
            DriftTrend.Stable => "stable",
            _ => "cannot tell",
        };
        return $"{word}: {Signed(slope)} {d.Unit}/h [{Signed(low)}, {Signed(high)}]";
    }

    private static string Signed(double x) => (x > 0 ? "+" : "") + DriftResult.Number(x);
}
