using System.Text.Json;
using LoadGen.Results;

namespace LoadGen.Reports;

/// <summary>Writes summary.md, report.html, junit.xml and comparison.json for a run folder, from what the folder holds.</summary>
public static class ReportWriter
{
    public const string Markdown = RunFolder.MarkdownFile;
    public const string Html = RunFolder.HtmlFile;
    public const string Junit = RunFolder.JunitFile;
    public const string ComparisonJson = RunFolder.ComparisonFile;

    /// <param name="Summary">The run's summary as the reports judged it (delta thresholds by the comparison's interval).</param>
    public sealed record Written(string Html, string Markdown, string Junit, IReadOnlyList<TopologyComparison> Comparisons, RunSummary Summary);

    /// <summary>Reports one run: its first topology is the baseline, each other one a candidate.</summary>
    public static Written WriteRun(string runFolder) => WriteRun(RunData.Load(runFolder));

    /// <summary>Reports one run already loaded (so a folder that cannot be read and a report that cannot be written are told apart).</summary>
    public static Written WriteRun(RunData run)
    {
        ArgumentNullException.ThrowIfNull(run);
        var t = run.Summary.Topologies;
        var comparisons = t.Skip(1).Select(c => TopologyComparison.Compare(new Side(t[0].Name, run, t[0]), new Side(c.Name, run, c), run.Comparison)).ToList();
        var judged = DeltaThresholds.Judge(run, comparisons);
        if (!judged.Thresholds.SequenceEqual(run.Summary.Thresholds))
        {
            // One delta per figure: summary.json, the console and every report carry the comparison's judgement.
            run.Rejudged(judged);
            if (!run.Rebuilt)
            {
                run.Folder.WriteJson(RunFolder.SummaryFile, judged);
            }
        }

        return Write(run.Folder.Path, run, comparisons, null);
    }

    /// <summary>
    /// Compares a topology of one or more baseline runs with one of a candidate run (recorded at
    /// different times); writes the reports into <paramref name="outFolder"/>.
    /// </summary>
    public static Written WriteComparison(IReadOnlyList<(RunData Run, string Topology)> baselines, RunData candidate, string candidateTopology, string outFolder, string? warning, ComparisonSettings settings)
    {
        ArgumentNullException.ThrowIfNull(baselines);
        ArgumentNullException.ThrowIfNull(candidate);
        var sides = baselines.Select(b => new Side($"{b.Run.Folder.RunId}/{b.Topology}", b.Run, b.Run.Summary.Topologies.Single(x => x.Name == b.Topology))).ToList();
        var tb = candidate.Summary.Topologies.Single(x => x.Name == candidateTopology);
        var c = TopologyComparison.Compare(sides, new Side($"{candidate.Folder.RunId}/{tb.Name}", candidate, tb), settings);
        Directory.CreateDirectory(outFolder);
        return Write(outFolder, candidate, [c], warning, new BaselineRun(baselines[0].Run, baselines[0].Topology));
    }

    private static Written Write(string folder, RunData run, List<TopologyComparison> comparisons, string? warning, BaselineRun? baseline = null)
    {
        var html = Path.Combine(folder, Html);
        var md = Path.Combine(folder, Markdown);
        var junit = Path.Combine(folder, Junit);
        Atomic(md, MarkdownReport.Render(run, comparisons, warning, baseline));
        Atomic(html, HtmlReport.Render(run, comparisons, warning, baseline));
        Atomic(junit, JunitReport.Render(run.Summary, comparisons, MarkdownReport.Extra(warning, baseline, run, comparisons)));
        if (comparisons.Count > 0)
        {
            var warnings = MarkdownReport.Extra(warning, baseline, run, comparisons).Concat(run.Summary.Warnings).ToList();
            Atomic(Path.Combine(folder, ComparisonJson), JsonSerializer.Serialize(ComparisonRecord.From(comparisons) with { Warnings = warnings }, RunSummary.JsonOptions));
        }

        return new Written(html, md, junit, comparisons, run.Summary);
    }

    private static void Atomic(string path, string text)
    {
        var temp = path + ".tmp";
        File.WriteAllText(temp, text);
        File.Move(temp, path, overwrite: true);
    }
}

/// <summary>comparison.json: every comparison's headline, gate and figures, for tools.</summary>
public sealed record ComparisonRecord(string Verdict, bool GatesPassed, IReadOnlyList<ComparisonRecord.One> Comparisons)
{
    /// <summary>What a reader must not miss: a scenario mismatch between compared runs, embedded stand-ins, insecure targets, a saturated generator.</summary>
    public IReadOnlyList<string> Warnings { get; init; } = [];

    public sealed record One(string Baseline, string Candidate, string Headline, string Sentence, string Basis, int Units, int BaselineRuns,
        string Gate, bool GatePassed, string GateText, string? Problem, IReadOnlyList<string> Primary, double PrimaryLevel, IReadOnlyList<Figure> Figures, IReadOnlyList<string> NewCauses, string Method)
    {
        /// <summary>The fields whose values differ between the two sides' path fingerprints (empty when the same, or not recorded).</summary>
        public IReadOnlyList<PathDifference> PathDifferences { get; init; } = [];

        /// <summary>Every primary figure's reading, after the sentence (the long form it had before the sentence was kept short).</summary>
        public string Readings { get; init; } = "";
    }

    /// <param name="Delta">Candidate − baseline in ms; for unplanned-ends, the candidate's rate over the baseline's.</param>
    public sealed record Figure(string Name, bool Primary, double? Baseline, double? Candidate, double? Delta, double? Low, double? High, double? Level, int? Units,
        string Margin, double MarginValue, string Verdict, string Reading, string? Resolve);

    public static ComparisonRecord From(IReadOnlyList<TopologyComparison> comparisons)
    {
        ArgumentNullException.ThrowIfNull(comparisons);
        static string Name(ComparisonVerdict v) => v switch
        {
            ComparisonVerdict.Better => "better",
            ComparisonVerdict.Worse => "worse",
            ComparisonVerdict.Equivalent => "equivalent",
            _ => "inconclusive",
        };
        static double? Finite(double? x) => x is { } v && double.IsFinite(v) ? v : null;
        var ones = comparisons.Select(c => new One(
            c.Baseline.Label, c.Candidate.Label, c.Problem is null ? Name(c.Headline) : "cannot-compare", c.Sentence,
            c.Basis switch { DeltaBasis.PairedRounds => "paired-rounds", DeltaBasis.RepeatedRuns => "repeated-runs", _ => "batches" },
            c.Units, c.BaselineRuns, ComparisonSettings.GateName(c.Settings.Gate), c.Gate.Passed, c.Gate.Text, c.Problem,
            c.Settings.Primary, TopologyComparison.PrimaryLevel(c.Settings),
            c.Figures.Select(f => new Figure(f.Figure, f.Primary, f.Baseline, f.Candidate, Finite(f.Delta?.Value), Finite(f.Delta?.Low), Finite(f.Delta?.High), f.Delta?.Level, f.Delta?.Units,
                f.Margin.ToString(), f.MarginValue, Name(f.Verdict), f.Reading, f.Resolve)).ToList(),
            c.NewCauses, c.DeltaMethod)
        {
            PathDifferences = c.Baseline.Topology.Path is { IsEmpty: false } a && c.Candidate.Topology.Path is { IsEmpty: false } b ? a.Differences(b) : [],
            Readings = c.Verdict,
        }).ToList();
        var headline = ones.Count == 1 ? ones[0].Headline : string.Join("; ", ones.Select(o => $"{o.Candidate}: {o.Headline}"));
        return new ComparisonRecord(headline, ones.All(o => o.GatePassed), ones);
    }
}
