using System.Globalization;
using System.Net;
using System.Text;
using LoadGen.Reports;

namespace LoadGen.History;

/// <summary>What one run's topology is against the accepted baselines before it, judged by the comparison's own rules.</summary>
/// <param name="Headline">The comparison's headline; null when it was not judged (no baseline before it, a folder missing).</param>
/// <param name="Text">The comparison's sentence, or why there is none.</param>
public sealed record Judgement(string RunId, string Topology, ComparisonVerdict? Headline, string Text, IReadOnlyList<string> Baselines)
{
    public bool Worse => Headline == ComparisonVerdict.Worse;
}

/// <summary>
/// The trend page of <c>loadgen history report</c> (trend.html and trend.md): per topology, each headline figure across
/// the recorded runs in time order with each run's interval, the accepted baselines marked, and each run judged against
/// the accepted baselines that came before it with the comparison's calibrated rules (several baselines: their spread
/// between runs is measured).
/// </summary>
public static class TrendReport
{
    public const string HtmlFile = "trend.html";
    public const string MarkdownFile = "trend.md";

    /// <summary>Judges each run's topologies against the last <paramref name="lastN"/> accepted baselines (of <paramref name="baselines"/>) that started before it.</summary>
    public static IReadOnlyList<Judgement> Judge(IReadOnlyList<HistoryRun> runs, IReadOnlyList<HistoryBaseline> baselines, int lastN)
    {
        ArgumentNullException.ThrowIfNull(runs);
        ArgumentNullException.ThrowIfNull(baselines);
        var byId = runs.ToDictionary(r => r.RunId, StringComparer.Ordinal);
        var accepted = baselines.Select(b => b.RunId).ToHashSet(StringComparer.Ordinal);
        var loaded = new Dictionary<string, RunData?>(StringComparer.Ordinal);
        RunData? Load(HistoryRun r)
        {
            if (!loaded.TryGetValue(r.RunId, out var data))
            {
                try
                {
                    data = r.FolderExists ? RunData.Load(r.Folder) : null;
                }
                catch (Exception e) when (e is IOException or InvalidDataException or System.Text.Json.JsonException or UnauthorizedAccessException)
                {
                    data = null;
                }

                loaded[r.RunId] = data;
            }

            return data;
        }

        var list = new List<Judgement>();
        foreach (var run in runs)
        {
            foreach (var t in run.Topologies)
            {
                if (accepted.Contains(run.RunId))
                {
                    list.Add(new Judgement(run.RunId, t.Topology, null, "an accepted baseline", []));
                    continue;
                }

                var bases = accepted.Select(id => byId.GetValueOrDefault(id)).OfType<HistoryRun>()
                    .Where(b => b.StartedAt < run.StartedAt && b.Topologies.Any(x => x.Topology == t.Topology))
                    .OrderBy(b => b.StartedAt).TakeLast(lastN).ToList();
                if (bases.Count == 0)
                {
                    list.Add(new Judgement(run.RunId, t.Topology, null, "not judged: no accepted baseline of this topology before it", []));
                    continue;
                }

                var missing = bases.Append(run).Where(b => Load(b) is null).ToList();
                if (missing.Count > 0)
                {
                    list.Add(new Judgement(run.RunId, t.Topology, null,
                        $"not judged: the run folder of {string.Join(", ", missing.Select(m => $"{m.RunId} (recorded at {m.Folder})"))} is missing or unreadable — move it back or 'history add' it from where it is now",
                        [.. bases.Select(b => b.RunId)]));
                    continue;
                }

                var candidate = Load(run)!;
                var sides = bases.Select(b => new Side($"baseline {b.Release ?? b.RunId}", Load(b)!, Load(b)!.Summary.Topologies.First(x => x.Name == t.Topology))).ToList();
                var c = TopologyComparison.Compare(sides, new Side(run.Release ?? run.RunId, candidate, candidate.Summary.Topologies.First(x => x.Name == t.Topology)), candidate.Comparison);
                list.Add(new Judgement(run.RunId, t.Topology, c.Headline, c.Sentence, [.. bases.Select(b => b.RunId)]));
            }
        }

        return list;
    }

    /// <summary>trend.md: per topology, one row per run (oldest first) with its figures and intervals, path, drift and judgement.</summary>
    public static string Markdown(string title, IReadOnlyList<HistoryRun> runs, IReadOnlyList<HistoryBaseline> baselines, IReadOnlyList<Judgement> judgements)
    {
        ArgumentNullException.ThrowIfNull(runs);
        ArgumentNullException.ThrowIfNull(judgements);
        var sb = new StringBuilder();
        sb.AppendLine(CultureInfo.InvariantCulture, $"# {title}");
        sb.AppendLine();
        sb.AppendLine(Headline(runs, judgements));
        foreach (var topology in Topologies(runs))
        {
            sb.AppendLine();
            sb.AppendLine(CultureInfo.InvariantCulture, $"## {topology}");
            sb.AppendLine();
            var rows = Rows(topology, runs, baselines, judgements);
            sb.AppendLine("| " + string.Join(" | ", Header) + " |");
            sb.AppendLine("|" + string.Concat(Header.Select(_ => "---|")));
            foreach (var row in rows)
            {
                sb.AppendLine("| " + string.Join(" | ", row.Select(c => c.Replace("|", "\\|", StringComparison.Ordinal))) + " |");
            }
        }

        sb.AppendLine();
        sb.AppendLine(Method);
        return sb.ToString();
    }

    /// <summary>trend.html: self-contained, a chart per headline figure per topology and the table of trend.md.</summary>
    public static string Html(string title, IReadOnlyList<HistoryRun> runs, IReadOnlyList<HistoryBaseline> baselines, IReadOnlyList<Judgement> judgements)
    {
        ArgumentNullException.ThrowIfNull(runs);
        ArgumentNullException.ThrowIfNull(judgements);
        var sb = new StringBuilder();
        sb.Append(CultureInfo.InvariantCulture, $"<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{E(title)}</title><style>{Css}</style></head><body>");
        sb.Append(CultureInfo.InvariantCulture, $"<h1>{E(title)}</h1>");
        var flagged = judgements.Any(j => j.Worse);
        sb.Append(CultureInfo.InvariantCulture, $"<p id=\"headline\" class=\"verdict {(flagged ? "bad" : "neutral")}\">{E(Headline(runs, judgements))}</p>");
        foreach (var topology in Topologies(runs))
        {
            var id = Id(topology);
            sb.Append(CultureInfo.InvariantCulture, $"<h2 id=\"topology-{id}\">{E(topology)}</h2>");
            var mine = runs.Where(r => r.Topologies.Any(t => t.Topology == topology)).ToList();
            var accepted = baselines.Select(b => b.RunId).ToHashSet(StringComparer.Ordinal);
            foreach (var (figure, unit, pick) in Figures)
            {
                var points = mine.Select(r => (r, t: r.Topologies.First(t => t.Topology == topology))).Where(x => pick(x.t) is not null)
                    .Select(x => new TrendPoint(x.r.Axis, pick(x.t)!.Value, pick(x.t)!.Low, pick(x.t)!.High, accepted.Contains(x.r.RunId),
                        judgements.Any(j => j.RunId == x.r.RunId && j.Topology == topology && j.Worse)))
                    .ToList();
                sb.Append(CultureInfo.InvariantCulture, $"<figure id=\"trend-{id}-{figure}\">{Strip(Charts.Trend($"{topology}: {figure} by release", unit, points))}</figure>");
            }

            sb.Append(CultureInfo.InvariantCulture, $"<table id=\"trend-table-{id}\"><tr>{string.Concat(Header.Select(h => $"<th>{E(h)}</th>"))}</tr>");
            foreach (var row in Rows(topology, runs, baselines, judgements))
            {
                var worse = row[^1].StartsWith("WORSE", StringComparison.Ordinal);
                sb.Append(CultureInfo.InvariantCulture, $"<tr{(worse ? " class=\"worse\"" : "")}>{string.Concat(row.Select(c => $"<td>{E(c)}</td>"))}</tr>");
            }

            sb.Append("</table>");
        }

        sb.Append(CultureInfo.InvariantCulture, $"<p class=\"small\">{E(Method)}</p></body></html>");
        return sb.ToString();
    }

    private static readonly string[] Header = ["release", "run", "label", "p50 ms [95%]", "p99 ms [95%]", "unplanned ends / 1000 stream-h [95%]", "path", "drift inside the run", "vs accepted baselines"];

    private static readonly (string Figure, string Unit, Func<HistoryTopology, Interval?> Pick)[] Figures =
    [
        ("p50", "ms", t => t.P50),
        ("p99", "ms", t => t.P99),
        ("unplanned-ends", "per 1000 stream-hours", t => t.UnplannedRate),
    ];

    private const string Method =
        "Each run's p50 and p99 are the mean over batches of its interval histograms with a 95% t interval: variation within the run only (runs vary more between them). " +
        "Unplanned ends per 1,000 stream-hours with Garwood's exact Poisson interval. A run is judged against the accepted baselines that started before it (the last few, per topology) " +
        "by the comparison's own rules (compare-runs BASE… CANDIDATE: several baselines measure the spread between runs); 'worse' is flagged. " +
        "Path: the fingerprint's hash (docs/fingerprint.md), 'changed' when it differs from the run before. Drift: the figures that moved inside the run (docs/history.md).";

    private const string Css = """
        body{font-family:"DejaVu Sans",Arial,sans-serif;max-width:940px;margin:1em auto;padding:0 1em;color:#222;font-size:14px}
        h1{font-size:1.4em}h2{font-size:1.15em;margin-top:1.6em;border-bottom:1px solid #ccc}
        .verdict{padding:.8em 1em;border-radius:6px;font-weight:bold}.bad{background:#fbe3e3;border:1px solid #c55}.neutral{background:#eef;border:1px solid #88a}
        table{border-collapse:collapse;width:100%;margin:.5em 0;font-size:12px}td,th{border:1px solid #ddd;padding:3px 6px;text-align:left;vertical-align:top}
        th{background:#f4f4f4}tr.worse td{background:#fbe3e3}figure{margin:1em 0}figure svg{width:100%;height:auto}.small{color:#666;font-size:12px}
        """;

    private static string Headline(IReadOnlyList<HistoryRun> runs, IReadOnlyList<Judgement> judgements)
    {
        var worse = judgements.Where(j => j.Worse).ToList();
        var judged = judgements.Count(j => j.Headline is not null);
        var releases = runs.Select(r => r.Axis).Distinct().Count();
        return worse.Count > 0
            ? $"{worse.Count} of {judged} judged run topologies are worse than their accepted baselines: " +
                string.Join("; ", worse.Select(j => $"{Release(runs, j.RunId)} {j.Topology}"))
            : judged > 0
                ? $"none of {judged} judged run topologies is worse than its accepted baselines ({runs.Count} runs, {releases} releases)"
                : $"no run could be judged: accept a baseline first (loadgen history accept <run> --as NAME --why …) ({runs.Count} runs, {releases} releases)";
    }

    private static string Release(IReadOnlyList<HistoryRun> runs, string runId) => runs.First(r => r.RunId == runId).Axis;

    private static List<string> Topologies(IReadOnlyList<HistoryRun> runs) =>
        runs.SelectMany(r => r.Topologies.Select(t => t.Topology)).Distinct(StringComparer.Ordinal).ToList();

    private static List<string[]> Rows(string topology, IReadOnlyList<HistoryRun> runs, IReadOnlyList<HistoryBaseline> baselines, IReadOnlyList<Judgement> judgements)
    {
        var rows = new List<string[]>();
        string? previous = null;
        foreach (var r in runs)
        {
            if (r.Topologies.FirstOrDefault(x => x.Topology == topology) is not { } t)
            {
                continue;
            }

            var accepted = baselines.Where(b => b.RunId == r.RunId).Select(b => b.Name).ToList();
            var path = t.PathFingerprint is null ? "not recorded" : previous is not null && previous != t.PathFingerprint ? $"{t.PathFingerprint} (changed)" : t.PathFingerprint;
            previous = t.PathFingerprint ?? previous;
            var j = judgements.FirstOrDefault(x => x.RunId == r.RunId && x.Topology == topology);
            var judged = j is null ? "" : j.Worse ? "WORSE: " + j.Text : j.Text;
            var notes = new List<string>();
            if (accepted.Count > 0)
            {
                notes.Add("★ baseline " + string.Join(", ", accepted));
            }

            if (!r.FolderExists)
            {
                notes.Add($"folder missing (recorded at {r.Folder})");
            }

            if (t.Saturated)
            {
                notes.Add("generator saturated");
            }

            rows.Add([
                r.Axis,
                r.RunId + (notes.Count > 0 ? $" ({string.Join("; ", notes)})" : ""),
                r.Label ?? "",
                t.P50?.ToString() ?? "-",
                t.P99?.ToString() ?? "-",
                t.UnplannedRate?.ToString() ?? "-",
                path,
                t.DriftSummary,
                judged,
            ]);
        }

        return rows;
    }

    private static string Strip(string svg) =>
        svg.StartsWith("<?xml", StringComparison.Ordinal) ? svg[(svg.IndexOf("?>", StringComparison.Ordinal) + 2)..] : svg;

    private static string Id(string name) => new(name.Select(c => char.IsAsciiLetterOrDigit(c) ? c : '-').ToArray());

    private static string E(string text) => WebUtility.HtmlEncode(text);
}
