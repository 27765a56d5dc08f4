namespace LoadGen.Results.Analysis;

/// <summary>
/// Drift inside one run (docs/history.md): did a figure move while the run held its population? The hold-phase
/// intervals of a topology (each round's first dropped: the ramp's tail) are cut into at most <see cref="Blocks"/>
/// consecutive blocks — neighbouring intervals share queues and GC, blocks much less — and a Theil–Sen slope is fitted
/// over the blocks' values with the distribution-free interval from Kendall's S. A figure is rising (falling) only when
/// the interval's near end, times the run's span, still exceeds the figure's margin; stable when the whole interval
/// stays inside it; otherwise this run cannot tell. The false "rising" rate on flat runs is measured in bench/drift.
/// </summary>
public static class DriftAnalysis
{
    /// <summary>The most blocks a slope rests on.</summary>
    public const int Blocks = 12;

    /// <summary>Fewer blocks than this and the trend is "cannot tell".</summary>
    public const int MinBlocks = 6;

    /// <summary>z for the slope's two-sided 95% interval.</summary>
    private const double Z = 1.959963984540054;

    /// <summary>Every figure's drift for one topology (empty when it had no hold interval at all).</summary>
    public static IReadOnlyList<DriftResult> For(string topology, IReadOnlyList<IntervalRecord> intervals, ComparisonSettings? settings = null)
    {
        ArgumentNullException.ThrowIfNull(intervals);
        settings ??= new ComparisonSettings();
        var held = Held(intervals.Where(i => i.Topology == topology).ToList());
        if (held.Count == 0)
        {
            return [];
        }

        var blocks = Cut(held);
        var p50 = settings.MarginOf(ComparisonSettings.P50);
        var p99 = settings.MarginOf(ComparisonSettings.P99);
        var rate = settings.MarginOf(ComparisonSettings.UnplannedEnds);
        return
        [
            Fit(DriftResult.P50, "ms", blocks, b => Median(b.Select(i => i.P50Ms)), v => p50.For(v)),
            Fit(DriftResult.P99, "ms", blocks, b => Median(b.Select(i => i.P99Ms)), v => p99.For(v)),
            Fit(DriftResult.UnplannedEnds, "per 1000 stream-hours", blocks, Rate, v => Math.Max(rate.FloorPer1000h, (Math.Max(rate.Ratio, 1.01) - 1) * v)),
            Fit(DriftResult.SendLagP99, "ms", blocks, b => Median(b.Select(i => i.SendLagP99Ms)), v => p99.For(v)),
            Fit(DriftResult.LoadGenRss, "MB", blocks, b => Median(b.Select(i => i.LoadGenRssMb)), v => Math.Max(16, 0.1 * v)),
        ];
    }

    /// <summary>Runs shorter than this (in hours) are not warned of a drift: a soak's question, not a short run's.</summary>
    public const double WarnAfterH = 10.0 / 60;

    /// <summary>
    /// What a reader must not miss about a topology's drift: each path figure that rose (or fell), and whether LoadGen's
    /// own send lag rose with it (then the drift may be the generator's) or its memory; null when no path figure moved.
    /// </summary>
    public static string? Note(TopologySummary topology)
    {
        ArgumentNullException.ThrowIfNull(topology);
        var moved = topology.Drift.Where(d => !d.Generator && d.Trend is DriftTrend.Rising or DriftTrend.Falling).ToList();
        if (moved.Count == 0)
        {
            return null;
        }

        // LoadGen's send lag rising is its own lateness entering every latency figure; its memory rising is said beside it,
        // not blamed (a heap growing after start is normal for the first minutes, measured in bench/drift).
        var lag = topology.Drift.FirstOrDefault(d => d.Figure == DriftResult.SendLagP99 && d.Trend == DriftTrend.Rising);
        var rss = topology.Drift.FirstOrDefault(d => d.Figure == DriftResult.LoadGenRss && d.Trend == DriftTrend.Rising);
        var path = $"{topology.Name}: {string.Join("; ", moved.Select(d => d.Reading))}";
        var memory = rss is null ? "" : $"; LoadGen's own memory rose too ({rss.Reading})";
        return lag is not null
            ? $"{path} — but LoadGen's own send lag rose too ({lag.Reading}): the drift may be the generator's, not the path's{memory}"
            : $"{path} (LoadGen's own send lag did not rise: the path's){memory}";
    }

    /// <summary>
    /// The end-of-run warning for a soak (a hold of at least <see cref="WarnAfterH"/>) whose path figure rose while the
    /// population was held: a leak or a queue somewhere on the path, or the generator's own (said which).
    /// </summary>
    public static IEnumerable<string> Warnings(IEnumerable<TopologySummary> topologies)
    {
        ArgumentNullException.ThrowIfNull(topologies);
        foreach (var t in topologies)
        {
            if (t.Drift.Any(d => !d.Generator && d.Trend == DriftTrend.Rising && d.SpanH >= WarnAfterH) && Note(t) is { } note)
            {
                yield return $"drift while the population was held: {note}";
            }
        }
    }

    /// <summary>
    /// A Theil–Sen slope of (x, y) with the 95% interval from Kendall's S (ties not corrected: the interval errs wide).
    /// Null when fewer than two points differ in x.
    /// </summary>
    public static (double Slope, double Low, double High)? TheilSen(IReadOnlyList<(double X, double Y)> points)
    {
        ArgumentNullException.ThrowIfNull(points);
        var slopes = new List<double>();
        for (var i = 0; i < points.Count; i++)
        {
            for (var j = i + 1; j < points.Count; j++)
            {
                var dx = points[j].X - points[i].X;
                if (dx != 0)
                {
                    slopes.Add((points[j].Y - points[i].Y) / dx);
                }
            }
        }

        if (slopes.Count == 0)
        {
            return null;
        }

        slopes.Sort();
        var n = points.Count;
        var varS = n * (n - 1) * ((2.0 * n) + 5) / 18;
        var c = Z * Math.Sqrt(varS);
        var total = slopes.Count;
        var lower = (int)Math.Floor((total - c) / 2);
        var upper = (int)Math.Ceiling((total + c) / 2);
        return (MedianOfSorted(slopes), slopes[Math.Clamp(lower, 0, total - 1)], slopes[Math.Clamp(upper, 0, total - 1)]);
    }

    /// <summary>Hold-phase intervals, each round's first left out (streams still settling from the ramp).</summary>
    private static List<IntervalRecord> Held(List<IntervalRecord> intervals)
    {
        var hold = intervals.Where(i => i.Phase.StartsWith("hold", StringComparison.OrdinalIgnoreCase)).OrderBy(i => i.Start).ToList();
        var firsts = hold.GroupBy(i => i.Round ?? 0).Select(g => g.First()).ToHashSet();
        return hold.Count > MinBlocks ? hold.Where(i => !firsts.Contains(i)).ToList() : hold;
    }

    private static List<(double MidH, List<IntervalRecord> Items)> Cut(List<IntervalRecord> held)
    {
        var origin = held[0].Start;
        var count = Math.Min(Blocks, held.Count);
        var blocks = new List<(double, List<IntervalRecord>)>();
        for (var b = 0; b < count; b++)
        {
            var items = held.Skip(b * held.Count / count).Take(((b + 1) * held.Count / count) - (b * held.Count / count)).ToList();
            var mid = items[0].Start + ((items[^1].End - items[0].Start) / 2);
            blocks.Add(((mid - origin).TotalHours, items));
        }

        return blocks;
    }

    private static DriftResult Fit(string figure, string unit, List<(double MidH, List<IntervalRecord> Items)> blocks, Func<List<IntervalRecord>, double?> value, Func<double, double> margin)
    {
        var points = blocks.Select(b => (b.MidH, Y: value(b.Items))).Where(p => p.Y is not null).Select(p => (X: p.MidH, Y: p.Y!.Value)).ToList();
        var span = points.Count > 1 ? points[^1].X - points[0].X : 0;
        var level = points.Count > 0 ? MedianOfSorted(points.Select(p => p.Y).Order().ToList()) : 0;
        var m = margin(level);
        var fit = points.Count >= MinBlocks ? TheilSen(points) : null;
        string N(double x) => DriftResult.Number(x);
        string Signed(double x) => (x > 0 ? "+" : "") + N(x);
        var over = span >= 1 ? $"{N(span)} h" : span * 60 >= 1 ? $"{N(span * 60)} min" : $"{N(span * 3600)} s";
        if (fit is not { } f || span <= 0)
        {
            return new DriftResult(figure, unit, null, null, null, span, points.Count, m, DriftTrend.CannotTell,
                $"{figure}: cannot tell (a trend needs {MinBlocks} blocks of hold-phase intervals, this run had {points.Count})");
        }

        var per = unit;
        var interval = $"[{Signed(f.Low)}, {Signed(f.High)}]";
        var (trend, reading) = true switch
        {
            _ when f.Low > 0 && f.Low * span > m => (DriftTrend.Rising, $"{figure} rose {N(f.Slope)} {per} per hour {interval} over {over}"),
            _ when f.High < 0 && -f.High * span > m => (DriftTrend.Falling, $"{figure} fell {N(-f.Slope)} {per} per hour {interval} over {over}"),
            _ when Math.Max(Math.Abs(f.Low), Math.Abs(f.High)) * span <= m => (DriftTrend.Stable, $"{figure} stable: within ±{N(m)} {per} over {over} (slope {Signed(f.Slope)} {per}/h {interval})"),
            _ => (DriftTrend.CannotTell, $"{figure}: cannot tell (slope {Signed(f.Slope)} {per}/h {interval} over {over}; a change under ±{N(m)} {per} counts as none)"),
        };
        return new DriftResult(figure, unit, Math.Round(f.Slope, 4), Math.Round(f.Low, 4), Math.Round(f.High, 4), Math.Round(span, 4), points.Count, Math.Round(m, 4), trend,
            reading);
    }

    /// <summary>Unplanned ends per 1,000 stream-hours over a block: its ends over the stream-time it held.</summary>
    private static double? Rate(List<IntervalRecord> block)
    {
        var ends = block.Sum(i => i.EndsByCause.Where(kv => !EndCauses.IsPlanned(kv.Key)).Sum(kv => kv.Value));
        var exposureH = block.Sum(i => i.Hold?.HeldStreamSeconds ?? (i.Active * (i.End - i.Start).TotalSeconds)) / 3600;
        return exposureH > 0 ? ends / exposureH * 1000 : null;
    }

    private static double? Median(IEnumerable<double?> values)
    {
        var sorted = values.OfType<double>().Order().ToList();
        return sorted.Count == 0 ? null : MedianOfSorted(sorted);
    }

    private static double MedianOfSorted(List<double> sorted) =>
        sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[(sorted.Count / 2) - 1] + sorted[sorted.Count / 2]) / 2;
}
