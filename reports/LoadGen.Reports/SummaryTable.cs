using System.Globalization;
using LoadGen.Results;
using LoadGen.Results.Analysis;

namespace LoadGen.Reports;

/// <summary>
/// The short side-by-side table of a run (one column per topology), as plain strings, so the
/// console, Markdown and HTML writers render the same figures the same way.
/// </summary>
public sealed record SummaryTable(IReadOnlyList<string> Header, IReadOnlyList<IReadOnlyList<string>> Rows)
{
    public static SummaryTable Build(RunSummary summary)
    {
        ArgumentNullException.ThrowIfNull(summary);
        var t = summary.Topologies;
        var rows = new List<IReadOnlyList<string>>
        {
            Row("streams peak active", t, x => N(x.Streams.PeakActive)),
            Row("population held (hold phases)", t, x => x.Population is { } p ? p.Describe() : "-"),
            Row("streams opened / ended", t, x => $"{N(x.Streams.Opened)} / {N(x.Streams.Ended)}"),
            Row("stream open p99", t, x => Ms(x.OpenLatencyMs.P99)),
            Row("messages sent / received", t, x => $"{N(x.Messages.Sent)} / {N(x.Messages.Received)}"),
            Row("messages never answered", t, x => x.Messages.Unanswered == 0 ? "0"
                : $"{N(x.Messages.Unanswered)} ({string.Join(", ", x.UnansweredByCause.Select(kv => $"{kv.Key} {N(kv.Value)}"))})"),
            Row("latency p50 (CO-corrected)", t, x => Ms(x.LatencyMs.P50)),
            Row("latency p99 (CO-corrected)", t, x => Ms(x.LatencyMs.P99)),
            Row("latency p99.9 (CO-corrected)", t, x => Ms(x.LatencyMs.P999)),
            Row("latency max (CO-corrected)", t, x => Ms(x.LatencyMs.Max)),
            Row("latency p99 (uncorrected)", t, x => Ms(x.LatencyUncorrectedMs.P99)),
            Row("send lag p99 (client side)", t, x => Ms(x.SendLagMs.P99)),
            Row("connections planned / opened", t, x => $"{x.Connections.Planned} / {x.Connections.Opened}"),
            Row("stream ends by cause", t, x => x.Outcomes.Count == 0 ? "-" : string.Join(", ", x.Outcomes.Select(kv => $"{kv.Key} {N(kv.Value)}"))),
            Row("detected timeouts", t, x => x.DetectedTimeouts.Count == 0 ? "-" : string.Join(", ", x.DetectedTimeouts.Select(d => string.Create(CultureInfo.InvariantCulture, $"{d.Direction} {d.Seconds:0.0} s → {d.Cause} ({N(d.Count)})")))),
            Row("detected limits", t, x => x.DetectedLimits.Count == 0 ? "-" : string.Join("; ", x.DetectedLimits.Select(d => $"{d.Text} ({N(d.Count)})"))),
            Row("reconnects / p99 time / lost", t, x => x.Reconnects is { } r ? $"{N(r.Count)} / {Ms(r.TimeToReestablishMs.P99)} / {N(r.LostForGood)}" : "-"),
            Row("stream survival median", t, x => x.Survival is { MedianS: { } m } ? string.Create(CultureInfo.InvariantCulture, $"{m:0.0} s") : "not reached"),
        };
        if (t.Any(x => x.Rounds > 1))
        {
            rows.Insert(0, Row("interleaved rounds", t, x => x.Rounds.ToString(CultureInfo.InvariantCulture)));
        }

        if (t.Any(x => x.ReplyGapMs is not null))
        {
            // Count-only: no round trip to measure; the gap between replies is the figure.
            rows.Insert(rows.FindIndex(r => r[0] == "send lag p99 (client side)"), Row("reply gap p50 / p99 / max (count-only)", t, x => x.ReplyGapMs is { } g ? $"{Ms(g.P50)} / {Ms(g.P99)} / {Ms(g.Max)}" : "-"));
        }

        if (t.Any(x => x.Components is not null))
        {
            // "esp: nginx/1.22.1 (real binary), TLS … → backend: …" → "nginx/1.22.1 (real binary)", one part per hop.
            rows.Add(Row("lab parts", t, x => x.Components is { } c ? Parts(c) : "-"));
        }
        return new SummaryTable(["", .. t.Select(x => x.Name)], rows);
    }

    /// <summary>
    /// Lines a reader must not miss under the table: a population that sagged below what was wanted (with
    /// why), and limits the path imposes that are not timeouts.
    /// </summary>
    public static IReadOnlyList<string> Notes(RunSummary summary)
    {
        ArgumentNullException.ThrowIfNull(summary);
        var notes = new List<string>();
        if (summary.Schedule == "closed")
        {
            notes.Add($"closed loop: each stream kept {summary.InFlight ?? 1} message{(summary.InFlight is > 1 ? "s" : "")} in flight and sent the next when a reply came — messages/s is what the path allowed, latency is from each send (no schedule to fall behind: corrected and uncorrected agree)");
        }

        if (summary.LabBackend is { } lab)
        {
            notes.Add(lab.Describe());
        }

        foreach (var t in summary.Topologies)
        {
            if (t.Population is { Hint: { } hint } p)
            {
                notes.Add($"{t.Name}: population {p.Describe()} — {hint}");
            }

            notes.AddRange(t.DetectedLimits.Select(d => $"{t.Name}: limit detected: {d.Text} ({N(d.Count)} streams)"));
        }

        return notes;
    }

    /// <summary>
    /// One row per topology per interleaved round, in the order run, so a reader can see whether one
    /// round carried a difference; null for a single round.
    /// </summary>
    public static SummaryTable? Rounds(RunSummary summary)
    {
        ArgumentNullException.ThrowIfNull(summary);
        if (summary.Rounds.Count == 0)
        {
            return null;
        }

        var rows = summary.Rounds.Select(r => (IReadOnlyList<string>)
        [
            r.Round.ToString(CultureInfo.InvariantCulture),
            r.Topology,
            N(r.Streams.Opened),
            N(r.Messages.Received),
            Ms(r.LatencyMs.P50),
            Ms(r.LatencyMs.P99),
            Ms(r.OpenLatencyMs?.P99),
            Unplanned(r.Outcomes),
        ]).ToList();
        return new SummaryTable(["round", "topology", "opened", "replies", "latency p50", "latency p99", "open p99", "unplanned ends"], rows);
    }

    private static string Unplanned(IReadOnlyDictionary<string, long> outcomes)
    {
        var text = string.Join(", ", outcomes.Where(kv => !EndCauses.IsPlanned(kv.Key)).Select(kv => $"{kv.Key} {N(kv.Value)}"));
        return text.Length == 0 ? "-" : text;
    }

    /// <summary>The parts of a lab components line, one per hop: "HAProxy 2.6.12 (real binary) → nginx/1.22.1 (real binary) → Kestrel (embedded)".</summary>
    public static string Parts(string components) => string.Join(" → ", components
        .Split('→', StringSplitOptions.TrimEntries)
        .Select(hop => hop.Split(':', 2) is [_, var what] ? what.Trim() : hop)
        .Select(what => what.Split(',')[0].Trim()));

    public static string Ms(double? ms) => ms switch
    {
        null => "-",
        < 10 => string.Create(CultureInfo.InvariantCulture, $"{ms:0.000} ms"),
        < 1000 => string.Create(CultureInfo.InvariantCulture, $"{ms:0.0} ms"),
        _ => string.Create(CultureInfo.InvariantCulture, $"{ms / 1000:0.00} s"),
    };

    private static string N(long n) => n.ToString("#,0", CultureInfo.InvariantCulture);

    private static List<string> Row(string label, IEnumerable<TopologySummary> topologies, Func<TopologySummary, string> cell) =>
        [label, .. topologies.Select(cell)];

    /// <summary>The method and reply matching every topology ran (they share the workload); null for runs recorded before it was written down.</summary>
    public static (string Method, string Matching)? Workload(RunSummary summary)
    {
        ArgumentNullException.ThrowIfNull(summary);
        return summary.Topologies.FirstOrDefault(t => t.Method is not null) is { } t ? (t.Method!, t.Matching ?? "") : null;
    }
}

/// <summary>A comparison as rows of strings (figure, both sides, the difference with its interval, the verdict), for Markdown and HTML alike.</summary>
public static class ComparisonTable
{
    public static SummaryTable Build(TopologyComparison c)
    {
        ArgumentNullException.ThrowIfNull(c);
        var level = TopologyComparison.PrimaryLevel(c.Settings).ToString("0.#%", CultureInfo.InvariantCulture);
        var rows = new List<IReadOnlyList<string>>();
        foreach (var f in c.Figures.OrderByDescending(f => f.Primary))
        {
            string Value(double? v) => f.IsRate ? (v is { } r ? r.ToString("0.#", CultureInfo.InvariantCulture) : "-") : SummaryTable.Ms(v);
            rows.Add([
                (f.Primary ? "★ " : "") + f.Figure + (f.IsRate ? " (per 1,000 stream-hours)" : ""),
                Value(f.Baseline),
                Value(f.Candidate),
                f.Reading + (f.Resolve is { } r ? $" — {r}" : ""),
                f.Verdict switch
                {
                    ComparisonVerdict.Better => "better",
                    ComparisonVerdict.Worse => "worse",
                    ComparisonVerdict.Equivalent => "equivalent",
                    _ => "cannot tell",
                },
            ]);
        }

        foreach (var r in c.Causes)
        {
            rows.Add([
                $"{r.Cause} (per 1,000 stream-hours)",
                string.Create(CultureInfo.InvariantCulture, $"{r.BaselineRate:0.#} ({r.BaselineCount:#,0})"),
                string.Create(CultureInfo.InvariantCulture, $"{r.CandidateRate:0.#} ({r.CandidateCount:#,0})"),
                r.Reading,
                "information",
            ]);
        }

        return new SummaryTable(["figure (★ primary)", c.Baseline.Label, c.Candidate.Label, $"difference [interval: {level} for ★, else 95%]", "verdict"], rows);
    }
}

/// <summary>For compare-runs: the baseline run and topology shown beside the candidate on every page, chart and table.</summary>
public sealed record BaselineRun(RunData Run, string Topology)
{
    /// <summary>"&lt;baseline run&gt; vs &lt;candidate run&gt;", for titles.</summary>
    public string Title(RunSummary candidate)
    {
        ArgumentNullException.ThrowIfNull(candidate);
        return $"{Run.Summary.RunId} vs {candidate.RunId}";
    }

    /// <summary>Both runs' time ranges, baseline first.</summary>
    public string TimeRanges(RunSummary candidate)
    {
        ArgumentNullException.ThrowIfNull(candidate);
        var b = Run.Summary;
        return string.Create(CultureInfo.InvariantCulture,
            $"baseline {b.RunId}: {b.StartedAt:yyyy-MM-dd HH:mm:ss} → {b.EndedAt:HH:mm:ss} UTC, {b.Completion}; candidate {candidate.RunId}: {candidate.StartedAt:yyyy-MM-dd HH:mm:ss} → {candidate.EndedAt:HH:mm:ss} UTC, {candidate.Completion}");
    }

    /// <summary>The candidate's summary with the baseline's topology as the first column, every column named run/topology.</summary>
    public RunSummary Combined(RunSummary candidate)
    {
        ArgumentNullException.ThrowIfNull(candidate);
        var b = Run.Summary.Topologies.Single(t => t.Name == Topology);
        return candidate with
        {
            Topologies = [b with { Name = $"{Run.Summary.RunId}/{b.Name} (baseline)" }, .. candidate.Topologies.Select(t => t with { Name = $"{candidate.RunId}/{t.Name}" })],
            Rounds = [],
        };
    }
}
