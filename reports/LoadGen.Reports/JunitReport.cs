using System.Globalization;
using System.Xml.Linq;
using LoadGen.Results;

namespace LoadGen.Reports;

/// <summary>
/// junit.xml: one test case per threshold and topology and one per gated comparison figure, so CI
/// systems show them as tests; warnings as properties; a run that did not complete as an error.
/// </summary>
public static class JunitReport
{
    public static string Render(RunSummary summary, IReadOnlyList<TopologyComparison>? comparisons = null, IReadOnlyList<string>? warnings = null)
    {
        ArgumentNullException.ThrowIfNull(summary);
        comparisons ??= [];
        var cases = summary.Thresholds.Select(t =>
        {
            var c = new XElement("testcase",
                new XAttribute("classname", $"loadgen.{summary.Scenario}.{t.Topology}"),
                new XAttribute("name", t.Expression),
                new XAttribute("time", "0"));
            var actual = t.ActualText;
            c.Add(new XElement("system-out", $"{t.Expression} on {t.Topology}: actual {actual}, limit {MarkdownReport.Limit(t)}"));
            if (!t.Passed)
            {
                c.Add(new XElement("failure", new XAttribute("message", $"{t.Expression}: actual {actual}, limit {MarkdownReport.Limit(t)}"), $"{t.Expression} failed on {t.Topology}: actual {actual}, limit {MarkdownReport.Limit(t)}"));
            }

            return c;
        }).ToList();
        var failures = summary.Thresholds.Count(t => !t.Passed);
        foreach (var cmp in comparisons.Where(c => c.Settings.Gate == ComparisonGate.None))
        {
            // Not a gate: one passing case that carries the headline, so the comparison is visible in CI.
            cases.Add(new XElement("testcase",
                new XAttribute("classname", $"loadgen.{summary.Scenario}.compare.{cmp.Candidate.Label}"),
                new XAttribute("name", $"comparison vs {cmp.Baseline.Label} (information, not a gate)"),
                new XAttribute("time", "0"),
                new XElement("system-out", $"{cmp.Sentence}\n{cmp.Verdict}")));
        }

        foreach (var cmp in comparisons.Where(c => c.Settings.Gate != ComparisonGate.None))
        {
            var gate = ComparisonSettings.GateName(cmp.Settings.Gate);
            var figures = cmp.Problem is not null ? [null] : cmp.Primary.Select(f => (FigureRow?)f).ToList();
            foreach (var f in figures)
            {
                var passed = f is not null && (cmp.Settings.Gate == ComparisonGate.Equivalent ? f.Verdict == ComparisonVerdict.Equivalent : f.NotWorse);
                var text = f?.Reading ?? cmp.Verdict;
                var c = new XElement("testcase",
                    new XAttribute("classname", $"loadgen.{summary.Scenario}.compare.{cmp.Candidate.Label}"),
                    new XAttribute("name", $"{gate}: {f?.Figure ?? "comparison"} vs {cmp.Baseline.Label}"),
                    new XAttribute("time", "0"),
                    new XElement("system-out", text));
                if (!passed)
                {
                    failures++;
                    c.Add(new XElement("failure", new XAttribute("message", $"gate {gate}: {text}"), cmp.Gate.Text));
                }

                cases.Add(c);
            }
        }

        foreach (var cmp in comparisons.Where(c => c.Settings.ExpectPath != PathExpectation.Any))
        {
            var (passed, text) = cmp.PathCheck;
            var c = new XElement("testcase",
                new XAttribute("classname", $"loadgen.{summary.Scenario}.compare.{cmp.Candidate.Label}"),
                new XAttribute("name", $"expect-path {cmp.Settings.ExpectPath.ToString().ToLowerInvariant()} vs {cmp.Baseline.Label}"),
                new XAttribute("time", "0"),
                new XElement("system-out", text));
            if (!passed)
            {
                failures++;
                c.Add(new XElement("failure", new XAttribute("message", text), text));
            }

            cases.Add(c);
        }

        var incomplete = summary.Completion != RunCompletion.Completed;
        var suite = new XElement("testsuite",
            new XAttribute("name", $"loadgen {summary.Scenario} {summary.RunId}"),
            new XAttribute("tests", cases.Count + (incomplete ? 1 : 0)),
            new XAttribute("failures", failures),
            new XAttribute("errors", incomplete ? 1 : 0),
            new XAttribute("timestamp", summary.StartedAt.ToString("s", CultureInfo.InvariantCulture)));
        var all = summary.Warnings.Concat(warnings ?? []).ToList();
        var notes = SummaryTable.Notes(summary);
        // Each topology's path fingerprint, field by field (path.TOPOLOGY.FIELD), as CI systems show properties.
        var path = summary.Topologies.Where(t => t.Path is not null)
            .SelectMany(t => t.Path!.Fields.Keys.Select(f => new XElement("property", new XAttribute("name", $"path.{t.Name}.{f}"), new XAttribute("value", t.Path.Show(f)))))
            .ToList();
        if (all.Count + notes.Count + path.Count > 0)
        {
            suite.Add(new XElement("properties",
                all.Select((w, i) => new XElement("property", new XAttribute("name", $"warning.{i + 1}"), new XAttribute("value", w))),
                notes.Select((n, i) => new XElement("property", new XAttribute("name", $"note.{i + 1}"), new XAttribute("value", n))),
                path));
        }

        suite.Add(cases);
        if (incomplete)
        {
            var why = summary.AbortedBy is { } abort
                ? $"the run was aborted: {abort.Describe()}; thresholds are judged on the part that ran"
                : $"the run is {summary.Completion}: thresholds are judged on the part that ran";
            suite.Add(new XElement("testcase",
                new XAttribute("classname", $"loadgen.{summary.Scenario}"),
                new XAttribute("name", "the run completed"),
                new XAttribute("time", "0"),
                new XElement("error", new XAttribute("message", why), new XAttribute("type", summary.Completion), why)));
            suite.Add(new XElement("system-err", why));
        }

        return new XDocument(new XDeclaration("1.0", "utf-8", null), new XElement("testsuites", suite)).ToString();
    }
}
