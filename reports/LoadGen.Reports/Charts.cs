using System.Globalization;
using LoadGen.Results;
using ScottPlot;

namespace LoadGen.Reports;

/// <summary>The report's charts as inline SVG (ScottPlot), every time axis in seconds since the run's start with fault events marked.</summary>
public static class Charts
{
    public const int Width = 900;
    public const int Height = 340;

    private static readonly Color[] Palette =
    [
        Color.FromHex("#1f77b4"), Color.FromHex("#d62728"), Color.FromHex("#2ca02c"), Color.FromHex("#9467bd"),
        Color.FromHex("#ff7f0e"), Color.FromHex("#8c564b"), Color.FromHex("#e377c2"), Color.FromHex("#7f7f7f"),
    ];

    public static Color ColorOf(int i) => Palette[i % Palette.Length];

    private static Plot NewPlot(string title, string x, string y)
    {
        var plt = new Plot();
        plt.Font.Set("DejaVu Sans");
        plt.Title(title);
        plt.XLabel(x);
        plt.YLabel(y);
        return plt;
    }

    private static string Svg(Plot plt)
    {
        using (plt)
        {
            return plt.GetSvgXml(Width, Height);
        }
    }

    /// <summary>
    /// The HdrHistogram percentile spectrum, topologies overlaid: x is -log10(1 - p), labelled 0%, 90%, 99% …;
    /// with a <paramref name="baseline"/> run (compare-runs), its topology too, dashed.
    /// </summary>
    public static string PercentileSpectrum(RunData run, BaselineRun? baseline = null)
    {
        ArgumentNullException.ThrowIfNull(run);
        var plt = NewPlot("Round-trip latency by percentile (CO-corrected)", "percentile", "ms");
        var lines = new List<(string Label, RunData Run, string Topology, bool Dashed)>();
        if (baseline is not null)
        {
            lines.Add(($"{baseline.Run.Summary.RunId}/{baseline.Topology} (baseline)", baseline.Run, baseline.Topology, true));
        }

        lines.AddRange(run.Summary.Topologies.Select(t => (baseline is null ? t.Name : $"{run.Summary.RunId}/{t.Name}", run, t.Name, false)));
        var i = 0;
        foreach (var (label, source, topology, dashed) in lines)
        {
            var h = Statistics.Merge(source.Rtt(topology).Select(l => l.Histogram));
            if (h.TotalCount == 0)
            {
                i++;
                continue;
            }

            var xs = new List<double>();
            var ys = new List<double>();
            for (var q = 0.0; q <= 5.0001; q += 0.05)
            {
                var p = 100 * (1 - Math.Pow(10, -q));
                xs.Add(q);
                ys.Add(h.GetValueAtPercentile(Math.Min(p, 100)) / 1000.0);
            }

            AddLine(plt, xs, ys, label, ColorOf(i++), dashed);
        }

        var ticks = new ScottPlot.TickGenerators.NumericManual();
        foreach (var (q, label) in new[] { (0.0, "0%"), (1.0, "90%"), (2.0, "99%"), (3.0, "99.9%"), (4.0, "99.99%"), (5.0, "99.999%") })
        {
            ticks.AddMajor(q, label);
        }

        plt.Axes.Bottom.TickGenerator = ticks;
        plt.ShowLegend(Alignment.UpperLeft);
        return Svg(plt);
    }

    /// <summary>
    /// A line through dense points; dashed as separate short segments, because the SVG export draws every
    /// line solid whatever its pattern.
    /// </summary>
    private static void AddLine(Plot plt, List<double> xs, List<double> ys, string label, Color color, bool dashed)
    {
        if (!dashed)
        {
            var line = plt.Add.ScatterLine(xs.ToArray(), ys.ToArray());
            line.LegendText = label;
            line.Color = color;
            line.LineWidth = 2;
            return;
        }

        for (var k = 0; k + 1 < xs.Count; k += 3)
        {
            var n = Math.Min(2, xs.Count - k);
            var segment = plt.Add.ScatterLine(xs.GetRange(k, n).ToArray(), ys.GetRange(k, n).ToArray());
            segment.Color = color;
            segment.LineWidth = 2;
            if (k == 0)
            {
                segment.LegendText = label;
            }
        }
    }

    /// <summary>One value per interval per topology over time (p50 and p99 of the interval, active streams …).</summary>
    public static string OverTime(RunData run, string title, string y, params (string Name, Func<IntervalRecord, double?> Value)[] series) =>
        OverTime(run, null, title, y, series);

    /// <summary>
    /// As above; with a <paramref name="baseline"/> run (compare-runs) its topology too (hollow squares), each run's
    /// time counted from its own start so the two line up by elapsed time.
    /// </summary>
    public static string OverTime(RunData run, BaselineRun? baseline, string title, string y, params (string Name, Func<IntervalRecord, double?> Value)[] series)
    {
        ArgumentNullException.ThrowIfNull(run);
        ArgumentNullException.ThrowIfNull(series);
        var plt = NewPlot(title, "seconds since start", y);
        var lines = new List<(string Label, RunData Run, string Topology, bool Dashed)>();
        if (baseline is not null)
        {
            lines.Add(($"{baseline.Run.Summary.RunId}/{baseline.Topology} (baseline)", baseline.Run, baseline.Topology, true));
        }

        lines.AddRange(run.Summary.Topologies.Select(t => (baseline is null ? t.Name : $"{run.Summary.RunId}/{t.Name}", run, t.Name, false)));
        var i = 0;
        foreach (var (label, source, topology, dashed) in lines)
        {
            var start = source.Summary.StartedAt;
            var mine = source.Intervals.Where(r => r.Topology == topology).OrderBy(r => r.End).ToList();
            foreach (var (name, value) in series)
            {
                // One line per interleaved round: no line drawn across the other topologies' turns.
                var legend = true;
                foreach (var round in mine.GroupBy(r => r.Round ?? 1))
                {
                    var points = round.Select(r => (X: (r.End - start).TotalSeconds, Y: value(r))).Where(p => p.Y is not null).ToList();
                    if (points.Count == 0)
                    {
                        continue;
                    }

                    var s = plt.Add.Scatter(points.Select(p => p.X).ToArray(), points.Select(p => p.Y!.Value).ToArray());
                    if (legend)
                    {
                        s.LegendText = series.Length > 1 ? $"{label} {name}" : label;
                        legend = false;
                    }

                    s.Color = ColorOf(i);
                    s.MarkerSize = 3;
                    s.LineWidth = name.Contains("p50", StringComparison.Ordinal) ? 1 : 2;
                    s.MarkerShape = name.Contains("p50", StringComparison.Ordinal) ? MarkerShape.OpenCircle : MarkerShape.FilledCircle;
                    if (dashed)
                    {
                        // The SVG export draws lines solid: the baseline run's points are hollow squares instead.
                        s.MarkerShape = MarkerShape.OpenSquare;
                        s.LineWidth = 1;
                    }
                }
            }

            i++;
        }

        MarkEvents(plt, run);
        plt.ShowLegend(Alignment.UpperRight);
        return Svg(plt);
    }

    /// <summary>Unplanned stream ends per interval, stacked by cause, for one topology.</summary>
    public static string EndsByCause(RunData run, string topology, string? label = null)
    {
        ArgumentNullException.ThrowIfNull(run);
        var plt = NewPlot($"Unplanned stream ends per interval, by cause — {label ?? topology}", "seconds since start", "streams");
        var start = run.Summary.StartedAt;
        var mine = run.Intervals.Where(r => r.Topology == topology).OrderBy(r => r.End).ToList();
        var causes = mine.SelectMany(r => r.EndsByCause.Keys).Where(c => c is not ("client-closed" or "client-cancelled"))
            .Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
        var bars = new List<Bar>();
        foreach (var r in mine)
        {
            double bottom = 0;
            var width = Math.Max(0.5, (r.End - r.Start).TotalSeconds * 0.8);
            for (var c = 0; c < causes.Count; c++)
            {
                var n = r.EndsByCause.GetValueOrDefault(causes[c]);
                if (n == 0)
                {
                    continue;
                }

                bars.Add(new Bar { Position = (r.End - start).TotalSeconds, ValueBase = bottom, Value = bottom + n, Size = width, FillColor = ColorOf(c) });
                bottom += n;
            }
        }

        if (bars.Count > 0)
        {
            plt.Add.Bars(bars);
        }
        else
        {
            var end = Math.Max(1, (run.Summary.EndedAt - start).TotalSeconds);
            plt.Axes.SetLimits(0, end, 0, 1);
            var note = plt.Add.Text("no unplanned stream ends", end / 2, 0.5);
            note.LabelFontSize = 16;
            note.LabelAlignment = Alignment.MiddleCenter;
        }

        for (var c = 0; c < causes.Count; c++)
        {
            plt.Legend.ManualItems.Add(new LegendItem { LabelText = causes[c], FillColor = ColorOf(c) });
        }

        MarkEvents(plt, run, topology);
        plt.ShowLegend(Alignment.UpperRight);
        return Svg(plt);
    }

    /// <summary>Kaplan–Meier survival of stream lifetimes, topologies overlaid.</summary>
    /// <param name="dashedFirst">Draw the first topology thin (compare-runs: the baseline run's).</param>
    public static string Survival(RunSummary summary, bool dashedFirst = false)
    {
        ArgumentNullException.ThrowIfNull(summary);
        var plt = NewPlot("Stream survival (unplanned ends are events)", "stream age, seconds", "share still alive");
        var i = 0;
        foreach (var t in summary.Topologies)
        {
            if (t.Survival is not { Points.Count: > 0 } s)
            {
                i++;
                continue;
            }

            // The curve is known up to the longest lifetime: carry its last step there.
            var xs = s.Points.Select(p => p.TimeS).Prepend(0.0).Append(Math.Max(s.LongestS, s.Points[^1].TimeS)).ToArray();
            var ys = s.Points.Select(p => p.Survival).Prepend(1.0).Append(s.Points[^1].Survival).ToArray();
            var line = plt.Add.Scatter(xs, ys);
            line.ConnectStyle = ConnectStyle.StepHorizontal;
            line.MarkerSize = 0;
            line.LineWidth = 2;
            line.LineWidth = dashedFirst && i == 0 ? 1 : 2;
            line.Color = ColorOf(i++);
            line.LegendText = t.Name;
        }

        plt.Axes.SetLimitsY(0, 1.05);
        plt.ShowLegend(Alignment.LowerLeft);
        return Svg(plt);
    }

    private static void MarkEvents(Plot plt, RunData run, string? topology = null)
    {
        var start = run.Summary.StartedAt;
        foreach (var e in run.Events.Where(e => e.State == "fired" && (topology is null || e.Topology == topology)))
        {
            var line = plt.Add.VerticalLine((e.Time - start).TotalSeconds);
            line.Color = Color.FromHex("#444444");
            line.Color = Color.FromHex("#999999");
            line.Text = e.Action;
            line.LabelFontSize = 10;
            line.ExcludeFromLegend = true;
        }
    }

    public static string Seconds(double s) => s.ToString("0.#", CultureInfo.InvariantCulture);

    /// <summary>
    /// A figure across releases (history report): one point per run in time order with its interval as a vertical bar,
    /// the release on the x axis, accepted baselines as green diamonds and flagged regressions as red squares.
    /// </summary>
    public static string Trend(string title, string unit, IReadOnlyList<TrendPoint> points)
    {
        ArgumentNullException.ThrowIfNull(points);
        var plt = NewPlot(title, "release (oldest run first)", unit);
        var ticks = new ScottPlot.TickGenerators.NumericManual();
        for (var i = 0; i < points.Count; i++)
        {
            var p = points[i];
            ticks.AddMajor(i, p.Axis);
            var bar = plt.Add.Line(i, p.Low, i, p.High);
            bar.Color = Palette[0];
            bar.LineWidth = 2;
        }

        void Markers(Func<TrendPoint, bool> which, string label, Color color, MarkerShape shape, float size)
        {
            var chosen = points.Select((p, i) => (p, i)).Where(x => which(x.p)).ToList();
            if (chosen.Count == 0)
            {
                return;
            }

            var m = plt.Add.ScatterPoints(chosen.Select(x => (double)x.i).ToArray(), chosen.Select(x => x.p.Value).ToArray());
            m.Color = color;
            m.MarkerShape = shape;
            m.MarkerSize = size;
            m.LegendText = label;
        }

        Markers(p => !p.Baseline && !p.Flagged, "run (bar: 95% interval within the run)", Palette[0], MarkerShape.FilledCircle, 8);
        Markers(p => p.Baseline, "accepted baseline", Color.FromHex("#2ca02c"), MarkerShape.FilledDiamond, 13);
        Markers(p => p.Flagged && !p.Baseline, "worse than the accepted baselines", Color.FromHex("#d62728"), MarkerShape.FilledSquare, 11);
        plt.Axes.Bottom.TickGenerator = ticks;
        plt.Axes.SetLimitsX(-0.5, Math.Max(0.5, points.Count - 0.5));
        if (points.Count > 0)
        {
            var lo = points.Min(p => p.Low);
            var hi = points.Max(p => p.High);
            var pad = Math.Max((hi - lo) * 0.1, Math.Max(Math.Abs(hi) * 0.05, 0.001));
            plt.Axes.SetLimitsY(Math.Min(0, lo - pad), hi + pad);
        }

        // Beside the plot, not over the first release's bar.
        plt.ShowLegend(Edge.Bottom);
        return Svg(plt);
    }
}

/// <summary>One run's figure on a trend chart: the x-axis label (its release), the value and its interval, and whether it is an accepted baseline or a flagged regression.</summary>
public sealed record TrendPoint(string Axis, double Value, double Low, double High, bool Baseline, bool Flagged);
