using System.Globalization;
using System.Xml.Linq;
using LoadGen.Results;

namespace LoadGen.Reports;

/// <summary>junit.xml: one test case per threshold and topology, so CI systems show them as tests.</summary>
public static class JunitReport
{
    public static string Render(RunSummary summary)
    {
        ArgumentNullException.ThrowIfNull(summary);
        var cases = summary.Thresholds.Select(t =>
        {
            var c = new XElement("testcase",
                new XAttribute("classname", $"loadgen.{summary.Scenario}.{t.Topology}"),
                new XAttribute("name", t.Expression),
                new XAttribute("time", "0"));
            var actual = t.ActualText;
            c.Add(new XElement("system-out", $"{t.Expression} on {t.Topology}: actual {actual}"));
            if (!t.Passed)
            {
                c.Add(new XElement("failure", new XAttribute("message", $"{t.Expression}: actual {actual}"), $"{t.Expression} failed on {t.Topology}: actual {actual}"));
            }

            return c;
        }).ToList();
        var suite = new XElement("testsuite",
            new XAttribute("name", $"loadgen {summary.Scenario} {summary.RunId}"),
            new XAttribute("tests", cases.Count),
            new XAttribute("failures", summary.Thresholds.Count(t => !t.Passed)),
            new XAttribute("errors", summary.Completion == "completed" ? 0 : 1),
            new XAttribute("timestamp", summary.StartedAt.ToString("s", CultureInfo.InvariantCulture)),
            cases);
        if (summary.Completion != "completed")
        {
            suite.Add(new XElement("system-err", summary.AbortedBy is { } abort
                ? $"the run was aborted: {abort.Describe()}; thresholds are judged on the part that ran"
                : $"the run is {summary.Completion}: thresholds are judged on the part that ran"));
        }

        return new XDocument(new XDeclaration("1.0", "utf-8", null), new XElement("testsuites", suite)).ToString();
    }
}
