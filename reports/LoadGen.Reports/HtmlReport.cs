using System.Globalization;
using System.Net;
using System.Text;
using LoadGen.Results.Analysis;

namespace LoadGen.Reports;

/// <summary>report.html: one self-contained file (inline CSS and SVG, no script, no fetch), readable on a laptop.</summary>
public static class HtmlReport
{
    private const string Css = """
        body{font-family:"DejaVu Sans",Arial,sans-serif;max-width:940px;margin:1em auto;padding:0 1em;color:#222;font-size:14px}
        h1{font-size:1.4em}h2{font-size:1.15em;margin-top:1.6em;border-bottom:1px solid #ccc}
        .verdict{padding:.8em 1em;border-radius:6px;font-weight:bold;font-size:1.1em}
        .good{background:#e3f4e3;border:1px solid #5a5}.bad{background:#fbe3e3;border:1px solid #c55}.neutral{background:#eef;border:1px solid #88a}
        .warn{background:#fff4d6;border:1px solid #d9a;padding:.5em 1em;border-radius:6px}
        table{border-collapse:collapse;width:100%;margin:.5em 0;font-size:13px}td,th{border:1px solid #ddd;padding:3px 6px;text-align:left;vertical-align:top}
        th{background:#f4f4f4}td.n{text-align:right;white-space:nowrap}
        figure{margin:1em 0}figure svg{width:100%;height:auto}
        .small{color:#666;font-size:12px}td.fail{color:#b00;font-weight:bold}td.pass{color:#070}
        """;

    public static string Render(RunData run, IReadOnlyList<TopologyComparison> comparisons, string? warning = null, BaselineRun? baseline = null)
    {
        ArgumentNullException.ThrowIfNull(run);
        ArgumentNullException.ThrowIfNull(comparisons);
        var s = run.Summary;
        var sb = new StringBuilder();
        sb.Append(CultureInfo.InvariantCulture, $"<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{E(s.Scenario)} — {E(baseline?.Title(s) ?? s.RunId)}</title><style>{Css}</style></head><body>");
        sb.Append(CultureInfo.InvariantCulture, $"<h1>{E(s.Scenario)} <span class=\"small\">{E(baseline?.Title(s) ?? s.RunId)}</span></h1>");
        var css = MarkdownReport.BannerClass(s, comparisons);
        sb.Append(CultureInfo.InvariantCulture, $"<div class=\"verdict {css}\" id=\"verdict\">{E(MarkdownReport.Verdict(s, comparisons))}</div>");
        foreach (var w in MarkdownReport.Extra(warning, baseline, run, comparisons))
        {
            sb.Append(CultureInfo.InvariantCulture, $"<p class=\"warn\">⚠ {E(w)}</p>");
        }

        foreach (var w in s.Warnings)
        {
            sb.Append(CultureInfo.InvariantCulture, $"<p class=\"warn\" id=\"insecure\"><strong>⚠ {E(w)}</strong></p>");
        }

        if (s.Generator is { } generator)
        {
            sb.Append(generator.Saturated
                ? $"<p class=\"warn\" id=\"generator\"><strong>⚠ {E(GeneratorHealth.Describe(generator))}</strong></p>"
                : $"<p class=\"small\" id=\"generator\">{E(GeneratorHealth.Describe(generator))}</p>");
        }

        if (run.Rebuilt)
        {
            sb.Append("<p class=\"warn\">⚠ This run did not finish (no summary.json): figures are rebuilt from what it flushed as it went, up to its last interval.</p>");
        }

        sb.Append(CultureInfo.InvariantCulture, $"<p class=\"small\">{(baseline is null ? $"{s.StartedAt:yyyy-MM-dd HH:mm:ss} → {s.EndedAt:HH:mm:ss} UTC · {E(s.Completion.Value)}" : E(baseline.TimeRanges(s)))} · latency = round trip per message from its scheduled send time (coordinated-omission corrected)</p>");
        foreach (var note in SummaryTable.Notes(s))
        {
            sb.Append(CultureInfo.InvariantCulture, $"<p class=\"warn note\">{E(note)}</p>");
        }

        if (SummaryTable.Workload(s) is { } workload)
        {
            sb.Append(CultureInfo.InvariantCulture, $"<p class=\"small\">streams called <code>{E(workload.Method)}</code> · replies matched {E(workload.Matching)}</p>");
        }


        if (s.Thresholds.Count > 0)
        {
            sb.Append("<h2>Thresholds</h2><table id=\"thresholds\"><tr><th>threshold</th><th>topology</th><th>actual</th><th>limit</th><th>result</th></tr>");
            foreach (var t in s.Thresholds)
            {
                sb.Append(CultureInfo.InvariantCulture, $"<tr><td><code>{E(t.Expression)}</code></td><td>{E(t.Topology)}</td><td class=\"n\">{E(t.ActualText)}</td><td class=\"n\">{E(MarkdownReport.Limit(t))}</td><td class=\"{(t.Passed ? "pass" : "fail")}\">{(t.Passed ? "pass" : "FAIL")}</td></tr>");
            }

            sb.Append("</table>");
        }

        foreach (var c in comparisons)
        {
            sb.Append(CultureInfo.InvariantCulture, $"<h2>{E(c.Baseline.Label)} (baseline) vs {E(c.Candidate.Label)}</h2><p><strong>{E(c.Sentence)}.</strong></p><p>{E(c.Verdict)}.</p>");
            Table(sb, "comparison-" + Id(c.Candidate.Label), ComparisonTable.Build(c), "comparison");
            sb.Append(CultureInfo.InvariantCulture, $"<p class=\"{(c.Gate.Passed ? "small" : "warn")}\">Comparison gate: {E(c.Gate.Text)}.</p>");
            if (c.Settings.ExpectPath != LoadGen.Results.PathExpectation.Any)
            {
                sb.Append(CultureInfo.InvariantCulture, $"<p class=\"{(c.PathCheck.Passed ? "small" : "warn")}\" id=\"path-expectation\">Path expectation: {E(c.PathCheck.Text)}.</p>");
            }
            sb.Append(CultureInfo.InvariantCulture, $"<p class=\"small\">{E(c.DeltaMethod)}</p>");
            if (c.NewCauses.Count > 0)
            {
                sb.Append(CultureInfo.InvariantCulture, $"<p>New causes on {E(c.Candidate.Label)}: {E(string.Join(", ", c.NewCauses))}.</p>");
            }

            if (PathCard.Differences(c) is { } path)
            {
                sb.Append(CultureInfo.InvariantCulture, $"<p class=\"path-difference\">Path: {E(path)}.</p>");
            }
        }

        sb.Append("<h2>Latency</h2>");
        Figure(sb, "chart-spectrum", Charts.PercentileSpectrum(run, baseline));
        Figure(sb, "chart-latency-over-time", Charts.OverTime(run, baseline, "p50 (thin, open markers) and p99 of each interval", "ms", ("p50", r => r.P50Ms), ("p99", r => r.P99Ms)));
        sb.Append("<h2>Streams</h2>");
        Figure(sb, "chart-active", Charts.OverTime(run, baseline, "Active streams", "streams", ("active", r => r.Active)));
        if (baseline is not null)
        {
            Figure(sb, "chart-ends-baseline", Charts.EndsByCause(baseline.Run, baseline.Topology, $"{baseline.Run.Summary.RunId}/{baseline.Topology} (baseline)"));
        }

        foreach (var t in s.Topologies)
        {
            Figure(sb, $"chart-ends-{Id(t.Name)}", Charts.EndsByCause(run, t.Name, baseline is null ? null : $"{s.RunId}/{t.Name}"));
        }

        Figure(sb, "chart-survival", Charts.Survival(baseline?.Combined(s) ?? s, dashedFirst: baseline is not null));

        sb.Append("<h2>Detected timeouts</h2><table id=\"timeouts\"><tr><th>topology</th><th>direction</th><th>seconds</th><th>cause</th><th>streams</th></tr>");
        var any = false;
        foreach (var t in (baseline?.Combined(s) ?? s).Topologies)
        {
            foreach (var d in t.DetectedTimeouts)
            {
                any = true;
                sb.Append(CultureInfo.InvariantCulture, $"<tr><td>{E(t.Name)}</td><td>{E(d.Direction)}</td><td class=\"n\">{d.Seconds:0.0}</td><td>{E(d.Cause)}</td><td class=\"n\">{d.Count:#,0}</td></tr>");
            }
        }

        if (!any)
        {
            sb.Append("<tr><td colspan=\"5\">none: no unplanned ends cluster at one value</td></tr>");
        }

        sb.Append("</table>");
        sb.Append("<h2>Detected limits</h2><table id=\"limits\"><tr><th>topology</th><th>kind</th><th>what</th><th>streams</th></tr>");
        var limits = (baseline?.Combined(s) ?? s).Topologies.SelectMany(t => t.DetectedLimits.Select(d => (t.Name, d))).ToList();
        foreach (var (name, d) in limits)
        {
            sb.Append(CultureInfo.InvariantCulture, $"<tr><td>{E(name)}</td><td>{E(d.Kind)}</td><td>{E(d.Text)}</td><td class=\"n\">{d.Count:#,0}</td></tr>");
        }

        if (limits.Count == 0)
        {
            sb.Append("<tr><td colspan=\"4\">none: no ends at one message count, no connections the server kept ending</td></tr>");
        }

        sb.Append("</table>");
        if (s.Events.Count > 0)
        {
            sb.Append("<h2>Faults on cue</h2><table id=\"events\"><tr><th>time</th><th>topology</th><th>cue</th><th>fault</th><th>state</th><th>what happened</th></tr>");
            foreach (var e in s.Events)
            {
                sb.Append(CultureInfo.InvariantCulture, $"<tr><td>{e.Time:HH:mm:ss}</td><td>{E(e.Topology)}{(e.Round is { } r ? $" r{r}" : "")}</td><td class=\"n\">{e.AtS:0.#} s</td><td>{E(e.Description)}</td><td>{E(e.State)}</td><td>{E(e.Detail ?? "")}</td></tr>");
            }

            sb.Append("</table>");
        }

        sb.Append("<h2>Every topology</h2>");
        Table(sb, "summary", SummaryTable.Build(baseline?.Combined(s) ?? s));
        if (SummaryTable.Rounds(s) is { } rounds)
        {
            sb.Append("<h2>Rounds</h2>");
            Table(sb, "rounds", rounds);
        }

        if (PathCard.Build((baseline?.Combined(s) ?? s).Topologies) is { } pathTable)
        {
            sb.Append("<h2>Path <span class=\"small\">what each target announced on the wire</span></h2>");
            Table(sb, "path", pathTable);
        }

        if (DriftCard.Build((baseline?.Combined(s) ?? s).Topologies) is { } driftTable)
        {
            sb.Append("<h2>Drift <span class=\"small\">did a figure move while the population was held? (slope per hour, 95% interval)</span></h2>");
            Table(sb, "drift", driftTable);
            foreach (var note in DriftCard.Notes((baseline?.Combined(s) ?? s).Topologies))
            {
                sb.Append(CultureInfo.InvariantCulture, $"<p class=\"small\">{E(note)}</p>");
            }
        }

        sb.Append("<h2>Environment</h2><table id=\"environment\">");
        foreach (var t in (baseline?.Combined(s) ?? s).Topologies)
        {
            sb.Append(CultureInfo.InvariantCulture, $"<tr><td>{E(t.Name)}</td><td>{E(t.Address)}<br>{E(t.Components ?? "your endpoint (not a lab topology)")}{(t.Connection is { } c ? "<br>" + E(c) : "")}</td></tr>");
        }

        if (s.LoadGen is { } p)
        {
            sb.Append(CultureInfo.InvariantCulture, $"<tr><td>LoadGen process</td><td>peak RSS {p.PeakRssMb:0} MB, CPU {p.CpuSeconds:0.0} s ({p.AvgCpuPercentOfOneCore:0}% of one core), {p.Processors} processors</td></tr>");
        }

        sb.Append("</table><p class=\"small\">Each compared figure is better, worse, equivalent (its whole interval inside its margin) or cannot tell — never \"at least as good\" for want of evidence; the headline rests on the primary figures (★). " +
            "Source: summary.json, comparison.json, latency.hlog, intervals.ndjson, outcomes.ndjson.</p>");
        sb.Append("</body></html>");
        return sb.ToString();
    }

    private static void Table(StringBuilder sb, string id, SummaryTable table, string? cssClass = null)
    {
        sb.Append(CultureInfo.InvariantCulture, $"<table id=\"{id}\"{(cssClass is null ? "" : $" class=\"{cssClass}\"")}><tr>{string.Concat(table.Header.Select(h => $"<th>{E(h)}</th>"))}</tr>");
        foreach (var row in table.Rows)
        {
            sb.Append("<tr>" + string.Concat(row.Select(c => $"<td>{E(c)}</td>")) + "</tr>");
        }

        sb.Append("</table>");
    }

    private static void Figure(StringBuilder sb, string id, string svg) =>
        sb.Append(CultureInfo.InvariantCulture, $"<figure id=\"{id}\">{StripXmlDeclaration(svg)}</figure>");

    private static string StripXmlDeclaration(string svg) =>
        svg.StartsWith("<?xml", StringComparison.Ordinal) ? svg[(svg.IndexOf("?>", StringComparison.Ordinal) + 2)..] : svg;

    private static string Id(string name) => new(name.Select(c => char.IsAsciiLetterOrDigit(c) ? c : '-').ToArray());

    private static string E(string text) => WebUtility.HtmlEncode(text);
}
