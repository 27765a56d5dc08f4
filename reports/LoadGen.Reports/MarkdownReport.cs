using System.Globalization;
using System.Text;
using LoadGen.Results;

namespace LoadGen.Reports;

/// <summary>summary.md: the release-review page. Verdict first, then baseline against each candidate.</summary>
public static class MarkdownReport
{
    public static string Render(RunData run, IReadOnlyList<TopologyComparison> comparisons, string? warning = null)
    {
        ArgumentNullException.ThrowIfNull(run);
        ArgumentNullException.ThrowIfNull(comparisons);
        var s = run.Summary;
        var sb = new StringBuilder();
        sb.AppendLine(CultureInfo.InvariantCulture, $"# {s.Scenario} — {s.RunId}");
        sb.AppendLine();
        sb.AppendLine(CultureInfo.InvariantCulture, $"**Verdict: {Verdict(s, comparisons)}**");
        sb.AppendLine();
        if (warning is not null)
        {
            sb.AppendLine(CultureInfo.InvariantCulture, $"> ⚠ {warning}");
            sb.AppendLine();
        }

        foreach (var w in s.Warnings)
        {
            sb.AppendLine(CultureInfo.InvariantCulture, $"> ⚠ **{w}**");
            sb.AppendLine();
        }

        if (run.Rebuilt)
        {
            sb.AppendLine("> ⚠ This run did not finish (no summary.json): the figures are rebuilt from what it flushed as it went, up to its last interval.");
            sb.AppendLine();
        }

        sb.AppendLine(CultureInfo.InvariantCulture, $"{s.StartedAt:yyyy-MM-dd HH:mm:ss} → {s.EndedAt:HH:mm:ss} UTC, {s.Completion}. Latency is the round trip per message from its scheduled send time (coordinated-omission corrected).");
        sb.AppendLine();
        if (SummaryTable.Workload(s) is { } workload)
        {
            sb.AppendLine(CultureInfo.InvariantCulture, $"Streams called `{workload.Method}`; replies matched {workload.Matching}.");
            sb.AppendLine();
        }

        foreach (var t in s.Topologies.Where(t => t.ReplyGapMs is { Count: > 0 }))
        {
            var g = t.ReplyGapMs!;
            sb.AppendLine(CultureInfo.InvariantCulture, $"- {t.Name}: time between two replies on a stream p50 {SummaryTable.Ms(g.P50)}, p99 {SummaryTable.Ms(g.P99)}, max {SummaryTable.Ms(g.Max)} ({g.Count:#,0} gaps; count-only, so no round-trip latency)");
        }
        foreach (var c in comparisons)
        {
            sb.AppendLine(CultureInfo.InvariantCulture, $"## {c.Baseline.Label} (baseline) vs {c.Candidate.Label}");
            sb.AppendLine();
            sb.AppendLine(CultureInfo.InvariantCulture, $"{c.Verdict}.");
            sb.AppendLine();
            sb.AppendLine(CultureInfo.InvariantCulture, $"| | {c.Baseline.Label} | {c.Candidate.Label} | difference (95% interval) |");
            sb.AppendLine("|---|---:|---:|---|");
            foreach (var r in c.Latency)
            {
                sb.AppendLine(CultureInfo.InvariantCulture, $"| {r.Metric} | {SummaryTable.Ms(r.Baseline)} | {SummaryTable.Ms(r.Candidate)} | {r.Reading} |");
            }

            if (c.Causes.Count > 0)
            {
                sb.AppendLine(CultureInfo.InvariantCulture, $"| **stream ends per 1,000 stream-hours** ({c.BaselineStreamHours:0.##} / {c.CandidateStreamHours:0.##} stream-hours) | | | |");
                foreach (var r in c.Causes)
                {
                    sb.AppendLine(CultureInfo.InvariantCulture, $"| {r.Cause} | {r.BaselineRate:0.#} ({r.BaselineCount:#,0}) | {r.CandidateRate:0.#} ({r.CandidateCount:#,0}) | {r.Reading} |");
                }
            }

            sb.AppendLine(CultureInfo.InvariantCulture, $"| detected timeouts | {Timeouts(c.Baseline.Topology)} | {Timeouts(c.Candidate.Topology)} | |");
            if (c.NewCauses.Count > 0)
            {
                sb.AppendLine();
                sb.AppendLine(CultureInfo.InvariantCulture, $"New causes on {c.Candidate.Label} (never seen on {c.Baseline.Label}): {string.Join(", ", c.NewCauses.Select(x => $"`{x}`"))}.");
            }

            sb.AppendLine();
            sb.AppendLine(CultureInfo.InvariantCulture, $"_{c.DeltaMethod}_");
            sb.AppendLine();
        }

        sb.AppendLine("## Every topology");
        sb.AppendLine();
        Table(sb, SummaryTable.Build(s));
        if (SummaryTable.Rounds(s) is { } rounds)
        {
            sb.AppendLine();
            sb.AppendLine("## Rounds");
            sb.AppendLine();
            Table(sb, rounds);
        }

        if (s.Topologies.Any(t => t.Connection is not null))
        {
            sb.AppendLine();
            sb.AppendLine("## How targets were reached");
            sb.AppendLine();
            foreach (var t in s.Topologies.Where(t => t.Connection is not null))
            {
                sb.AppendLine(CultureInfo.InvariantCulture, $"- {t.Name} ({t.Address}): {t.Connection}");
            }
        }

        if (s.Events.Count > 0)
        {
            sb.AppendLine();
            sb.AppendLine("## Faults on cue");
            sb.AppendLine();
            foreach (var e in s.Events.Where(e => e.State != "fired"))
            {
                sb.AppendLine(CultureInfo.InvariantCulture, $"- {e.Time:HH:mm:ss} [{e.Topology}{(e.Round is { } r ? $" round {r}" : "")}] at {e.AtS:0.#} s: {e.Description} — {e.State}: {e.Detail}");
            }
        }

        if (s.Thresholds.Count > 0)
        {
            sb.AppendLine();
            sb.AppendLine("## Thresholds");
            sb.AppendLine();
            foreach (var t in s.Thresholds)
            {
                sb.AppendLine(CultureInfo.InvariantCulture, $"- {(t.Passed ? "PASS" : "**FAIL**")} `{t.Expression}` on {t.Topology}: {t.ActualText}");
            }
        }

        sb.AppendLine();
        sb.AppendLine("How to read this: a difference whose 95% interval includes zero (or a rate ratio whose interval includes 1×) is reported as *no detectable difference*, never as a win or a loss. " +
            "With at least 3 interleaved rounds a latency difference is the mean of the rounds' paired differences, its interval a bootstrap over rounds; otherwise a bootstrap over the interval histograms; cause rates are Poisson rate ratios. Details: `report.html`, `summary.json`.");
        return sb.ToString();
    }

    private static void Table(StringBuilder sb, SummaryTable table)
    {
        sb.AppendLine("| " + string.Join(" | ", table.Header) + " |");
        sb.AppendLine("|" + string.Concat(table.Header.Select(_ => "---|")));
        foreach (var row in table.Rows)
        {
            sb.AppendLine("| " + string.Join(" | ", row.Select(c => c.Replace("|", "\\|", StringComparison.Ordinal))) + " |");
        }
    }

    /// <summary>The run's verdict line: thresholds first, then the comparisons.</summary>
    public static string Verdict(RunSummary s, IReadOnlyList<TopologyComparison> comparisons)
    {
        ArgumentNullException.ThrowIfNull(s);
        ArgumentNullException.ThrowIfNull(comparisons);
        var parts = new List<string>();
        if (s.AbortedBy is { } abort)
        {
            parts.Add($"FAIL — aborted: {abort.Describe()}");
        }
        else if (s.Verdict == "fail")
        {
            parts.Add($"FAIL — {s.Thresholds.Count(t => !t.Passed)} threshold(s) failed");
        }
        else if (s.Verdict == "pass")
        {
            parts.Add("PASS — every threshold held");
        }

        parts.AddRange(comparisons.Select(c => c.Verdict));
        if (parts.Count == 0)
        {
            parts.Add(s.Topologies.Count == 1 ? $"{s.Topologies[0].Name}: no thresholds and nothing to compare with" : "no thresholds");
        }

        return string.Join(". ", parts);
    }

    private static string Timeouts(TopologySummary t) => t.DetectedTimeouts.Count == 0 ? "-" :
        string.Join(", ", t.DetectedTimeouts.Select(d => string.Create(CultureInfo.InvariantCulture, $"{d.Direction} {d.Seconds:0.0} s → {d.Cause}")));
}
