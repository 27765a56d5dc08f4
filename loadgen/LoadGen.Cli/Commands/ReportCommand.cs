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
        var runs = new Argument<DirectoryInfo[]>("run-dirs")
        {
            Description = "Baseline run folder(s) then the candidate's, last: BASELINE CANDIDATE, or BASE1 BASE2 … CANDIDATE to measure between-run variation; " +
                "with --against, the candidate's alone.",
            Arity = new ArgumentArity(1, 100),
        };
        var against = new Option<string?>("--against")
        {
            Description = "Compare with the runs the history accepted as a baseline (loadgen history accept … --as NAME): baseline:NAME, or baseline:NAME@last-N for the N most recent.",
            HelpName = "baseline:NAME[@last-N]",
        };
        var history = new HistoryCommand.Location();
        var baselineTopology = new Option<string?>("--baseline-topology") { Description = "Topology of the baseline run(s) to compare (default: its first)." };
        var candidateTopology = new Option<string?>("--candidate-topology") { Description = "Topology of the candidate run (default: its first)." };
        var output = CommonOptions.Out();
        output.DefaultValueFactory = _ => Path.Combine("reports", "out");
        var flags = new ComparisonFlags();
        var cmd = new Command("compare-runs",
            "Compare a topology of run folders recorded at different times (the pre-migration baseline and the post-migration soak).\n" +
            "Each figure is better, worse, equivalent (its interval inside its margin) or 'cannot tell'; the headline rests on p50, p99 and the\n" +
            "unplanned-end rate. One baseline run shows variation within each run only, so better/worse must clear the margin; give several\n" +
            "baseline runs (BASE1 BASE2 … CANDIDATE) and the spread between them is measured. Exit 0 unless --gate says otherwise.\n" +
            "Writes report.html, summary.md, junit.xml and comparison.json into <out>/compare-<baseline>-vs-<candidate>/; warns when the scenarios differ\n" +
            "and when a topology's path fingerprint changed between the runs (--expect-path same|changed makes it a gate).\n" +
            "Example: loadgen compare-runs reports/out/before reports/out/after --gate not-worse\n" +
            "With the history: loadgen compare-runs --against baseline:pre-migration@last-3 reports/out/after --gate not-worse")
        {
            runs, against, baselineTopology, candidateTopology, output,
        };
        history.AddTo(cmd);
        foreach (var o in flags.All)
        {
            cmd.Options.Add(o);
        }

        cmd.SetAction(HistoryCommand.Guarded(console, async (pr, ct) =>
        {
            var folders = pr.GetValue(runs)!.Select(f => f.FullName).ToList();
            if (pr.GetValue(against) is { } spec)
            {
                if (folders.Count != 1)
                {
                    console.Error($"error: with --against, give the candidate's run folder alone ({folders.Count} given): the baselines come from the history");
                    return ExitCodes.BadInput;
                }

                await using var store = await history.OpenAsync(pr, console, ct);
                if (store is null || await HistoryCommand.ResolveAsync(spec, store, console, ct) is not { } resolved)
                {
                    return ExitCodes.BadInput;
                }

                folders = [.. resolved, .. folders];
            }
            else if (folders.Count < 2)
            {
                console.Error("error: compare-runs needs a baseline run folder and the candidate's (BASELINE CANDIDATE), or --against baseline:NAME with the candidate's");
                return ExitCodes.BadInput;
            }

            var loaded = new List<RunData>();
            foreach (var folder in folders)
            {
                try
                {
                    loaded.Add(RunData.Load(folder));
                }
                catch (Exception e) when (e is IOException or JsonException or InvalidDataException or FormatException or UnauthorizedAccessException)
                {
                    console.Error($"error: {folder}: not a usable run folder: {e.Message}");
                    return ExitCodes.BadInput;
                }
            }

            foreach (var (run, d) in loaded.SelectMany(r => r.Damage.Select(d => (r, d))))
            {
                console.Error($"WARNING: {run.Folder.Path}: damaged {d}");
            }

            foreach (var (run, w) in loaded.SelectMany(r => LoadGen.Results.Analysis.RunWarnings.For(r.Summary.Topologies).Select(w => (r, w))))
            {
                // A saturated generator or unanswered messages in any run compared: said before the verdict, not only in the files.
                console.Error($"WARNING: run {run.Folder.RunId}: {w}");
            }

            var b = loaded[^1];
            var bases = loaded.Take(loaded.Count - 1).ToList();
            if (loaded.Select(r => r.Folder.RunId).Distinct(StringComparer.Ordinal).Count() != loaded.Count)
            {
                console.Error($"error: a run folder is given twice ({string.Join(", ", loaded.Select(r => r.Folder.RunId))}): each run counts once");
                return ExitCodes.BadInput;
            }

            var tb = pr.GetValue(candidateTopology) ?? (b.Summary.Topologies.Count > 0 ? b.Summary.Topologies[0].Name : null);
            var chosen = new List<(RunData Run, string Topology)>();
            foreach (var a in bases)
            {
                var ta = pr.GetValue(baselineTopology) ?? (a.Summary.Topologies.Count > 0 ? a.Summary.Topologies[0].Name : null);
                if (ta is null || !a.Summary.Topologies.Any(t => t.Name == ta))
                {
                    console.Error($"error: topology '{ta}' not in baseline run {a.Folder.RunId} (it has {string.Join(", ", a.Summary.Topologies.Select(t => t.Name))})");
                    return ExitCodes.BadInput;
                }

                chosen.Add((a, ta));
            }

            if (tb is null || !b.Summary.Topologies.Any(t => t.Name == tb))
            {
                console.Error($"error: topology '{tb}' not in the candidate run {b.Folder.RunId} (it has {string.Join(", ", b.Summary.Topologies.Select(t => t.Name))})");
                return ExitCodes.BadInput;
            }

            if (flags.Apply(pr, b.Comparison, console) is not { } settings)
            {
                return ExitCodes.BadInput;
            }

            var warning = bases.Select(a => ScenarioDifference(a, b)).FirstOrDefault(w => w is not null);
            if (warning is not null)
            {
                console.Error($"WARNING: {warning}");
            }

            var outDir = Path.Combine(pr.GetValue(output)!, $"compare-{bases[0].Folder.RunId}{(bases.Count > 1 ? $"+{bases.Count - 1}" : "")}-vs-{b.Folder.RunId}");
            ReportWriter.Written written;
            try
            {
                written = ReportWriter.WriteComparison(chosen, b, tb, outDir, warning, settings);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                console.Error($"error: LoadGen could not write the comparison into {outDir}: {e.Message}");
                return ExitCodes.LoadGenFailed;
            }

            var c = written.Comparisons[0];
            if (PathCard.Warning(c) is { } changed)
            {
                // The same topology crossed another path than in the baseline: said before the verdict, not only in the files.
                console.Error($"WARNING: {changed}");
            }

            console.Paragraph(c.Sentence);
            console.Paragraph($"  {c.Verdict}");
            if (settings.Gate != LoadGen.Results.ComparisonGate.None)
            {
                console.Paragraph(c.Gate.Text);
            }

            if (settings.ExpectPath != LoadGen.Results.PathExpectation.Any)
            {
                console.Line(c.PathCheck.Text);
            }
            else if (PathCard.Differences(c) is { } path)
            {
                console.Line($"path: {path}");
            }

            PrintPaths(console, written);
            return c.GateFailed ? ExitCodes.ThresholdsFailed : ExitCodes.Ok;
        }));
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

        foreach (var d in run.Damage)
        {
            console.Error($"WARNING: {path}: damaged {d}");
        }

        foreach (var w in LoadGen.Results.Analysis.RunWarnings.For(run.Summary.Topologies))
        {
            console.Error($"WARNING: {w}");
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
            console.Paragraph(c.Sentence);
            console.Paragraph($"  {c.Verdict}");
        }

        PrintPaths(console, written);
        if (run.Missing.Count > 0 && run.Summary.Thresholds.Any(t => t.Actual is null))
        {
            // Not a failed gate: the folder lacks what the gate needs.
            console.Error($"error: {path}: {run.Summary.Thresholds.Count(t => t.Actual is null)} threshold(s) not judged: {string.Join(", ", run.Missing)} missing from the folder " +
                "(copy the whole run folder; the reports mark them 'nothing measured')");
            return ExitCodes.BadInput;
        }

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
