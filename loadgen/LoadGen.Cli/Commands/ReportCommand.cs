using System.CommandLine;
using System.Text.Json;
using LoadGen.Reports;

namespace LoadGen.Cli.Commands;

/// <summary>`loadgen report` and `loadgen compare-runs`: reports from run folders, at any time.</summary>
internal static class ReportCommand
{
    public static Command Create(CliConsole console)
    {
        var dir = new Argument<DirectoryInfo>("run-dir") { Description = "A run folder (reports/out/<run-id>), finished or killed." };
        var cmd = new Command("report",
            "Write report.html, summary.md and junit.xml into a run folder, from what it holds — also for a run that was killed\n" +
            "(its summary is rebuilt from the files flushed each interval). The first topology is the baseline, the others candidates.")
        {
            dir,
        };
        cmd.SetAction(pr => Report(console, pr.GetValue(dir)!.FullName));
        return cmd;
    }

    public static Command CreateCompareRuns(CliConsole console)
    {
        var baseline = new Argument<DirectoryInfo>("baseline-dir") { Description = "The baseline run folder (e.g. before the migration)." };
        var candidate = new Argument<DirectoryInfo>("candidate-dir") { Description = "The candidate run folder (e.g. the soak after it)." };
        var baselineTopology = new Option<string?>("--baseline-topology") { Description = "Topology of the baseline run to compare (default: its first)." };
        var candidateTopology = new Option<string?>("--candidate-topology") { Description = "Topology of the candidate run (default: its first)." };
        var output = CommonOptions.Out();
        output.DefaultValueFactory = _ => Path.Combine("reports", "out");
        var cmd = new Command("compare-runs",
            "Compare a topology of two run folders recorded at different times (the pre-migration baseline and the post-migration soak):\n" +
            "latency percentile deltas with bootstrap intervals, stream-end rates per 1,000 stream-hours with rate-ratio intervals.\n" +
            "Writes report.html, summary.md and junit.xml into <out>/compare-<baseline>-vs-<candidate>/; warns when the scenarios differ.")
        {
            baseline, candidate, baselineTopology, candidateTopology, output,
        };
        cmd.SetAction(pr =>
        {
            RunData a, b;
            try
            {
                a = RunData.Load(pr.GetValue(baseline)!.FullName);
                b = RunData.Load(pr.GetValue(candidate)!.FullName);
            }
            catch (Exception e) when (e is IOException or JsonException or InvalidDataException or FormatException)
            {
                console.Error($"error: not a usable run folder: {e.Message}");
                return ExitCodes.BadInput;
            }

            var ta = pr.GetValue(baselineTopology) ?? (a.Summary.Topologies.Count > 0 ? a.Summary.Topologies[0].Name : null);
            var tb = pr.GetValue(candidateTopology) ?? (b.Summary.Topologies.Count > 0 ? b.Summary.Topologies[0].Name : null);
            if (ta is null || !a.Summary.Topologies.Any(t => t.Name == ta) || tb is null || !b.Summary.Topologies.Any(t => t.Name == tb))
            {
                console.Error($"error: topology not in the run: baseline has {string.Join(", ", a.Summary.Topologies.Select(t => t.Name))}; candidate has {string.Join(", ", b.Summary.Topologies.Select(t => t.Name))}");
                return ExitCodes.BadInput;
            }

            var warning = ScenarioDifference(a, b);
            if (warning is not null)
            {
                console.Error($"WARNING: {warning}");
            }

            var outDir = Path.Combine(pr.GetValue(output)!, $"compare-{a.Folder.RunId}-vs-{b.Folder.RunId}");
            var written = ReportWriter.WriteComparison(a, ta, b, tb, outDir, warning);
            console.Line(written.Comparisons[0].Verdict);
            PrintPaths(console, written);
            return written.Comparisons[0].CandidateWorse ? ExitCodes.ThresholdsFailed : ExitCodes.Ok;
        });
        return cmd;
    }

    private static int Report(CliConsole console, string path)
    {
        RunData run;
        try
        {
            run = RunData.Load(path);
        }
        catch (Exception e) when (e is IOException or JsonException or InvalidDataException or UnauthorizedAccessException or FormatException)
        {
            // The folder cannot be read as a run: bad input, not LoadGen's failure.
            console.Error($"error: {path}: not a usable run folder: {e.Message}");
            return ExitCodes.BadInput;
        }

        ReportWriter.Written written;
        try
        {
            written = ReportWriter.WriteRun(run);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            console.Error($"error: LoadGen could not write the reports into {path}: {e.Message}");
            return ExitCodes.LoadGenFailed;
        }

        foreach (var c in written.Comparisons)
        {
            console.Line(c.Verdict);
        }

        PrintPaths(console, written);
        return ExitCodes.Ok;
    }

    public static void PrintPaths(CliConsole console, ReportWriter.Written written)
    {
        ArgumentNullException.ThrowIfNull(written);
        console.Line($"report:  {written.Html}");
        console.Line($"summary: {written.Markdown}");
        console.Line($"junit:   {written.Junit}");
    }

    /// <summary>A warning when two runs did not run the same workload.</summary>
    private static string? ScenarioDifference(RunData a, RunData b)
    {
        static string? Settings(RunData r)
        {
            if (!File.Exists(r.Folder.RunJson))
            {
                return null;
            }

            using var doc = JsonDocument.Parse(File.ReadAllText(r.Folder.RunJson));
            return doc.RootElement.TryGetProperty("scenarioSettings", out var s) ? s.GetRawText() : null;
        }

        var (sa, sb) = (Settings(a), Settings(b));
        if (a.Summary.Scenario != b.Summary.Scenario)
        {
            return $"the runs used different scenarios ('{a.Summary.Scenario}' vs '{b.Summary.Scenario}'): differences may be the workload's, not the path's";
        }

        return sa is not null && sb is not null && sa != sb
            ? $"scenario '{a.Summary.Scenario}' had different settings in the two runs (method and matching, profile, messages or connections): differences may be the workload's, not the path's"
            : null;
    }
}
