using System.CommandLine;
using System.Text.Json;
using LoadGen.Results;
using LoadGen.Results.Analysis;

namespace LoadGen.Cli.Commands;

/// <summary>`loadgen merge`: one run folder, with every report, from the folders of a run's shards.</summary>
internal static class MergeCommand
{
    public static Command Create(CliConsole console)
    {
        var dirs = new Argument<DirectoryInfo[]>("shard-dirs")
        {
            Description = "The shards' run folders (<run-id>-shard-<i>-of-<N>), or a folder holding them (the volume the shards wrote to).",
            Arity = ArgumentArity.OneOrMore,
        };
        var runId = new Option<string?>("--run-id")
        {
            Description = "Merge only the shards of this run (the shards' --run-id; in a Kubernetes Job, its uid): for a folder that holds several runs' shards.",
            HelpName = "ID",
        };
        var output = CommonOptions.Out();
        output.Description = "Folder the merged run folder is created in (as <out>/<run-id>/).";
        var cmd = new Command("merge",
            "Put the shards of one run (loadgen run --shard i/N, e.g. the pods of a Kubernetes Indexed Job) back together as one run folder:\n" +
            "interval histograms added interval by interval (exact), counts summed, outcomes concatenated, survival and timeouts detected\n" +
            "again over every shard's streams, then summary.json, report.html, summary.md and junit.xml as for any run.\n" +
            "Refused (exit 2), naming the folders, when they are not every shard of one run exactly once: another run's or scenario's\n" +
            "shard, a missing shard, a shard given twice. Exit codes otherwise as for run: 1 when a threshold fails.\n" +
            "Examples: loadgen merge /runs/20261201-090000-soak-shard-* --out /runs\n" +
            "          loadgen merge /runs --run-id 20261201-090000-soak --out /runs/merged")
        {
            dirs, runId, output,
        };
        cmd.SetAction(pr => Merge(console, [.. pr.GetValue(dirs)!.Select(d => d.FullName)], pr.GetValue(runId), pr.GetValue(output)!));
        return cmd;
    }

    private static int Merge(CliConsole console, IReadOnlyList<string> paths, string? runId, string outDir)
    {
        ShardMerge.Result merged;
        try
        {
            var folders = ShardMerge.Expand(paths, runId);
            console.Error($"merging {folders.Count} shard folder(s) …");
            merged = ShardMerge.Merge(folders, outDir);
        }
        catch (MergeRefusedException e)
        {
            foreach (var r in e.Reasons)
            {
                console.Error($"error: {r}");
            }

            console.Error("nothing was merged");
            return ExitCodes.BadInput;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or JsonException or InvalidDataException or FormatException)
        {
            console.Error($"error: LoadGen could not merge into {outDir}: {e.Message}");
            return ExitCodes.LoadGenFailed;
        }

        foreach (var w in merged.Warnings)
        {
            console.Error($"WARNING: {w}");
        }

        var summary = merged.Summary;
        try
        {
            var written = LoadGen.Reports.ReportWriter.WriteRun(merged.Folder.Path);
            // Delta thresholds are judged by the comparison's interval in the reports.
            summary = written.Summary;
            RunCommand.PrintSummary(console, summary, merged.Folder);
            foreach (var c in written.Comparisons)
            {
                console.Paragraph($"comparison: {c.Sentence}");
                console.Paragraph($"  {c.Verdict}");
            }

            ReportCommand.PrintPaths(console, written);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidOperationException or ArgumentException)
        {
            RunCommand.PrintSummary(console, summary, merged.Folder);
            console.Error($"error: LoadGen could not write the reports ({e.Message}); the merged data is in the folder: loadgen report {merged.Folder.Path}");
            return ExitCodes.LoadGenFailed;
        }

        return summary.Verdict == RunVerdict.Fail ? ExitCodes.ThresholdsFailed : ExitCodes.Ok;
    }
}
