using System.Runtime.InteropServices;
using LoadGen.Core.Connections;
using LoadGen.Core.Metrics;
using LoadGen.Core.Scenarios;
using LoadGen.Core.Workloads;
using LoadGen.Results;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace LoadGen.Core.Engine;

/// <summary>
/// Runs a scenario: for each target in turn (in interleaved rounds when asked), holds the profile's
/// stream population (<see cref="RoundRunner"/>), measures every message and every stream end, and
/// writes the run folder as it goes; the summary comes from the same builders a killed run's rebuild uses.
/// </summary>
public sealed class LoadEngine
{
    /// <summary>The most streams a warm-up opens per target (fewer when the profile's peak is lower).</summary>
    public const int WarmUpStreams = 100;

    /// <summary>The streams <paramref name="scenario"/>'s warm-up opens per target.</summary>
    public static int WarmUpStreamsFor(Scenario scenario) => Math.Max(1, Math.Min(WarmUpStreams, scenario?.Profile.Peak ?? 0));

    private readonly TimeProvider _time;

    public LoadEngine(TimeProvider? time = null)
    {
        _time = time ?? TimeProvider.System;
    }

    /// <summary>Carries out the scenario's faults on cue; required when it has any.</summary>
    public IFaultInjector? Faults { get; init; }

    /// <summary>Called as a fault on cue fires and finishes (from any thread).</summary>
    public Action<FaultEvent>? FaultEvent { get; init; }

    /// <summary>Live metrics for an exporter (OTLP); null records nothing beyond the run folder.</summary>
    public RunTelemetry? Telemetry { get; init; }

    /// <summary>Called once when an abortOnFail threshold fails an interval check, before the run winds down.</summary>
    public Action<ThresholdAbort>? Aborting { get; init; }

    /// <summary>Called at every interval tick, from the engine's loop: keep it quick.</summary>
    public Action<ProgressSnapshot>? Progress { get; init; }

    /// <summary>What else the reports must say about how the run was made (e.g. an embedded stand-in where a real proxy was wanted), added to run.json and summary.json's warnings.</summary>
    public IReadOnlyList<string> RunWarnings { get; init; } = [];

    /// <summary>This process runs one shard of a run split over processes: its slice of the population, marked in run.json.</summary>
    public ShardPlan? Shard { get; init; }

    /// <summary>
    /// The wall-clock time the measured phases start (shards of one run share it): the warm-up, if any,
    /// ends then. A process that gets here late starts at once and run.json says how late.
    /// </summary>
    public DateTimeOffset? StartAt { get; init; }

    /// <summary>
    /// Where the engine's events go (loadgen.log in the run folder, from the CLI); nowhere by default. Each part logs
    /// under its own type's category (LoadEngine, RoundRunner, ConnectionPool, LoadStream, FaultCues).
    /// </summary>
    public ILoggerFactory LoggerFactory { get; init; } = NullLoggerFactory.Instance;

    internal ILogger Logger => field ??= LoggerFactory.CreateLogger<LoadEngine>();

    internal TimeProvider Time => _time;

    /// <param name="targets">As recorded in run.json (what a lab:// address resolved to); defaults to the scenario's.</param>
    /// <param name="cancellationToken">Stops the run early: streams are closed gracefully and the folder is still written.</param>
    public async Task<RunSummary> RunAsync(Scenario scenario, RunFolder folder, IReadOnlyList<RunTarget>? targets = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(scenario);
        ArgumentNullException.ThrowIfNull(folder);
        // The rules the YAML loader runs, for a scenario built in code too — on the targets as written (lab://…), not as
        // the CLI resolved them to loopback addresses — before any file is written or stream opened.
        var asWritten = targets is null ? scenario : scenario with
        {
            Targets = [.. scenario.Targets.Select(t => targets.FirstOrDefault(r => r.Name == t.Name) is { } r
                && r.Address.StartsWith("lab://", StringComparison.Ordinal) && Uri.TryCreate(r.Address, UriKind.Absolute, out var lab) ? t with { Address = lab } : t)],
        };
        asWritten.ThrowIfInvalid();
        if (scenario.Faults.Count > 0 && Faults is null)
        {
            throw new InvalidOperationException("the scenario has faults on cue but no fault injector was given (faults act on lab:// topologies)");
        }

        // A service: section with reflect waits for the server's descriptors.
        scenario = await ServiceReflection.ResolveAsync(scenario, cancellationToken);
        var workload = scenario.Workload ?? LabWorkload.Create(scenario.Messages);
        Preflight(scenario);
        targets ??= scenario.Targets.Select(t => new RunTarget(t.Name, t.Address.ToString(), null, null)).ToList();
        targets = [.. targets.Select(t => t with { Connection = Connection(scenario.Targets.FirstOrDefault(x => x.Name == t.Name)) })];
        var info = RunInfoFor(scenario, workload, folder, targets, _time.GetUtcNow());
        info = info with { Warnings = [.. info.Warnings, .. RunWarnings] };
        ShardSlice? slice = null;
        if (Shard is { } plan)
        {
            var hash = ScenarioHash(info);
            slice = plan.Slice with { Seed = Population.HashCode32(int.Parse(hash[..8], System.Globalization.NumberStyles.HexNumber, System.Globalization.CultureInfo.InvariantCulture), plan.Slice.Index, 3) };
            info = info with { Shard = new ShardInfo(slice.Index, slice.Count, plan.RunId, hash, StartAt) };
        }

        using var session = new RunSession(this, scenario, folder, targets, info, workload, slice);
        return await session.RunAsync(cancellationToken);
    }

    /// <summary>A shard starting this much after the shared start time is named in the run's warnings.</summary>
    public const double LateWarningS = 1.0;

    /// <summary>
    /// What shards of one run must agree on: SHA-256 of the scenario's settings and targets as run.json records
    /// them (not the file's bytes: a comment does not change a run), first 16 hex digits.
    /// </summary>
    public static string ScenarioHash(RunInfo info)
    {
        ArgumentNullException.ThrowIfNull(info);
        var what = System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(
            new { info.Scenario, info.ScenarioSettings, Targets = info.Targets.Select(t => new { t.Name, t.Address, t.Connection }) }, RunSummary.JsonOptions);
        return Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(what))[..16];
    }

    internal async Task DelayUntilAsync(DateTimeOffset at, CancellationToken cancellationToken)
    {
        var wait = at - _time.GetUtcNow();
        if (wait > TimeSpan.Zero)
        {
            try
            {
                await Task.Delay(wait, _time, cancellationToken);
            }
            catch (OperationCanceledException)
            {
                // Interrupted while waiting: the run ends at once and its folder says so.
            }
        }
    }

    /// <summary>run.json as written at the start: the scenario as run, its targets, and what the reports must say of how it was made.</summary>
    private static RunInfo RunInfoFor(Scenario scenario, StreamWorkload workload, RunFolder folder, IReadOnlyList<RunTarget> targets, DateTimeOffset startedAt) => new()
    {
        RunId = folder.RunId,
        Scenario = scenario.Name,
        ScenarioSource = scenario.Source,
        ScenarioSettings = new ScenarioSettings
        {
            Workload = new WorkloadSettings(workload.Method, workload.Matching.Describe()),
            Profile = ScenarioSettings.Section(scenario.Profile),
            // Payload size and lab directives mean nothing to a service's own workload (its template says what is sent).
            Messages = scenario.Workload is null
                ? ScenarioSettings.Section(scenario.Messages)
                : ScenarioSettings.Section(new { scenario.Messages.Schedule, scenario.Messages.Interval, scenario.Messages.MaxInFlight, scenario.Messages.ClientQuietAfter }),
            Connections = ScenarioSettings.Section(scenario.Connections),
            ReportingInterval = scenario.ReportingInterval.ToString(),
            CloseTimeout = scenario.CloseTimeout.ToString(),
            WarmUp = scenario.WarmUp.ToString(),
            Thresholds = [.. LoadGen.Results.Analysis.Thresholds.WithDefaults(scenario.Thresholds).Select(t => t.Expression)],
        },
        Targets = targets,
        LoadGenVersion = typeof(LoadEngine).Assembly.GetName().Version?.ToString() ?? "0",
        Runtime = RuntimeInformation.FrameworkDescription,
        Host = Environment.MachineName,
        Os = RuntimeInformation.OSDescription,
        StartedAt = startedAt,
        Warnings = Warnings(scenario),
        Comparison = scenario.Comparison,
    };

    /// <summary>
    /// Checks before anything runs that every target can be reached as configured: its certificate and
    /// key files load, and every metadata value can be read (env var set, file readable and not empty).
    /// </summary>
    /// <exception cref="Inputs.InputException">What cannot be used, naming the target, the field and the source, never a value.</exception>
    public static void Preflight(Scenario scenario)
    {
        ArgumentNullException.ThrowIfNull(scenario);
        foreach (var t in scenario.Targets)
        {
            if (t.Address.Scheme == Uri.UriSchemeHttps || t.ClientCertFile is not null || t.CaFile is not null)
            {
                _ = TlsTrust.For(t);
            }

            _ = MetadataSource.Create(t, TimeProvider.System);
        }
    }

    /// <summary>What the reports must say about how the run was made.</summary>
    public static IReadOnlyList<string> Warnings(Scenario scenario)
    {
        ArgumentNullException.ThrowIfNull(scenario);
        return [.. scenario.Targets.Where(t => t.Insecure).Select(t =>
            $"target '{t.Name}' was reached with --insecure: its server certificate was NOT verified; anyone on the path could have answered")];
    }

    private static string? Connection(TargetOptions? target) =>
        target?.DescribeConnection().ToList() is { Count: > 0 } parts ? string.Join("; ", parts) : null;

    /// <summary>
    /// Each target in turn carries a few streams for <see cref="Scenario.WarmUp"/>, with throwaway metrics
    /// and files: the process's first handshakes and calls must not count against the first topology.
    /// </summary>
    internal async Task WarmUpAsync(Scenario scenario, StreamWorkload workload, CancellationToken cancellationToken)
    {
        var streams = WarmUpStreamsFor(scenario);
        var warm = scenario with
        {
            Profile = scenario.Profile with
            {
                Phases = [new ProfilePhase(PhaseKind.Ramp, streams, scenario.WarmUp / 2), new ProfilePhase(PhaseKind.Hold, streams, scenario.WarmUp / 2)],
            },
            Faults = [],
            Rounds = 1,
        };
        var dir = Directory.CreateTempSubdirectory("loadgen-warmup-");
        try
        {
            await using var outcomes = new OutcomeWriter(Path.Combine(dir.FullName, RunFolder.OutcomesFile));
            using var hlog = new HdrLogWriter(Stream.Null, _time.GetUtcNow(), "warm-up");
            using var intervals = new NdjsonWriter<IntervalRecord>(Path.Combine(dir.FullName, RunFolder.IntervalsFile));
            using var events = new NdjsonWriter<FaultEvent>(Path.Combine(dir.FullName, RunFolder.EventsFile));
            var writers = new RunWriters(hlog, intervals, outcomes, new FaultCues(null, events, null, _time, LoggerFactory.CreateLogger<FaultCues>()), () => { });
            foreach (var target in scenario.Targets)
            {
                if (cancellationToken.IsCancellationRequested)
                {
                    break;
                }

                await new RoundRunner(warm, new TopologyRun(target, workload, _time), 0, writers, _time, Progress, LoggerFactory).RunAsync(cancellationToken);
            }
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }
}
