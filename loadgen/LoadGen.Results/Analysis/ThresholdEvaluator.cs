namespace LoadGen.Results.Analysis;

/// <summary>Judges thresholds against topology summaries: at the end of a run, every interval (abortOnFail), and on a rebuilt run.</summary>
public static class ThresholdEvaluator
{
    /// <summary>
    /// The first abortOnFail threshold, due by now, that the run so far fails. A threshold with nothing
    /// measured yet (survival at an age no stream has reached) is not judged mid-run.
    /// </summary>
    public static ThresholdAbort? FirstAbort(IReadOnlyList<Threshold> thresholds, RunSummary soFar, TimeSpan elapsed)
    {
        var due = thresholds.Where(t => t.AbortOnFail && elapsed >= t.StartCheckAfter).ToList();
        if (due.Count == 0)
        {
            return null;
        }

        var failed = Evaluate(due, soFar.Topologies).FirstOrDefault(r => !r.Passed && r.Actual is not null);
        return failed is null ? null : new ThresholdAbort(failed, Math.Round(elapsed.TotalSeconds, 1));
    }

    /// <param name="expected">
    /// The topologies the run was to measure (run.json's targets): one with no summary (its data files are
    /// missing) gets each threshold "nothing measured", failed — a report never passes on data it does not have.
    /// </param>
    public static List<ThresholdResult> Evaluate(IReadOnlyList<Threshold> thresholds, IReadOnlyList<TopologySummary> topologies, IReadOnlyList<string>? expected = null)
    {
        var results = new List<ThresholdResult>();
        static double? Pick(TopologySummary t, Threshold th)
        {
            var stats = th.Uncorrected ? t.LatencyUncorrectedMs : t.LatencyMs;
            return th.Metric switch
            {
                ThresholdMetric.P50 => stats.P50,
                ThresholdMetric.P90 => stats.P90,
                ThresholdMetric.P95 => stats.P95,
                ThresholdMetric.P99 => stats.P99,
                ThresholdMetric.P999 => stats.P999,
                _ => stats.Max,
            };
        }

        static bool IsUnplanned(string cause) => !EndCauses.IsPlanned(cause);
        foreach (var t in thresholds.Where(t => !t.Off))
        {
            var versus = t.Versus == "baseline" ? (topologies.Count > 0 ? topologies[0] : null) : topologies.FirstOrDefault(x => x.Name == t.Versus);
            foreach (var topo in topologies)
            {
                // No measurement is no evidence of passing.
                switch (t.Kind)
                {
                    case ThresholdKind.Latency:
                        var actual = Pick(topo, t);
                        results.Add(new ThresholdResult(t.Expression, topo.Name, actual, t.Limit, t.Unit, actual is { } a && a < t.Limit));
                        break;
                    case ThresholdKind.Delta when versus is null || topo.Name != versus.Name:
                        double? delta = versus is not null && Pick(topo, t) is { } c && Pick(versus, t) is { } b ? c - b : null;
                        results.Add(new ThresholdResult(t.Expression, topo.Name, delta, t.Limit, t.Unit, delta is { } d && d < t.Limit));
                        break;
                    case ThresholdKind.Rate:
                        var pattern = "^" + System.Text.RegularExpressions.Regex.Escape(t.Cause!).Replace("\\*", ".*", StringComparison.Ordinal) + "$";
                        var n = topo.Outcomes.Where(kv => IsUnplanned(kv.Key) && System.Text.RegularExpressions.Regex.IsMatch(kv.Key, pattern)).Sum(kv => kv.Value);
                        double? rate = topo.StreamHours > 0 ? n / topo.StreamHours * 1000 : null;
                        results.Add(new ThresholdResult(t.Expression, topo.Name, rate, t.Limit, t.Unit, rate is { } r && r < t.Limit));
                        break;
                    case ThresholdKind.Survival:
                        // Unknown unless some stream lived that long.
                        double? share = topo.Survival is { } s && s.Points.Count > 0 && topo.Survival.LongestS >= t.SurvivalAge.TotalSeconds
                            ? SurvivalSummary.At(s.Points, t.SurvivalAge.TotalSeconds)
                            : null;
                        results.Add(new ThresholdResult(t.Expression, topo.Name, share, t.Limit, t.Unit, share is { } x && x > t.Limit));
                        break;
                    case ThresholdKind.Unanswered when t.IsDefault && topo.Messages.Sent == 0:
                        // The default asks nothing of a topology that sent no messages (idle streams); a declared one does.
                        break;
                    case ThresholdKind.Unanswered:
                        double? lost = topo.Messages.Sent > 0 ? 100.0 * topo.Messages.Unanswered / topo.Messages.Sent : null;
                        results.Add(new ThresholdResult(t.Expression, topo.Name, lost, t.Limit, t.Unit, lost is { } l && l < t.Limit));
                        break;
                    case ThresholdKind.Population:
                        // Unknown without a hold phase: nothing says what was wanted.
                        double? held = topo.Population is { } p ? Math.Round(p.HeldShare * 100, 2) : null;
                        results.Add(new ThresholdResult(t.Expression, topo.Name, held, t.Limit, t.Unit, held is { } h && h > t.Limit));
                        break;
                    case ThresholdKind.Drift:
                        // Judged on the interval's upper end, never on the point slope; unknown when the run cannot tell a slope at all.
                        var drift = topo.Drift.FirstOrDefault(x => x.Figure == t.Figure)?.High;
                        results.Add(new ThresholdResult(t.Expression, topo.Name, drift, t.Limit, t.Unit, drift is { } dh && dh < t.Limit));
                        break;
                    case ThresholdKind.NoNewCause when versus is null || topo.Name != versus.Name:
                        var fresh = versus is null ? null : (double?)topo.Outcomes.Keys.Count(k => IsUnplanned(k) && !versus.Outcomes.ContainsKey(k));
                        results.Add(new ThresholdResult(t.Expression, topo.Name, fresh, 0, t.Unit, fresh == 0));
                        break;
                }
            }

            foreach (var name in (expected ?? []).Where(n => topologies.All(x => x.Name != n)))
            {
                if (t.Kind is not (ThresholdKind.Delta or ThresholdKind.NoNewCause) || (t.Versus != name && !(t.Versus == "baseline" && expected![0] == name)))
                {
                    results.Add(new ThresholdResult(t.Expression, name, null, t.Limit, t.Unit, false));
                }
            }
        }

        return results;
    }
}
