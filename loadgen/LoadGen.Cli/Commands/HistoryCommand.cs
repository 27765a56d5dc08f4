using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using LoadGen.History;
using LoadGen.Reports;

namespace LoadGen.Cli.Commands;

/// <summary>`loadgen history …`: the release-review memory — runs recorded by reference, accepted baselines, a trend page (docs/history.md).</summary>
internal static partial class HistoryCommand
{
    public static Command Create(CliConsole console)
    {
        var cmd = new Command("history",
            "The release-review memory: record runs (by reference: the run folder stays the source of truth), accept baselines, list them, and draw\n" +
            "the trend of the headline figures across releases. compare-runs --against baseline:NAME[@last-N] CANDIDATE compares with the accepted ones.\n" +
            "The history is a SQLite file (default reports/out/history.db) or a team's PostgreSQL (--history postgres://…). See docs/history.md.");
        cmd.Subcommands.Add(Add(console));
        cmd.Subcommands.Add(Accept(console));
        cmd.Subcommands.Add(List(console));
        cmd.Subcommands.Add(Report(console));
        return cmd;
    }

    private static Command Add(CliConsole console)
    {
        var runs = new Argument<DirectoryInfo[]>("run-dirs") { Description = "Run folder(s) to record (reports/out/<run-id>).", Arity = ArgumentArity.OneOrMore };
        var release = new Option<string?>("--release") { Description = "The release the run belongs to (the trend's x axis), e.g. 1.42.", HelpName = "LABEL" };
        var label = new Option<string?>("--label") { Description = "What kind of run: baseline, soak, canary … (history list --label filters on it).", HelpName = "LABEL" };
        var location = new Location();
        var cmd = new Command("add",
            "Record run folders in the history, or re-read them (the same run added again is one record, its figures and folder place updated).\n" +
            "Example: loadgen history add reports/out/20261207-101500-soak --release 1.42 --label soak")
        {
            runs, release, label,
        };
        location.AddTo(cmd);
        cmd.SetAction(Guarded(console, async (pr, ct) =>
        {
            var loaded = new List<RunData>();
            foreach (var folder in pr.GetValue(runs)!)
            {
                if (LoadRun(folder.FullName, console) is not { } run)
                {
                    return ExitCodes.BadInput;
                }

                loaded.Add(run);
            }

            await using var store = await location.OpenAsync(pr, console, ct);
            if (store is null)
            {
                return ExitCodes.BadInput;
            }

            foreach (var run in loaded)
            {
                var record = HistoryRun.From(run, pr.GetValue(release), pr.GetValue(label), DateTimeOffset.UtcNow);
                var added = await store.AddAsync(record, ct);
                console.Line($"{(added ? "added" : "updated")} {record.RunId}{(record.Release is { } r ? $" (release {r})" : "")} in {store.Location.Display}: " +
                    string.Join("; ", record.Topologies.Select(t => $"{t.Topology} p50 {t.P50?.ToString() ?? "-"} ms, p99 {t.P99?.ToString() ?? "-"} ms, unplanned {t.UnplannedRate?.ToString() ?? "-"} per 1000 stream-h")));
                foreach (var t in record.Topologies.Where(t => t.Saturated))
                {
                    console.Error($"WARNING: run {record.RunId}: the generator was saturated on {t.Topology} (send lag p99 {t.SendLagP99:0.#} ms): its latency figures hold LoadGen's own lateness");
                }
            }

            return ExitCodes.Ok;
        }));
        return cmd;
    }

    private static Command Accept(CliConsole console)
    {
        var run = new Argument<string>("run") { Description = "A run folder (added to the history if it is not in it yet) or the id of a recorded run." };
        var name = new Option<string>("--as") { Description = "The baseline's name, e.g. baseline or pre-migration (compare-runs --against baseline:NAME).", Required = true, HelpName = "NAME" };
        var why = new Option<string>("--why") { Description = "Why this run is accepted: what the review decided (kept with who accepted it and when).", Required = true, HelpName = "TEXT" };
        var by = new Option<string?>("--by") { Description = "Who accepted it (default: the user running the command).", HelpName = "WHO" };
        var location = new Location();
        var cmd = new Command("accept",
            "Accept a recorded run as a baseline under a name, with who accepted it and why. Several runs under one name are compared\n" +
            "together (their spread between runs is measured). Example: loadgen history accept reports/out/20261201-soak --as baseline --why \"release 1.41 review\"")
        {
            run, name, why, by,
        };
        location.AddTo(cmd);
        cmd.SetAction(Guarded(console, async (pr, ct) =>
        {
            var given = pr.GetValue(run)!;
            var baselineName = pr.GetValue(name)!;
            if (!ValidName(baselineName))
            {
                console.Error($"error: --as '{baselineName}': a baseline name is letters, digits, '.', '_' or '-' (it is written baseline:NAME[@last-N])");
                return ExitCodes.BadInput;
            }

            RunData? folder = null;
            if (Directory.Exists(given) && (folder = LoadRun(Path.GetFullPath(given), console)) is null)
            {
                return ExitCodes.BadInput;
            }

            await using var store = await location.OpenAsync(pr, console, ct);
            if (store is null)
            {
                return ExitCodes.BadInput;
            }

            var id = folder?.Summary.RunId ?? given;
            if (folder is not null && await store.GetAsync(id, ct) is null)
            {
                await store.AddAsync(HistoryRun.From(folder, null, null, DateTimeOffset.UtcNow), ct);
                console.Line($"added {id} to {store.Location.Display} (no release label: history add {folder.Folder.Path} --release … sets one)");
            }

            try
            {
                await store.AcceptAsync(new HistoryBaseline(baselineName, id, DateTimeOffset.UtcNow, pr.GetValue(by) ?? Environment.UserName, pr.GetValue(why)!), ct);
            }
            catch (KeyNotFoundException e)
            {
                console.Error($"error: {e.Message}");
                return ExitCodes.BadInput;
            }

            var all = await store.BaselinesAsync(baselineName, ct);
            console.Line($"accepted {id} as baseline:{baselineName} ({all.Count} run{(all.Count == 1 ? "" : "s")} under that name: {string.Join(", ", all.Select(b => b.RunId))})");
            return ExitCodes.Ok;
        }));
        return cmd;
    }

    private static (Option<string?> Service, Option<string?> Topology, Option<string?> Label, Option<string?> Release, Option<string?> Baseline) Filters() => (
        new Option<string?>("--service") { Description = "Runs whose gRPC service (package.Service) or scenario name is this.", HelpName = "NAME" },
        new Option<string?>("--topology") { Description = "Runs with this topology (and only its figures).", HelpName = "NAME" },
        new Option<string?>("--label") { Description = "Runs added with this --label.", HelpName = "LABEL" },
        new Option<string?>("--release") { Description = "Runs of this release.", HelpName = "LABEL" },
        new Option<string?>("--baseline") { Description = "Runs accepted under this baseline name.", HelpName = "NAME" });

    private static Command List(CliConsole console)
    {
        var (service, topology, label, release, baseline) = Filters();
        var json = new Option<bool>("--json") { Description = "Print the records as JSON (one array) instead of a table." };
        var location = new Location();
        var cmd = new Command("list", "List the recorded runs, oldest first, with their headline figures, the baselines they were accepted as, and any folder no longer where it was recorded.")
        {
            service, topology, label, release, baseline, json,
        };
        location.AddTo(cmd);
        cmd.SetAction(Guarded(console, async (pr, ct) =>
        {
            await using var store = await location.OpenAsync(pr, console, ct);
            if (store is null)
            {
                return ExitCodes.BadInput;
            }

            var filter = new HistoryFilter { Service = pr.GetValue(service), Topology = pr.GetValue(topology), Label = pr.GetValue(label), Release = pr.GetValue(release), Baseline = pr.GetValue(baseline) };
            var runs = await store.ListAsync(filter, ct);
            if (pr.GetValue(json))
            {
                console.Line(JsonSerializer.Serialize(runs.Select(r => new { r.RunId, r.Folder, folderExists = r.FolderExists, r.Scenario, r.Service, r.Release, r.Label, r.StartedAt, r.Completion, r.Verdict, r.AcceptedAs, r.Topologies }), LoadGen.Results.RunSummary.JsonOptions));
            }
            else
            {
                console.Line($"{runs.Count} run{(runs.Count == 1 ? "" : "s")} in {store.Location.Display}");
                foreach (var r in runs)
                {
                    console.Line($"{r.StartedAt.UtcDateTime.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture)}  {r.Release ?? "-",-10} {r.Label ?? "-",-9} {r.RunId}" +
                        (r.AcceptedAs.Count > 0 ? $"  ★ baseline:{string.Join(", baseline:", r.AcceptedAs)}" : "") + (r.FolderExists ? "" : "  FOLDER MISSING"));
                    foreach (var t in r.Topologies)
                    {
                        console.Line($"    {t.Topology}: p50 {t.P50?.ToString() ?? "-"} ms, p99 {t.P99?.ToString() ?? "-"} ms, unplanned {t.UnplannedRate?.ToString() ?? "-"} per 1000 stream-h, path {t.PathFingerprint ?? "not recorded"}{(t.Saturated ? ", generator saturated" : "")}");
                    }
                }
            }

            WarnMissing(console, runs);
            return ExitCodes.Ok;
        }));
        return cmd;
    }

    private static Command Report(CliConsole console)
    {
        var (service, topology, label, release, baseline) = Filters();
        baseline.Description = "Judge runs against the runs accepted under this name only (default: every accepted baseline).";
        var lastN = new Option<int>("--last") { Description = "Judge each run against at most this many accepted baselines before it (the most recent).", DefaultValueFactory = _ => 3, HelpName = "N" };
        var output = CommonOptions.Out();
        output.Description = "Folder trend.html and trend.md are written in.";
        output.DefaultValueFactory = _ => Path.Combine("reports", "out", "history");
        var location = new Location();
        var cmd = new Command("report",
            "Write the trend page (trend.html with charts, trend.md): per topology, p50, p99 and the unplanned-end rate of every recorded run across releases\n" +
            "with each run's interval, the accepted baselines marked, and each run judged against the accepted baselines before it by the comparison's rules\n" +
            "(worse is flagged). Exit 0 (it informs; gate a release with compare-runs --against … --gate not-worse).")
        {
            service, topology, label, release, baseline, lastN, output,
        };
        location.AddTo(cmd);
        cmd.SetAction(Guarded(console, async (pr, ct) =>
        {
            if (pr.GetValue(lastN) < 1)
            {
                console.Error($"error: --last {pr.GetValue(lastN)}: expected at least 1");
                return ExitCodes.BadInput;
            }

            await using var store = await location.OpenAsync(pr, console, ct);
            if (store is null)
            {
                return ExitCodes.BadInput;
            }

            var filter = new HistoryFilter { Service = pr.GetValue(service), Topology = pr.GetValue(topology), Label = pr.GetValue(label), Release = pr.GetValue(release) };
            var runs = await store.ListAsync(filter, ct);
            var baselines = await store.BaselinesAsync(pr.GetValue(baseline), ct);
            if (runs.Count == 0)
            {
                console.Error($"error: no recorded run in {store.Location.Display} matches (loadgen history list shows what is there)");
                return ExitCodes.BadInput;
            }

            // Baselines outside the filter still judge the runs in it.
            var ids = runs.Select(r => r.RunId).ToHashSet(StringComparer.Ordinal);
            var extra = new List<HistoryRun>();
            foreach (var b in baselines.Where(b => !ids.Contains(b.RunId)))
            {
                if (await store.GetAsync(b.RunId, ct) is { } r)
                {
                    extra.Add(r);
                }
            }

            if (baselines.Count > 0)
            {
                // Judging re-reads the run folders (the source of truth): a history of long soaks takes a moment.
                console.Error($"judging {runs.Count} run{(runs.Count == 1 ? "" : "s")} against {baselines.Count} accepted baseline{(baselines.Count == 1 ? "" : "s")}: reading their run folders…");
            }

            var judgements = TrendReport.Judge([.. runs, .. extra], baselines, pr.GetValue(lastN)).Where(j => ids.Contains(j.RunId)).ToList();
            var title = $"Trend of {string.Join(", ", runs.Select(r => r.Service ?? r.Scenario).Distinct())} across {runs.Select(r => r.Axis).Distinct().Count()} releases";
            var dir = pr.GetValue(output)!;
            try
            {
                Directory.CreateDirectory(dir);
                await File.WriteAllTextAsync(Path.Combine(dir, TrendReport.HtmlFile), TrendReport.Html(title, runs, baselines, judgements), ct);
                await File.WriteAllTextAsync(Path.Combine(dir, TrendReport.MarkdownFile), TrendReport.Markdown(title, runs, baselines, judgements), ct);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                console.Error($"error: LoadGen could not write the trend page into {dir}: {e.Message}");
                return ExitCodes.LoadGenFailed;
            }

            WarnMissing(console, [.. runs, .. extra]);
            foreach (var j in judgements.Where(j => j.Worse))
            {
                console.Line($"WORSE: {runs.First(r => r.RunId == j.RunId).Axis} {j.Topology}: {j.Text}");
            }

            console.Line($"{judgements.Count(j => j.Headline is not null)} run topologies judged against accepted baselines, {judgements.Count(j => j.Worse)} worse");
            console.Line($"trend:   {Path.GetFullPath(Path.Combine(dir, TrendReport.HtmlFile))}");
            console.Line($"summary: {Path.GetFullPath(Path.Combine(dir, TrendReport.MarkdownFile))}");
            return ExitCodes.Ok;
        }));
        return cmd;
    }

    /// <summary>
    /// A history command's action, with the history's own failures after it opened (a role without INSERT, a full disk,
    /// a dropped connection) said in one line as LoadGen's own I/O failing (exit 4) — never as a gate's verdict.
    /// </summary>
    internal static Func<ParseResult, CancellationToken, Task<int>> Guarded(CliConsole console, Func<ParseResult, CancellationToken, Task<int>> action) => async (pr, ct) =>
    {
        try
        {
            return await action(pr, ct);
        }
        catch (System.Data.Common.DbException e)
        {
            console.Error($"error: the history failed: {e.Message} (LoadGen's own I/O, not a gate's verdict; a run is recorded whole or not at all)");
            return ExitCodes.LoadGenFailed;
        }
    };

    /// <summary>Resolves "baseline:NAME[@last-N]" to the accepted runs' folders; null (the error said) when it cannot.</summary>
    public static async Task<IReadOnlyList<string>?> ResolveAsync(string spec, HistoryStore store, CliConsole console, CancellationToken ct)
    {
        var m = System.Text.RegularExpressions.Regex.Match(spec, @"^baseline:(?<name>[A-Za-z0-9._-]+)(@last-(?<n>\d+))?$", System.Text.RegularExpressions.RegexOptions.CultureInvariant);
        if (!m.Success || (m.Groups["n"].Success && int.Parse(m.Groups["n"].Value, CultureInfo.InvariantCulture) < 1))
        {
            console.Error($"error: --against '{spec}': expected baseline:NAME or baseline:NAME@last-N (N ≥ 1), e.g. baseline:pre-migration@last-3");
            return null;
        }

        var name = m.Groups["name"].Value;
        var accepted = await store.BaselinesAsync(name, ct);
        if (accepted.Count == 0)
        {
            var names = (await store.BaselinesAsync(null, ct)).Select(b => b.Name).Distinct().ToList();
            console.Error($"error: --against {spec}: no run is accepted as baseline:{name} in {store.Location.Display}" +
                (names.Count > 0 ? $" (accepted names: {string.Join(", ", names)})" : " (none accepted yet: loadgen history accept <run> --as NAME --why …)"));
            return null;
        }

        var chosen = m.Groups["n"].Success ? accepted.TakeLast(int.Parse(m.Groups["n"].Value, CultureInfo.InvariantCulture)).ToList() : accepted.ToList();
        var runs = new List<HistoryRun>();
        foreach (var b in chosen)
        {
            runs.Add((await store.GetAsync(b.RunId, ct))!);
        }

        var missing = runs.Where(r => !r.FolderExists).ToList();
        if (missing.Count > 0)
        {
            // Never compare against fewer baselines than asked without saying so: the user decides.
            console.Error($"error: --against {spec}: the run folder of {string.Join(", ", missing.Select(r => $"{r.RunId} (recorded at {r.Folder})"))} no longer exists: " +
                "move it back, or 'loadgen history add <its new place>' (the record follows the run id)");
            return null;
        }

        console.Error($"baseline:{name}: {runs.Count} accepted run{(runs.Count == 1 ? "" : "s")} ({string.Join(", ", runs.Select(r => r.Release is { } rel ? $"{r.RunId} [{rel}]" : r.RunId))})");
        return [.. runs.Select(r => r.Folder)];
    }

    private static bool ValidName(string name) => System.Text.RegularExpressions.Regex.IsMatch(name, "^[A-Za-z0-9._-]+$");

    private static void WarnMissing(CliConsole console, IReadOnlyList<HistoryRun> runs)
    {
        foreach (var r in runs.Where(r => !r.FolderExists))
        {
            console.Error($"WARNING: run {r.RunId}: its folder is no longer at {r.Folder} (moved or deleted): its recorded figures are shown, but it cannot be compared " +
                "until 'loadgen history add <its new place>'");
        }
    }

    private static RunData? LoadRun(string path, CliConsole console)
    {
        try
        {
            var run = RunData.Load(path);
            foreach (var d in run.Damage)
            {
                console.Error($"WARNING: {path}: damaged {d}");
            }

            return run;
        }
        catch (Exception e) when (e is IOException or JsonException or InvalidDataException or FormatException or UnauthorizedAccessException)
        {
            console.Error($"error: {path}: not a usable run folder: {e.Message}");
            return null;
        }
    }
}
