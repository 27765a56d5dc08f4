using System.CommandLine;
using System.Globalization;
using LoadGen.Core.Engine;
using LoadGen.Core.Inputs;
using LoadGen.Core.Metrics;
using LoadGen.Core.Scenarios;
using LoadGen.Reports;
using LoadGen.Results;
using LoadGen.Results.Analysis;
using Microsoft.Extensions.Logging;
using Spectre.Console;

namespace LoadGen.Cli.Commands;

internal static class RunCommand
{
    public static Command Create(CliConsole console)
    {
        var scenario = CommonOptions.Scenario();
        var run = new RunFlags();
        var shards = new ShardFlags();
        var connection = new ConnectionFlags();
        var cmd = new Command("run", "Run a scenario file against its targets and write a run folder (run.json, latency.hlog, outcomes.ndjson, summary.json).\n" +
            "Streams call the lab service, or your own bidi method when the scenario has a service: section (.proto + message template; docs/own-service.md).\n" +
            "Connection flags apply to every target that is not lab://, over what the scenario says.")
        {
            scenario,
        };
        run.AddTo(cmd);
        shards.AddTo(cmd);
        foreach (var o in connection.All)
        {
            cmd.Options.Add(o);
        }

        cmd.SetAction(async (pr, ct) =>
        {
            if (CommandSupport.LoadScenario(console, pr.GetValue(scenario)!) is not { } loaded || connection.Apply(pr, loaded, console) is not { } s)
            {
                return ExitCodes.BadInput;
            }

            if (!shards.TryRead(pr, s, DateTimeOffset.UtcNow, out var shard, out var startAt, out var error))
            {
                console.Error($"error: {error}");
                return ExitCodes.BadInput;
            }

            if (!shards.TryReadWait(pr, shard, startAt, out var wait, out error))
            {
                console.Error($"error: {error}");
                return ExitCodes.BadInput;
            }

            return await ExecuteAsync(console, s, run.Read(pr), ct, shard, startAt, wait, shards.NoGate(pr));
        });
        return cmd;
    }

    /// <summary>Runs a loaded scenario end to end: lab targets, engine, summary table, exit code.</summary>
    /// <param name="shard">Run one shard of the run (its slice of the population, its own folder); null runs the whole.</param>
    /// <param name="startAt">The wall-clock time the measured phases start at; null starts at once.</param>
    /// <param name="waitForShards">Wait this long for every shard of the run to be ready (<see cref="ShardBarrier"/>), then start together.</param>
    /// <param name="noGate">A failed threshold does not set the exit code (a shard's slice: the merge judges the run).</param>
    public static async Task<int> ExecuteAsync(CliConsole console, Scenario scenario, RunSettings settings, CancellationToken ct, ShardPlan? shard = null,
        DateTimeOffset? startAt = null, TimeSpan? waitForShards = null, bool noGate = false)
    {
        scenario = settings.WarmUp is { } warmUp ? scenario with { WarmUp = warmUp } : scenario;
        // The scenario as the flags left it (--authority, --ca-file …), checked by the engine's own rules before the lab
        // stands up or a run folder is made: an invalid one left an empty folder behind.
        if (scenario.Validate() is { Count: > 0 } problems)
        {
            foreach (var p in problems)
            {
                console.Error($"error: {scenario.Source}: {p.Field}: {p.Problem}");
            }

            return ExitCodes.BadInput;
        }

        using var log = new RunLog(settings.LogLevel);
        await using var lab = new LabTargets(settings.Lab, log.Factory);
        var (resolved, exitCode) = await CommandSupport.ResolveLabAsync(console, lab, scenario, ct);
        if (resolved is null)
        {
            return exitCode;
        }

        if (!CommandSupport.Preflight(console, resolved))
        {
            return ExitCodes.BadInput;
        }

        if (resolved.Service is { Reflect: true } && resolved.Workload is null)
        {
            try
            {
                resolved = await LoadGen.Core.Engine.ServiceReflection.ResolveAsync(resolved, ct);
                console.Error($"{resolved.Workload!.Method}: descriptors from the server's reflection service ({resolved.Targets[0].Address})");
            }
            catch (ScenarioException e)
            {
                console.Error($"error: {e.Message}");
                return ExitCodes.BadInput;
            }
        }

        foreach (var f in lab.Fallbacks)
        {
            console.Error($"WARNING: {f}. Install nginx-light and haproxy for the real proxies; results below are NOT the real path's.");
        }

        if (shard is { } waiting && waitForShards is { } timeout)
        {
            ShardBarrier.Result barrier;
            try
            {
                barrier = await ShardBarrier.WaitAsync(settings.OutDir, waiting, timeout, console.Error, ct);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                console.Error($"error: --out '{settings.OutDir}': the shards' ready files cannot be written there: {e.Message}");
                return ExitCodes.BadInput;
            }
            catch (OperationCanceledException)
            {
                console.Error("interrupted while waiting for the other shards: no stream was opened");
                return ExitCodes.Interrupted;
            }

            if (barrier.StartAt is not { } together)
            {
                console.Error($"error: {ShardBarrier.Describe(barrier.Missing, waiting.Slice.Count)} of run {waiting.RunId} never became ready within {Durations.Format(timeout)} " +
                    $"(no ready file in {barrier.Folder}): shard {waiting.Slice} stops before the soak, no stream opened. Look at those shards' pods " +
                    "(Pending: no node or volume for them; an early exit: their log), then run the whole Job again.");
                return ExitCodes.RunFailed;
            }

            startAt = together;
        }

        RunFolder folder;
        try
        {
            // Before any stream opens: a run that cannot be recorded is not started.
            folder = shard is { } sh
                ? RunFolder.CreateNamed(settings.OutDir, string.Create(CultureInfo.InvariantCulture, $"{sh.RunId}-shard-{sh.Slice.Index}-of-{sh.Slice.Count}"))
                : RunFolder.Create(settings.OutDir, scenario.Name, DateTimeOffset.UtcNow);
            log.Attach(folder.Path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or NotSupportedException)
        {
            console.Error($"error: --out '{settings.OutDir}': the run folder cannot be made there: {e.Message}");
            return ExitCodes.BadInput;
        }

        var each = scenario.Rounds > 1
            ? $"{scenario.Rounds} interleaved rounds of {Durations.Format(scenario.Profile.SplitHold(scenario.Rounds).Duration)} each"
            : $"{Durations.Format(scenario.Profile.Duration)} each";
        console.Paragraph($"run {folder.RunId}: {scenario.Targets.Count} target(s) ({string.Join(", ", scenario.Targets.Select(t => t.Name))}), peak {scenario.Profile.Peak:#,0} streams, {each}; folder {folder.Path}", progress: true);
        foreach (var t in lab.RunTargets.Where(t => t.Components is not null))
        {
            // One hop per line: each part's name and nature stay whole, and the lines fit 80 columns.
            console.Error($"  {t.Name}: {t.Components!.Replace(" → ", "\n      → ", StringComparison.Ordinal)}");
        }

        if (shard is { } part)
        {
            console.Error($"shard {part.Slice} of run {part.RunId}: {scenario.Profile.For(part.Slice).Peak:#,0} of the {scenario.Profile.Peak:#,0} streams at peak; merge the shards' folders with: loadgen merge <folders> --out <dir>");
        }

        if (startAt is { } at)
        {
            var wait = at - DateTimeOffset.UtcNow;
            console.Error(wait > TimeSpan.Zero
                ? $"phases start at {at.UtcDateTime:yyyy-MM-ddTHH:mm:ss}Z, in {Durations.Format(TimeSpan.FromSeconds(Math.Ceiling(wait.TotalSeconds)))} (Ctrl-C stops the wait)"
                : $"phases were to start at {at.UtcDateTime:yyyy-MM-ddTHH:mm:ss}Z: {Durations.Format(TimeSpan.FromSeconds(Math.Ceiling(-wait.TotalSeconds)))} late, starting now (run.json records it)");
        }

        if (scenario.WarmUp > TimeSpan.Zero)
        {
            console.Error($"warm-up first: {LoadEngine.WarmUpStreamsFor(scenario):#,0} streams per target for {Durations.Format(scenario.WarmUp)}, recorded nowhere (--warmup 0s for none)");
        }
        using var telemetry = OtlpExport.Wanted(settings.OtlpEndpoint) ? new RunTelemetry() : null;
        var export = telemetry is null ? null : OtlpExport.Start(telemetry, settings.OtlpEndpoint, settings.OtlpProtocol, resolved.ReportingInterval, Resource(folder, resolved, shard), console);
        var live = LiveView.Start(console, settings.Quiet);
        var engine = new LoadEngine
        {
            Faults = scenario.Faults.Count > 0 ? lab.Injector : null,
            FaultEvent = e => live.Event($"[{e.Topology}{(e.Round is { } r ? $" round {r}" : "")}] fault at {Durations.Format(TimeSpan.FromSeconds(e.AtS))}: {e.Description} — {e.State}{(e.Detail is { } d ? ": " + d : "")}"),
            Aborting = a => live.Event($"ABORT: {a.Describe()} — stopping: no new streams, open ones closed, reports written"),
            Progress = live.Progress,
            Telemetry = telemetry,
            LoggerFactory = log.Factory,
            Shard = shard,
            StartAt = startAt,
            RunWarnings = [.. lab.Fallbacks.Select(f => $"{f} — this run did not measure the real path"), .. lab.EmbeddedByChoice],
        };
        RunSummary summary;
        try
        {
            summary = await engine.RunAsync(resolved, folder, lab.RunTargets, ct);
        }
        catch (ScenarioException e)
        {
            // The model's own rules, on the scenario as the flags left it (the file itself was checked at load).
            console.Error($"error: {e.Message}");
            return ExitCodes.BadInput;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            CliLog.Failed(log.Factory.CreateLogger(typeof(Cli).FullName!), e, "the run folder could not be written");
            console.Error($"error: LoadGen could not write the run folder {folder.Path}: {e.Message}");
            return ExitCodes.LoadGenFailed;
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // LoadGen's own failure: one line here, the stack trace in the run folder's log.
            CliLog.Failed(log.Factory.CreateLogger(typeof(Cli).FullName!), e, "an internal error");
            console.Error($"error: LoadGen itself failed ({e.GetType().Name}: {e.Message}); this is not the target's doing nor a gate's verdict — the stack trace is in {Path.Combine(folder.Path, RunLog.FileName)}");
            return ExitCodes.LoadGenFailed;
        }
        finally
        {
            await live.DisposeAsync();
            // The last values go out before the summary is printed; a dead collector cannot hold this up for long.
            export?.Dispose();
        }

        if (await lab.BackendSeenAsync(CancellationToken.None) is { } seen)
        {
            // What the lab backend really held is the known answer a latency difference should recover: in summary.json
            // and, through it, every report.
            summary = summary with { LabBackend = seen };
            folder.WriteJson(RunFolder.SummaryFile, summary);
        }

        var reportsWritten = true;
        var gateFailed = false;
        try
        {
            var written = LoadGen.Reports.ReportWriter.WriteRun(folder.Path);
            // The reports judge delta thresholds by the comparison's interval: print and exit on that judgement.
            summary = written.Summary;
            PrintSummary(console, summary, folder);
            foreach (var c in written.Comparisons)
            {
                console.Paragraph($"comparison: {c.Sentence}");
                console.Paragraph($"  {c.Verdict}");
                if (c.Settings.Gate != ComparisonGate.None)
                {
                    console.Paragraph($"comparison {c.Gate.Text}");
                }

                if (c.Settings.ExpectPath != PathExpectation.Any)
                {
                    console.Line($"path: {c.PathCheck.Text}");
                }

                gateFailed |= c.GateFailed;
            }

            ReportCommand.PrintPaths(console, written);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidOperationException or ArgumentException)
        {
            // The run's data is in the folder; the report can be made again with `loadgen report`.
            PrintSummary(console, summary, folder);
            console.Error($"error: LoadGen could not write the reports ({e.Message}); the run's data is in the folder: loadgen report {folder.Path}");
            reportsWritten = false;
        }

        if (!reportsWritten && summary.Completion != RunCompletion.Interrupted)
        {
            return ExitCodes.LoadGenFailed;
        }

        var (code, errors) = RunExit.Judge(summary, folder, gateFailed, noGate);
        foreach (var e in errors)
        {
            console.Error($"error: {e}");
        }

        if (noGate && (summary.Verdict == RunVerdict.Fail || gateFailed) && code == ExitCodes.Ok)
        {
            console.Error("thresholds failed on this run's figures; --no-gate: exit 0 (in a sharded run the merge judges the whole run)");
        }

        return code;
    }

    /// <summary>OTLP resource attributes: which run, scenario and shard the metrics belong to (and the topology, when there is one).</summary>
    private static Dictionary<string, object> Resource(RunFolder folder, Scenario scenario, ShardPlan? shard)
    {
        var attributes = new Dictionary<string, object>(StringComparer.Ordinal)
        {
            // Shards of one run share the run id; a collector sums them by it.
            ["loadgen.run_id"] = shard?.RunId ?? folder.RunId,
            ["loadgen.scenario"] = scenario.Name,
            ["loadgen.shard"] = shard is { } s ? s.Slice.Index.ToString(CultureInfo.InvariantCulture) : Environment.GetEnvironmentVariable("LOADGEN_SHARD") ?? "0",
        };
        if (shard is { } p)
        {
            attributes["loadgen.shards"] = p.Slice.Count.ToString(CultureInfo.InvariantCulture);
        }

        if (scenario.Targets.Count == 1)
        {
            attributes["loadgen.topology"] = scenario.Targets[0].Name;
        }

        return attributes;
    }

    /// <summary>The terminal's width when writing to one; else COLUMNS; else 80 (a CI log, a file, a pipe).</summary>
    internal static int TableWidth()
    {
        var width = 0;
        try
        {
            width = Console.IsOutputRedirected ? 0 : Console.WindowWidth;
        }
        catch (IOException)
        {
        }

        if (width <= 0 && int.TryParse(Environment.GetEnvironmentVariable("COLUMNS"), NumberStyles.Integer, CultureInfo.InvariantCulture, out var columns))
        {
            width = columns;
        }

        return Math.Clamp(width <= 0 ? 80 : width, 60, 240);
    }

    internal static void PrintSummary(CliConsole console, RunSummary summary, RunFolder folder)
    {
        var table = SummaryTable.Build(summary);
        var ansi = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(console.Out),
            Ansi = AnsiSupport.No,
            ColorSystem = ColorSystemSupport.NoColors,
            Interactive = InteractionSupport.No,
        });
        ansi.Profile.Width = TableWidth();
        var t = new Table().Border(TableBorder.Ascii);
        foreach (var h in table.Header)
        {
            t.AddColumn(new TableColumn(Markup.Escape(h)));
        }

        foreach (var row in table.Rows)
        {
            t.AddRow(row.Select(c => (Spectre.Console.Rendering.IRenderable)new Text(c)).ToArray());
        }

        ansi.Write(t);
        foreach (var note in SummaryTable.Notes(summary))
        {
            console.Line(note);
        }

        foreach (var th in summary.Thresholds)
        {
            console.Line($"threshold {(th.Passed ? "PASS" : "FAIL")}: {th.Expression} [{th.Topology}] actual {th.ActualText}");
        }

        if (summary.LoadGen is { } p)
        {
            console.Line(string.Create(CultureInfo.InvariantCulture, $"loadgen process: peak RSS {p.PeakRssMb:0} MB, CPU {p.CpuSeconds:0.0} s ({p.AvgCpuPercentOfOneCore:0}% of one core on average)"));
        }

        if (summary.AbortedBy is { } abort)
        {
            console.Line($"aborted: {abort.Describe()}");
        }

        foreach (var w in LoadGen.Results.Analysis.RunWarnings.For(summary.Topologies))
        {
            // Next to the verdict, not only in the files: a saturated generator, messages left unanswered.
            console.Error($"WARNING: {w}");
        }

        console.Line($"verdict: {summary.Verdict} ({summary.Completion})");
        console.Line($"run folder: {folder.Path}");
    }
}
