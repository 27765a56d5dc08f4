using System.Globalization;
using LoadGen.Results;
using LoadGen.Results.Analysis;

namespace LoadGen.Reports;

/// <summary>
/// <c>delta p99 &lt; +5ms vs direct-tls</c> judged by the run's calibrated comparison, not by a point estimate: the
/// figure's interval (candidate − the named topology) must lie wholly below the limit, on numbers the generator did
/// not make. A page then shows one delta per figure — the comparison's — and a threshold can no longer pass on
/// −88 ms beside a comparison that says "cannot tell [−808, +432]".
/// </summary>
public static class DeltaThresholds
{
    /// <summary>
    /// The summary with every delta threshold judged by <paramref name="comparisons"/> (and by comparisons made here
    /// for pairs the page does not show, e.g. a delta against a topology other than the first). Other thresholds,
    /// and an abortOnFail delta that stopped the run, are left as they are; the verdict follows the new results.
    /// </summary>
    public static RunSummary Judge(RunData run, IReadOnlyList<TopologyComparison> comparisons)
    {
        ArgumentNullException.ThrowIfNull(run);
        ArgumentNullException.ThrowIfNull(comparisons);
        var summary = run.Summary;
        var deltas = (run.Info?.ScenarioSettings.Thresholds ?? []).Select(Thresholds.Parse).OfType<Threshold>()
            .Where(t => t.Kind == ThresholdKind.Delta).ToDictionary(t => t.Expression, StringComparer.Ordinal);
        if (deltas.Count == 0 || summary.Topologies.Count < 2)
        {
            return summary;
        }

        var made = new Dictionary<(string, string), TopologyComparison>();
        TopologyComparison? Pair(string baseline, string candidate)
        {
            if (comparisons.FirstOrDefault(c => c.Baseline.Topology.Name == baseline && c.Candidate.Topology.Name == candidate) is { } shown)
            {
                return shown;
            }

            if (!made.TryGetValue((baseline, candidate), out var c))
            {
                var b = summary.Topologies.FirstOrDefault(t => t.Name == baseline);
                var k = summary.Topologies.FirstOrDefault(t => t.Name == candidate);
                if (b is null || k is null)
                {
                    return null;
                }

                made[(baseline, candidate)] = c = TopologyComparison.Compare(new Side(b.Name, run, b), new Side(k.Name, run, k), run.Comparison);
            }

            return c;
        }

        var stopped = summary.AbortedBy?.Threshold;
        var results = summary.Thresholds.Select(r =>
        {
            if (!deltas.TryGetValue(r.Expression, out var t) || (stopped is not null && (stopped.Expression, stopped.Topology) == (r.Expression, r.Topology)))
            {
                return r;
            }

            var versus = t.Versus == "baseline" ? summary.Topologies[0].Name : t.Versus!;
            return Judge(r, t, Pair(versus, r.Topology));
        }).ToList();
        return summary with { Thresholds = results, Verdict = RunVerdict.From(results, summary.AbortedBy is not null) };
    }

    private static ThresholdResult Judge(ThresholdResult r, Threshold t, TopologyComparison? c)
    {
        var figure = t.Metric switch
        {
            ThresholdMetric.P50 => ComparisonSettings.P50,
            ThresholdMetric.P90 => ComparisonSettings.P90,
            ThresholdMetric.P95 => ComparisonSettings.P95,
            ThresholdMetric.P99 => ComparisonSettings.P99,
            ThresholdMetric.P999 => ComparisonSettings.P999,
            _ => null,
        };
        var row = figure is null || t.Uncorrected ? null : c?.Figures.FirstOrDefault(f => f.Figure == figure);
        string Ms(double v) => v.ToString("+0.0##;-0.0##;0", CultureInfo.InvariantCulture) + " ms";
        if (c?.Problem is { } problem)
        {
            return r with { Actual = null, Passed = false, Detail = $"cannot tell: {problem}" };
        }

        if (row?.Delta is not { Bounded: true } d)
        {
            var why = row?.Delta?.Shortfall ?? (row is null ? "the comparison has no such figure (delta thresholds take p50, p90, p95, p99, p99.9 of the corrected latency)" : "too few rounds or batches for an interval");
            return r with { Actual = null, Passed = false, Detail = $"cannot tell: no interval for {figure ?? t.Metric.ToString()} ({why})" };
        }

        var interval = $"{Ms(d.Value)} [{Ms(d.Low)}, {Ms(d.High)}]";
        if (c!.Saturation is { } saturated)
        {
            return r with { Actual = d.High, Passed = false, Detail = $"cannot tell: {interval}, but {saturated}" };
        }

        if (row.GeneratorBound)
        {
            return r with { Actual = d.High, Passed = false, Detail = $"cannot tell: {interval}, but LoadGen's own send lag at this quantile could hide a difference ({row.Reading})" };
        }

        return r with { Actual = d.High, Passed = d.High < t.Limit, Detail = $"{interval}, judged on the interval's upper end" };
    }
}
