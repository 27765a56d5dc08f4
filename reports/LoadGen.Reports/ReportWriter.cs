namespace LoadGen.Reports;

/// <summary>Writes summary.md, report.html and junit.xml for a run folder, from what the folder holds.</summary>
public static class ReportWriter
{
    public const string Markdown = "summary.md";
    public const string Html = "report.html";
    public const string Junit = "junit.xml";

    public sealed record Written(string Html, string Markdown, string Junit, IReadOnlyList<TopologyComparison> Comparisons);

    /// <summary>Reports one run: its first topology is the baseline, each other one a candidate.</summary>
    public static Written WriteRun(string runFolder) => WriteRun(RunData.Load(runFolder));

    /// <summary>Reports one run already loaded (so a folder that cannot be read and a report that cannot be written are told apart).</summary>
    public static Written WriteRun(RunData run)
    {
        ArgumentNullException.ThrowIfNull(run);
        var t = run.Summary.Topologies;
        var comparisons = t.Skip(1).Select(c => TopologyComparison.Compare(new Side(t[0].Name, run, t[0]), new Side(c.Name, run, c))).ToList();
        return Write(run.Folder.Path, run, comparisons, null);
    }

    /// <summary>
    /// Compares a topology of a baseline run with one of a candidate run (recorded at different times);
    /// writes the reports into <paramref name="outFolder"/>.
    /// </summary>
    public static Written WriteComparison(RunData baseline, string baselineTopology, RunData candidate, string candidateTopology, string outFolder, string? warning)
    {
        ArgumentNullException.ThrowIfNull(baseline);
        ArgumentNullException.ThrowIfNull(candidate);
        var a = baseline.Summary.Topologies.Single(x => x.Name == baselineTopology);
        var b = candidate.Summary.Topologies.Single(x => x.Name == candidateTopology);
        var c = TopologyComparison.Compare(new Side($"{baseline.Folder.RunId}/{a.Name}", baseline, a), new Side($"{candidate.Folder.RunId}/{b.Name}", candidate, b));
        Directory.CreateDirectory(outFolder);
        return Write(outFolder, candidate, [c], warning);
    }

    private static Written Write(string folder, RunData run, IReadOnlyList<TopologyComparison> comparisons, string? warning)
    {
        var html = Path.Combine(folder, Html);
        var md = Path.Combine(folder, Markdown);
        var junit = Path.Combine(folder, Junit);
        Atomic(md, MarkdownReport.Render(run, comparisons, warning));
        Atomic(html, HtmlReport.Render(run, comparisons, warning));
        Atomic(junit, JunitReport.Render(run.Summary));
        return new Written(html, md, junit, comparisons);
    }

    private static void Atomic(string path, string text)
    {
        var temp = path + ".tmp";
        File.WriteAllText(temp, text);
        File.Move(temp, path, overwrite: true);
    }
}
