using System.Globalization;
using System.Text;
using LoadGen.Results;
using LoadGen.Results.Analysis;

namespace LoadGen.Reports;

/// <summary>summary.md: the release-review page. Verdict first, then baseline against each candidate.</summary>
public static class MarkdownReport
{
    public static string Render(RunData run, IReadOnlyList<TopologyComparison> comparisons, string? warning = null, BaselineRun? baseline = null)
    {
        ArgumentNullException.ThrowIfNull(run);
        ArgumentNullException.ThrowIfNull(comparisons);
        var s = run.Summary;
        var sb = new StringBuilder();
        sb.AppendLine(CultureInfo.InvariantCulture, $"# {s.Scenario} — {baseline?.Title(s) ?? s.RunId}");
        sb.AppendLine();
        sb.AppendLine(CultureInfo.InvariantCulture, $"**Verdict: {Verdict(s, comparisons)}**");
        sb.AppendLine();
        foreach (var w in Extra(warning, baseline, run, comparisons))
        {
            sb.AppendLine(CultureInfo.InvariantCulture, $"> ⚠ {w}");
            sb.AppendLine();
        }

        foreach (var w in s.Warnings)
        {
            sb.AppendLine(CultureInfo.InvariantCulture, $"> ⚠ **{w}**");
            sb.AppendLine();
        }

        if (s.Generator is { } generator)
        {
            sb.AppendLine(generator.Saturated ? $"> ⚠ **{GeneratorHealth.Describe(generator)}**" : $"_{GeneratorHealth.Describe(generator)}._");
            sb.AppendLine();
        }

        if (run.Rebuilt)
        {
            sb.AppendLine("> ⚠ This run did not finish (no summary.json): the figures are rebuilt from what it flushed as it went, up to its last interval.");
            sb.AppendLine();
        }

        sb.AppendLine(CultureInfo.InvariantCulture, $"{(baseline is null ? $"{s.StartedAt:yyyy-MM-dd HH:mm:ss} → {s.EndedAt:HH:mm:ss} UTC, {s.Completion}" : baseline.TimeRanges(s))}. Latency is the round trip per message from its scheduled send time (coordinated-omission corrected).");
        sb.AppendLine();
        if (SummaryTable.Workload(s) is { } workload)
        {
            sb.AppendLine(CultureInfo.InvariantCulture, $"Streams called `{workload.Method}`; replies matched {workload.Matching}.");
            sb.AppendLine();
        }

        foreach (var note in SummaryTable.Notes(s))
        {
            sb.AppendLine(CultureInfo.InvariantCulture, $"> {note}");
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
            sb.AppendLine(CultureInfo.InvariantCulture, $"**{c.Sentence}.**");
            sb.AppendLine();
            sb.AppendLine(CultureInfo.InvariantCulture, $"{c.Verdict}.");
            sb.AppendLine();
            Table(sb, ComparisonTable.Build(c));
            sb.AppendLine();
            sb.AppendLine(CultureInfo.InvariantCulture, $"Comparison gate: {c.Gate.Text}.");
            if (c.Settings.ExpectPath != PathExpectation.Any)
            {
                sb.AppendLine();
                sb.AppendLine(CultureInfo.InvariantCulture, $"Path expectation: {(c.PathCheck.Passed ? "" : "**")}{c.PathCheck.Text}{(c.PathCheck.Passed ? "" : "**")}.");
            }

            sb.AppendLine();
            sb.AppendLine(CultureInfo.InvariantCulture, $"Detected timeouts: {c.Baseline.Label} {Timeouts(c.Baseline.Topology)}; {c.Candidate.Label} {Timeouts(c.Candidate.Topology)}.");
            if (PathCard.Differences(c) is { } path)
            {
                sb.AppendLine();
                sb.AppendLine(CultureInfo.InvariantCulture, $"Path: {path}.");
            }

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
        Table(sb, SummaryTable.Build(baseline?.Combined(s) ?? s));
        if (SummaryTable.Rounds(s) is { } rounds)
        {
            sb.AppendLine();
            sb.AppendLine("## Rounds");
            sb.AppendLine();
            Table(sb, rounds);
        }

        var shown = baseline?.Combined(s) ?? s;
        if (shown.Topologies.Any(t => t.Connection is not null))
        {
            sb.AppendLine();
            sb.AppendLine("## How targets were reached");
            sb.AppendLine();
            foreach (var t in shown.Topologies.Where(t => t.Connection is not null))
            {
                sb.AppendLine(CultureInfo.InvariantCulture, $"- {t.Name} ({t.Address}): {t.Connection}");
            }
        }

        if (PathCard.Build(shown.Topologies) is { } pathTable)
        {
            sb.AppendLine();
            sb.AppendLine("## Path (what each target announced on the wire)");
            sb.AppendLine();
            Table(sb, pathTable);
        }

        if (DriftCard.Build(shown.Topologies) is { } driftTable)
        {
            sb.AppendLine();
            sb.AppendLine("## Drift (did a figure move while the population was held?)");
            sb.AppendLine();
            Table(sb, driftTable);
            foreach (var note in DriftCard.Notes(shown.Topologies))
            {
                sb.AppendLine();
                sb.AppendLine(CultureInfo.InvariantCulture, $"- {note}");
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
                sb.AppendLine(CultureInfo.InvariantCulture, $"- {(t.Passed ? "PASS" : "**FAIL**")} `{t.Expression}` on {t.Topology}: actual {t.ActualText}, limit {Limit(t)}");
            }
        }

        sb.AppendLine();
        sb.AppendLine("How to read this: each figure is *better*, *worse*, *equivalent* (its whole interval inside its margin) or *cannot tell* — never \"at least as good\" for want of evidence. " +
            "The headline rests on the primary figures (★); the method under each comparison says how its intervals were made. Details: `report.html`, `summary.json`, `comparison.json`.");
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
        else if (s.Verdict == RunVerdict.Fail)
        {
            parts.Add($"FAIL — {s.Thresholds.Count(t => !t.Passed)} threshold(s) failed");
        }
        else if (s.Verdict == RunVerdict.Pass)
        {
            parts.Add("PASS — every threshold held");
        }

        parts.AddRange(comparisons.Select(c => c.Sentence + (c.Settings.Gate == ComparisonGate.None ? "" : $" ({c.Gate.Text})")
            + (c.Settings.ExpectPath == PathExpectation.Any ? "" : $" ({c.PathCheck.Text})")));
        if (parts.Count == 0)
        {
            parts.Add(s.Topologies.Count == 1 ? $"{s.Topologies[0].Name}: no thresholds and nothing to compare with" : "no thresholds");
        }

        return string.Join(". ", parts);
    }

    /// <summary>
    /// Warnings beyond the candidate run's own (which every report shows anyway): the comparison's (a scenario
    /// mismatch) and, for compare-runs, the baseline run's, marked as the baseline's.
    /// </summary>
    public static IReadOnlyList<string> Extra(string? warning, BaselineRun? baseline, RunData candidate, IReadOnlyList<TopologyComparison>? comparisons = null)
    {
        ArgumentNullException.ThrowIfNull(candidate);
        var extra = new List<string>();
        if (warning is not null)
        {
            extra.Add(warning);
        }

        // A topology whose path changed between the runs compared: said where the scenario difference is.
        extra.AddRange((comparisons ?? []).Select(PathCard.Warning).OfType<string>());

        if (baseline is not null)
        {
            extra.AddRange(baseline.Run.Summary.Warnings.Select(w => $"baseline run {baseline.Run.Summary.RunId}: {w}"));
            extra.AddRange(baseline.Run.Damage.Select(d => $"baseline run {baseline.Run.Summary.RunId}: damaged {d}"));
        }

        // Damaged files are said where reviewers look, never dropped in silence.
        extra.AddRange(candidate.Damage.Select(d => $"{(baseline is null ? "" : $"run {candidate.Summary.RunId}: ")}damaged {d}"));
        return extra;
    }

    /// <summary>A threshold's limit with its unit, as the expression meant it.</summary>
    public static string Limit(ThresholdResult t)
    {
        ArgumentNullException.ThrowIfNull(t);
        return t.Unit switch
        {
            "ms" => string.Create(CultureInfo.InvariantCulture, $"{t.Limit:0.###} ms"),
            "share" => t.Limit.ToString("0.#####", CultureInfo.InvariantCulture),
            _ => string.Create(CultureInfo.InvariantCulture, $"{t.Limit:0.###} {t.Unit}"),
        };
    }

    /// <summary>The banner's class: gates (thresholds, a gated comparison) set it, never an informational figure.</summary>
    public static string BannerClass(RunSummary s, IReadOnlyList<TopologyComparison> comparisons)
    {
        ArgumentNullException.ThrowIfNull(s);
        ArgumentNullException.ThrowIfNull(comparisons);
        var gated = comparisons.Where(c => c.Settings.Gate != ComparisonGate.None || c.Settings.ExpectPath != PathExpectation.Any).ToList();
        return s.Verdict == RunVerdict.Fail || gated.Any(c => c.GateFailed) ? "bad"
            : s.Verdict == RunVerdict.Pass || gated.Count > 0 ? "good"
            : "neutral";
    }

    private static string Timeouts(TopologySummary t) => t.DetectedTimeouts.Count == 0 ? "-" :
        string.Join(", ", t.DetectedTimeouts.Select(d => string.Create(CultureInfo.InvariantCulture, $"{d.Direction} {d.Seconds:0.0} s → {d.Cause}")));
}
