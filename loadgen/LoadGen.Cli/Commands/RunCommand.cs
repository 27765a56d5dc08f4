using System.CommandLine;
using System.Globalization;
using LoadGen.Core.Engine;
using LoadGen.Core.Inputs;
using LoadGen.Core.Metrics;
using LoadGen.Core.Scenarios;
using LoadGen.Reports;
using LoadGen.Results;
using Spectre.Console;

namespace LoadGen.Cli.Commands;

internal static class RunCommand
{
    public static Command Create(CliConsole console)
    {
        var scenario = CommonOptions.Scenario();
        var run = new RunFlags();
        var connection = new ConnectionFlags();
        var cmd = new Command("run", "Run a scenario file against its targets and write a run folder (run.json, latency.hlog, outcomes.ndjson, summary.json).\n" +
            "Streams call the lab service, or your own bidi method when the scenario has a service: section (.proto + message template; docs/own-service.md).\n" +
            "Connection flags apply to every target that is not lab://, over what the scenario says.")
        {
            scenario,
        };
        run.AddTo(cmd);
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

            return await ExecuteAsync(console, s, run.Read(pr), ct);
        });
        return cmd;
    }

    /// <summary>Runs a loaded scenario end to end: lab targets, engine, summary table, exit code.</summary>
    public static async Task<int> ExecuteAsync(CliConsole console, Scenario scenario, RunSettings settings, CancellationToken ct)
    {
        scenario = settings.WarmUp is { } warmUp ? scenario with { WarmUp = warmUp } : scenario;
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

        var folder = RunFolder.Create(settings.OutDir, scenario.Name, DateTimeOffset.UtcNow);
        log.Attach(folder.Path);
        var each = scenario.Rounds > 1
            ? $"{scenario.Rounds} interleaved rounds of {Durations.Format(scenario.Profile.SplitHold(scenario.Rounds).Duration)} each"
            : $"{Durations.Format(scenario.Profile.Duration)} each";
        console.Error($"run {folder.RunId}: {scenario.Targets.Count} target(s) ({string.Join(", ", scenario.Targets.Select(t => t.Name))}), peak {scenario.Profile.Peak:#,0} streams, {each}; folder {folder.Path}");
        foreach (var t in lab.RunTargets.Where(t => t.Components is not null))
        {
            console.Error($"  {t.Name}: {t.Components}");
        }

        if (scenario.WarmUp > TimeSpan.Zero)
        {
            console.Error($"warm-up first: {LoadEngine.WarmUpStreamsFor(scenario):#,0} streams per target for {Durations.Format(scenario.WarmUp)}, recorded nowhere (--warmup 0s for none)");
        }
        using var telemetry = OtlpExport.Wanted(settings.OtlpEndpoint) ? new RunTelemetry() : null;
        var export = telemetry is null ? null : OtlpExport.Start(telemetry, settings.OtlpEndpoint, settings.OtlpProtocol, resolved.ReportingInterval, Resource(folder, resolved), console);
        var live = LiveView.Start(console, settings.Quiet);
        var engine = new LoadEngine
        {
            Faults = scenario.Faults.Count > 0 ? lab.Injector : null,
            FaultEvent = e => live.Event($"[{e.Topology}{(e.Round is { } r ? $" round {r}" : "")}] fault at {Durations.Format(TimeSpan.FromSeconds(e.AtS))}: {e.Description} — {e.State}{(e.Detail is { } d ? ": " + d : "")}"),
            Aborting = a => live.Event($"ABORT: {a.Describe()} — stopping: no new streams, open ones closed, reports written"),
            Progress = live.Progress,
            Telemetry = telemetry,
            Logger = log.Factory.CreateLogger("LoadGen.Core.Engine"),
        };
        RunSummary summary;
        try
        {
            summary = await engine.RunAsync(resolved, folder, lab.RunTargets, ct);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            console.Error($"error: the run folder {folder.Path} could not be written: {e.Message}");
            return ExitCodes.RunFailed;
        }
        finally
        {
            await live.DisposeAsync();
            // The last values go out before the summary is printed; a dead collector cannot hold this up for long.
            export?.Dispose();
        }

        PrintSummary(console, summary, folder);
        try
        {
            var written = LoadGen.Reports.ReportWriter.WriteRun(folder.Path);
            foreach (var c in written.Comparisons)
            {
                console.Line($"comparison: {c.Verdict}");
            }

            ReportCommand.PrintPaths(console, written);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidOperationException or ArgumentException)
        {
            // The run's data is in the folder; the report can be made again with `loadgen report`.
            console.Error($"error: the reports could not be written ({e.Message}); the run folder is complete: loadgen report {folder.Path}");
        }

        if (summary.Completion == "interrupted")
        {
            return ExitCodes.Interrupted;
        }

        var unreachable = summary.Topologies.Where(t => t.Streams.Opened == 0).ToList();
        foreach (var t in unreachable)
        {
            console.Error($"error: {Unreachable(t, folder)}");
        }

        return unreachable.Count > 0 ? ExitCodes.RunFailed
            : summary.Verdict == "fail" ? ExitCodes.ThresholdsFailed : ExitCodes.Ok;
    }

    /// <summary>One line for a target that never opened a stream: where, how often, why (the first failure's own words), what to check.</summary>
    public static string Unreachable(TopologySummary t, RunFolder folder)
    {
        var (cause, count) = t.Outcomes.OrderByDescending(kv => kv.Value).Select(kv => (kv.Key, kv.Value)).FirstOrDefault();
        var detail = File.Exists(folder.OutcomesPath)
            ? RunData.ReadOutcomes(folder.OutcomesPath).FirstOrDefault(o => o.Topology == t.Name && o.Cause == cause)?.Detail
            : null;
        var hint = cause switch
        {
            null => "no stream was even attempted",
            "connect-failed" => "nothing answered at that address: is the service up, the host and port right, a firewall in the way?",
            "tls-failed" => "the TLS handshake failed: check the CA (--ca-file), the server name (--server-name) and the certificate's dates",
            "goaway:HTTP_1_1_REQUIRED" or "http2-unavailable" => "the target speaks HTTP/1.1 only; gRPC needs HTTP/2 (for ESP: its --http2_port or --ssl_port, not --http_port)",
            "rst:PROTOCOL_ERROR" or "goaway:PROTOCOL_ERROR" => "the server did not speak HTTP/2 on the connection: an HTTP/1.1-only port (ESP's --http_port, a health port) answers the HTTP/2 preface with an HTTP/1.1 error",
            "http-status:401" or "http-status:403" or "server-status:Unauthenticated" or "server-status:PermissionDenied" => "the target wants credentials: send them as metadata (authorization, x-api-key) from env or a file",
            "open-stalled" => "streams were accepted but no response headers came within the open timeout",
            _ => "see outcomes.ndjson for each attempt",
        };
        return $"target '{t.Name}' ({t.Address}): no stream ever opened — {t.Streams.Attempted:#,0} attempts, {count:#,0} ended {cause ?? "-"}{(detail is null ? "" : $" ({Trim(detail)})")}. {char.ToUpperInvariant(hint[0])}{hint[1..]}";
    }

    private static string Trim(string detail)
    {
        // Grpc.Net.Client's "Error starting gRPC call. " prefix says nothing; the first exception's message does.
        var d = detail.Replace("Error starting gRPC call. ", "", StringComparison.Ordinal);
        var cut = d.IndexOf(") ", StringComparison.Ordinal);
        d = cut > 0 ? d[..(cut + 1)] : d;
        return d.Length > 200 ? d[..200] + "…" : d;
    }

    /// <summary>OTLP resource attributes: which run, scenario and shard the metrics belong to (and the topology, when there is one).</summary>
    private static Dictionary<string, object> Resource(RunFolder folder, Scenario scenario)
    {
        var attributes = new Dictionary<string, object>(StringComparer.Ordinal)
        {
            ["loadgen.run_id"] = folder.RunId,
            ["loadgen.scenario"] = scenario.Name,
            ["loadgen.shard"] = Environment.GetEnvironmentVariable("LOADGEN_SHARD") ?? "0",
        };
        if (scenario.Targets.Count == 1)
        {
            attributes["loadgen.topology"] = scenario.Targets[0].Name;
        }

        return attributes;
    }

    private static void PrintSummary(CliConsole console, RunSummary summary, RunFolder folder)
    {
        var table = SummaryTable.Build(summary);
        var ansi = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(console.Out),
            Ansi = AnsiSupport.No,
            ColorSystem = ColorSystemSupport.NoColors,
            Interactive = InteractionSupport.No,
        });
        ansi.Profile.Width = 120;
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

        console.Line($"verdict: {summary.Verdict} ({summary.Completion})");
        console.Line($"run folder: {folder.Path}");
    }
}
