using System.Diagnostics;
using System.Runtime.InteropServices;
using HdrHistogram;
using LoadGen.Core.Metrics;
using LoadGen.Core.Outcomes;
using LoadGen.Core.Results;
using LoadGen.Core.Scenarios;
using LoadGen.Core.Workloads;

namespace LoadGen.Core.Engine;

/// <summary>One progress line: what the run looks like at an interval tick.</summary>
public sealed record ProgressSnapshot(
    string Topology,
    string Phase,
    TimeSpan Elapsed,
    TimeSpan Planned,
    int TargetStreams,
    long ActiveStreams,
    double? IntervalP50Ms,
    double? IntervalP99Ms)
{
    /// <summary>The interval just cut, as written to intervals.ndjson (its opens, messages and ends by cause).</summary>
    public IntervalRecord? Interval { get; init; }

    /// <summary>Stream ends by cause since the topology started.</summary>
    public IReadOnlyDictionary<string, long> TotalEnds { get; init; } = new Dictionary<string, long>();

    /// <summary>A count-only workload: the interval's p50/p99 are of the time between two replies on a stream, not round trips.</summary>
    public bool ReplyGaps { get; init; }
}

/// <summary>
/// Runs a scenario: for each target in turn, holds the profile's stream population, measures every
/// message and every stream end, and writes the run folder as it goes.
/// </summary>
public sealed class LoadEngine
{
    private static readonly TimeSpan Tick = TimeSpan.FromMilliseconds(20);
    private static readonly TimeSpan AbortGrace = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan BurstWindow = TimeSpan.FromMilliseconds(100);

    /// <summary>Ends this soon after a fault on cue finished are still the fault's doing.</summary>
    private static readonly TimeSpan FaultAftermath = TimeSpan.FromSeconds(1);

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

    /// <param name="targets">As recorded in run.json (what a lab:// address resolved to); defaults to the scenario's.</param>
    /// <param name="cancellationToken">Stops the run early: streams are closed gracefully and the folder is still written.</param>
    public async Task<RunSummary> RunAsync(Scenario scenario, RunFolder folder, IReadOnlyList<RunTarget>? targets = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(scenario);
        ArgumentNullException.ThrowIfNull(folder);
        if (scenario.Faults.Count > 0 && Faults is null)
        {
            throw new InvalidOperationException("the scenario has faults on cue but no fault injector was given (faults act on lab:// topologies)");
        }

        // A service: section with reflect waits for the server's descriptors.
        scenario = await ServiceReflection.ResolveAsync(scenario, cancellationToken);
        var workload = scenario.Workload ?? LabWorkload.Create(scenario.Messages);
        var startedAt = _time.GetUtcNow();
        var wallStart = Stopwatch.GetTimestamp();
        var cpuStart = Process.GetCurrentProcess().TotalProcessorTime;
        Preflight(scenario);
        targets ??= scenario.Targets.Select(t => new RunTarget(t.Name, t.Address.ToString(), null, null)).ToList();
        targets = [.. targets.Select(t => t with { Connection = Connection(scenario.Targets.FirstOrDefault(x => x.Name == t.Name)) })];
        var info = new RunInfo
        {
            RunId = folder.RunId,
            Scenario = scenario.Name,
            ScenarioSource = scenario.Source,
            // Payload size and lab directives mean nothing to a service's own workload (its template says what is sent).
            ScenarioSettings = new { Workload = new { workload.Method, Matching = workload.Matching.Describe() }, scenario.Profile, Messages = scenario.Workload is null ? (object)scenario.Messages : new { scenario.Messages.Schedule, scenario.Messages.Interval, scenario.Messages.MaxInFlight, scenario.Messages.ClientQuietAfter }, scenario.Connections, Interval = scenario.Interval.ToString(), CloseTimeout = scenario.CloseTimeout.ToString(), WarmUp = scenario.WarmUp.ToString(), Thresholds = scenario.Thresholds.Select(t => t.Expression) },
            Targets = targets,
            LoadGenVersion = typeof(LoadEngine).Assembly.GetName().Version?.ToString() ?? "0",
            Runtime = RuntimeInformation.FrameworkDescription,
            Host = Environment.MachineName,
            Os = RuntimeInformation.OSDescription,
            StartedAt = startedAt,
        };
        folder.WriteJson(RunFolder.RunFile, info);

        var runs = scenario.Targets.Select(t => new TopologyRun(t, workload, _time)).ToList();
        foreach (var r in runs)
        {
            Telemetry?.Attach(r.Metrics, workload.Method);
        }

        IReadOnlyList<FaultEvent> faultEvents = [];
        var rounds = new List<RoundSummary>();

        // An abortOnFail threshold that fails an interval check stops the run as Ctrl-C would.
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        ThresholdAbort? abort = null;

        RunSummary Build(string completion, IReadOnlyList<FaultEvent> events)
        {
            var topologies = runs.Where(r => r.Rounds > 0 || r.RoundElapsed > TimeSpan.Zero)
                .Select(r => r.Summarize(scenario) with { Components = targets.FirstOrDefault(t => t.Name == r.Target.Name)?.Components, Connection = Connection(r.Target) })
                .ToList();
            var thresholds = EvaluateThresholds(scenario.Thresholds, topologies);
            if (abort is { Threshold: var stopped })
            {
                // The check that stopped the run stays failed, whatever the last seconds of closing did to the figure.
                thresholds = [.. thresholds.Select(r => r.Passed && (r.Expression, r.Topology) == (stopped.Expression, stopped.Topology) ? stopped : r)];
            }

            var wall = Stopwatch.GetElapsedTime(wallStart);
            var cpu = Process.GetCurrentProcess().TotalProcessorTime - cpuStart;
            return new RunSummary
            {
                RunId = folder.RunId,
                Scenario = scenario.Name,
                StartedAt = startedAt,
                EndedAt = _time.GetUtcNow(),
                Completion = completion,
                Verdict = abort is not null ? "fail" : thresholds.Count == 0 ? "none" : thresholds.All(t => t.Passed) ? "pass" : "fail",
                AbortedBy = abort,
                Topologies = topologies,
                Rounds = scenario.Rounds > 1 ? [.. rounds] : [],
                Thresholds = thresholds,
                Events = events,
                Warnings = Warnings(scenario),
                LoadGen = new ProcessStats(
                    Math.Round(Process.GetCurrentProcess().PeakWorkingSet64 / 1048576.0, 1),
                    Math.Round(cpu.TotalSeconds, 2),
                    Math.Round(100 * cpu.TotalSeconds / Math.Max(0.001, wall.TotalSeconds), 1),
                    Environment.ProcessorCount),
            };
        }

        var roundScenario = scenario.Rounds > 1 ? scenario with { Profile = scenario.Profile.SplitHold(scenario.Rounds) } : scenario;
        await using (var outcomes = new OutcomeWriter(folder.OutcomesPath))
        {
            using var hlogStream = new FileStream(folder.Latency, FileMode.Create, FileAccess.Write, FileShare.Read);
            using var hlog = new HdrLogWriter(hlogStream, startedAt, $"LoadGen {info.LoadGenVersion} run {folder.RunId}; values in microseconds");
            using var intervals = new IntervalWriter(folder.Intervals);
            using var events = new FaultEventWriter(folder.Events);
            // The rolling partial summary: what `loadgen report` shows if the process dies before the end.
            void Checkpoint()
            {
                var partial = Build("partial", events.All);
                folder.WriteJson(RunFolder.PartialSummaryFile, partial);
                if (abort is null && FirstAbort(scenario.Thresholds, partial, _time.GetUtcNow() - startedAt) is { } failed)
                {
                    abort = failed;
                    Aborting?.Invoke(failed);
                    stop.Cancel();
                }
            }

            if (scenario.WarmUp > TimeSpan.Zero)
            {
                await WarmUpAsync(scenario, workload, stop.Token);
            }

            // Interleaved rounds (A, B, A, B …): drift on a shared machine hits every topology alike.
            for (var round = 1; round <= scenario.Rounds; round++)
            {
                foreach (var run in runs)
                {
                    if (stop.IsCancellationRequested)
                    {
                        break;
                    }

                    rounds.Add(await RunRoundAsync(roundScenario, run, round, new RunWriters(hlog, intervals, outcomes, events, Checkpoint), stop.Token));
                }
            }

            faultEvents = events.All;
        }

        var completion = cancellationToken.IsCancellationRequested ? "interrupted" : abort is not null ? "aborted" : "completed";
        var summary = Build(completion, faultEvents);
        folder.WriteJson(RunFolder.SummaryFile, summary);
        folder.WriteJson(RunFolder.RunFile, info with { EndedAt = summary.EndedAt, Completion = completion });
        // The final summary supersedes the rolling one.
        File.Delete(folder.PartialSummary);
        return summary;
    }

    /// <summary>
    /// Checks before anything runs that every target can be reached as configured: its certificate and
    /// key files load, and every metadata value can be read (env var set, file readable and not empty).
    /// </summary>
    /// <exception cref="InvalidOperationException">What cannot be used, naming the target, the field and the source, never a value.</exception>
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

    /// <summary>
    /// Managed memory still alive at the last full (gen 2) collection, MB; null before the first. A
    /// younger collection's heap size also counts old garbage not yet collected, which comes and goes
    /// in long waves and hides a slow leak (or fakes one).
    /// </summary>
    private static double? LiveHeapMb()
    {
        var background = GC.GetGCMemoryInfo(GCKind.Background);
        var blocking = GC.GetGCMemoryInfo(GCKind.FullBlocking);
        var last = background.Index >= blocking.Index ? background : blocking;
        return last.Index == 0 ? null : Math.Round(last.PromotedBytes / 1048576.0, 1);
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

    /// <summary>Where a round writes: the run folder's open files.</summary>
    /// <param name="Checkpoint">Writes the rolling partial summary; called after every interval's files are flushed.</param>
    /// <summary>
    /// Each target in turn carries a few streams for <see cref="Scenario.WarmUp"/>, with throwaway metrics
    /// and files: the process's first handshakes and calls must not count against the first topology.
    /// </summary>
    private async Task WarmUpAsync(Scenario scenario, StreamWorkload workload, CancellationToken cancellationToken)
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
            using var intervals = new IntervalWriter(Path.Combine(dir.FullName, RunFolder.IntervalsFile));
            using var events = new FaultEventWriter(Path.Combine(dir.FullName, RunFolder.EventsFile));
            var writers = new RunWriters(hlog, intervals, outcomes, events, () => { });
            foreach (var target in scenario.Targets)
            {
                if (cancellationToken.IsCancellationRequested)
                {
                    break;
                }

                await RunRoundAsync(warm, new TopologyRun(target, workload, _time), 0, writers, cancellationToken);
            }
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    private sealed record RunWriters(HdrLogWriter Hlog, IntervalWriter Intervals, OutcomeWriter Outcomes, FaultEventWriter Events, Action Checkpoint);

    private async Task<RoundSummary> RunRoundAsync(Scenario scenario, TopologyRun run, int round, RunWriters writers, CancellationToken cancellationToken)
    {
        var (hlog, intervals, outcomes) = (writers.Hlog, writers.Intervals, writers.Outcomes);
        var pendingFaults = new List<Task>();
        var nextFault = 0;
        var faults = scenario.Faults.OrderBy(f => f.At).ToList();
        var profile = scenario.Profile;
        var target = run.Target;
        var metrics = run.Metrics;
        var roundStartedAt = _time.GetUtcNow();
        var atStart = (metrics.Attempted, metrics.Opened, metrics.Sent, metrics.Received, Ends: metrics.Outcomes.ToDictionary(StringComparer.Ordinal));
        var roundRtt = Histograms.Create();
        var roundOpen = Histograms.Create();
        using var pool = new ConnectionPool(target, scenario.Connections, profile.Peak, metrics);
        run.Connections = (pool.Planned, pool.PerConnection);
        var random = new Random();
        var settings = new StreamSettings(
            metrics,
            pool,
            outcomes,
            _time,
            new SendSchedule(scenario.Messages.Schedule, scenario.Messages.Interval, random),
            run.Workload,
            scenario.Messages.ClientQuietAfter,
            scenario.Messages.MaxInFlight,
            scenario.Connections.OpenTimeout,
            run.Headers);

        var totals = run.Totals;
        // Reply gaps are what a count-only workload measures instead of round trips; the others leave them out.
        ShardedRecorder[] recorders = [metrics.Rtt, metrics.RttUncorrected, metrics.Open, metrics.SendLag, metrics.Reconnect, .. run.Workload.Matching.MeasuresLatency ? [] : (ShardedRecorder[])[metrics.ReplyGap]];
        var start = _time.GetTimestamp();
        var intervalStart = _time.GetUtcNow();
        var live = new List<LoadStream>();
        var closing = new List<LoadStream>();
        var waiting = new SortedSet<PendingReopen>();
        long nextId = 0;
        var tokens = 1.0;
        var lastTick = start;
        var nextCut = scenario.Interval;

        // Counters are the topology's over all its rounds: an interval's counts are deltas from here.
        (long Attempted, long Opened, long Ended, long Sent, long Received, Dictionary<string, long> Ends) last =
            (metrics.Attempted, metrics.Opened, metrics.Ended, metrics.Sent, metrics.Received, metrics.Outcomes.ToDictionary(StringComparer.Ordinal));

        // Every interval: histograms to latency.hlog, counts to intervals.ndjson, outcomes so far to
        // disk, then the rolling partial summary: a kill loses at most one interval.
        async Task CutAsync(TimeSpan elapsed)
        {
            var now = _time.GetUtcNow();
            HistogramBase rtt = null!;
            HistogramBase? gap = null;
            foreach (var recorder in recorders)
            {
                var h = recorder.TakeInterval();
                if (!totals.TryGetValue(recorder, out var total))
                {
                    totals[recorder] = total = Histograms.Create();
                }

                total.Add(h);
                hlog.Write(h, intervalStart, now);
                if (recorder == metrics.Rtt)
                {
                    rtt = h;
                    roundRtt.Add(h);
                }
                else if (recorder == metrics.Open)
                {
                    roundOpen.Add(h);
                }
                else if (recorder == metrics.ReplyGap)
                {
                    gap = h;
                }
            }

            hlog.Flush();
            // One snapshot of the counters, so the deltas of consecutive intervals add up exactly.
            var snap = (metrics.Attempted, metrics.Opened, metrics.Ended, metrics.Sent, metrics.Received, Ends: metrics.Outcomes.ToDictionary(StringComparer.Ordinal));
            var record = new IntervalRecord
            {
                Topology = target.Name,
                Round = scenario.Rounds > 1 ? round : null,
                Start = intervalStart,
                End = now,
                Phase = profile.PhaseAt(elapsed),
                TargetStreams = profile.TargetAt(elapsed),
                Active = metrics.Active,
                Attempted = snap.Attempted - last.Attempted,
                Opened = snap.Opened - last.Opened,
                Ended = snap.Ended - last.Ended,
                EndsByCause = snap.Ends
                    .Select(kv => (kv.Key, N: kv.Value - last.Ends.GetValueOrDefault(kv.Key)))
                    .Where(x => x.N > 0)
                    .ToDictionary(x => x.Key, x => x.N, StringComparer.Ordinal),
                Sent = snap.Sent - last.Sent,
                Received = snap.Received - last.Received,
                P50Ms = Histograms.PercentileMs(rtt, 50),
                P99Ms = Histograms.PercentileMs(rtt, 99),
                LoadGenRssMb = Math.Round(Environment.WorkingSet / 1048576.0, 1),
                LoadGenHeapMb = LiveHeapMb(),
            };
            intervals.Write(record);
            last = snap;
            intervalStart = now;
            Progress?.Invoke(new ProgressSnapshot(
                round == 0 ? $"{target.Name} warm-up" : scenario.Rounds > 1 ? $"{target.Name} round {round}/{scenario.Rounds}" : target.Name, profile.PhaseAt(elapsed), elapsed, profile.Duration, profile.TargetAt(elapsed), metrics.Active,
                Histograms.PercentileMs(gap ?? rtt, 50), Histograms.PercentileMs(gap ?? rtt, 99))
            {
                Interval = record,
                TotalEnds = snap.Ends,
                ReplyGaps = gap is not null,
            });
            await outcomes.FlushAsync();
            run.RoundElapsed = elapsed;
            writers.Checkpoint();
        }

        while (true)
        {
            var now = _time.GetTimestamp();
            var elapsed = _time.GetElapsedTime(start, now);
            if (cancellationToken.IsCancellationRequested || elapsed >= profile.Duration)
            {
                break;
            }

            // Token bucket: at most MaxOpensPerSecond, with at most a tenth of a second's worth saved up.
            tokens = Math.Min(Math.Max(1, profile.MaxOpensPerSecond * BurstWindow.TotalSeconds), tokens + (_time.GetElapsedTime(lastTick, now).TotalSeconds * profile.MaxOpensPerSecond));
            lastTick = now;
            closing.RemoveAll(s => s.IsEnded);
            SweepEnded(live, waiting, scenario.Reconnect, random);

            var want = profile.TargetAt(elapsed);
            // Re-opens first (they are the population's own streams coming back), then first opens;
            // both spend the same opens-per-second tokens, so a mass reset cannot become a storm.
            while (tokens >= 1 && waiting.Count > 0 && waiting.Min!.DueAt <= now && live.Count + waiting.Count <= want)
            {
                var w = waiting.Min;
                waiting.Remove(w);
                var s = new LoadStream(++nextId, settings, w.Attempt, w.LostAt);
                live.Add(s);
                s.Start();
                tokens--;
            }

            var population = live.Count + waiting.Count;
            if (population < want)
            {
                var n = (int)Math.Min(want - population, Math.Floor(tokens));
                tokens -= n;
                for (var i = 0; i < n; i++)
                {
                    var s = new LoadStream(++nextId, settings);
                    live.Add(s);
                    s.Start();
                }
            }
            else if (population > want)
            {
                // Shrink: forget pending re-opens first, then close the youngest streams.
                while (waiting.Count > 0 && live.Count + waiting.Count > want)
                {
                    waiting.Remove(waiting.Max!);
                }

                for (var i = live.Count - 1; i >= want; i--)
                {
                    live[i].RequestClose();
                    closing.Add(live[i]);
                }

                if (live.Count > want)
                {
                    live.RemoveRange(want, live.Count - want);
                }
            }

            while (nextFault < faults.Count && elapsed >= faults[nextFault].At)
            {
                pendingFaults.Add(FireAsync(faults[nextFault++], run, scenario.Rounds > 1 ? round : null, writers.Events, cancellationToken));
            }

            if (elapsed >= nextCut)
            {
                await CutAsync(elapsed);
                nextCut += scenario.Interval;
            }

            await Task.Delay(Tick, _time, CancellationToken.None);
        }

        SweepEnded(live, waiting, scenario.Reconnect, random);
        var lostForGood = waiting.Count;
        // A fault still going (a stop or kill "for N s") ends before the next round starts.
        await Task.WhenAll(pendingFaults);
        foreach (var s in live)
        {
            s.RequestClose();
        }

        closing.AddRange(live);
        var all = Task.WhenAll(closing.Select(s => s.Completion));
        await Task.WhenAny(all, Task.Delay(scenario.CloseTimeout, _time, CancellationToken.None));
        if (!all.IsCompleted)
        {
            foreach (var s in closing.Where(s => !s.IsEnded))
            {
                s.Abort();
            }

            await Task.WhenAny(all, Task.Delay(AbortGrace, _time, CancellationToken.None));
        }

        var duration = _time.GetElapsedTime(start);
        await CutAsync(duration);
        run.Add(duration, lostForGood);
        return new RoundSummary
        {
            Topology = target.Name,
            Round = round,
            StartedAt = roundStartedAt,
            DurationS = Math.Round(duration.TotalSeconds, 3),
            Streams = new StreamCounts(metrics.Attempted - atStart.Attempted, metrics.Opened - atStart.Opened, 0, 0, 0),
            Messages = new MessageCounts(metrics.Sent - atStart.Sent, metrics.Received - atStart.Received),
            LatencyMs = LatencyStats.From(roundRtt),
            OpenLatencyMs = LatencyStats.From(roundOpen),
            Outcomes = metrics.Outcomes
                .Select(kv => (kv.Key, N: kv.Value - atStart.Ends.GetValueOrDefault(kv.Key)))
                .Where(x => x.N > 0)
                .OrderByDescending(x => x.N)
                .ToDictionary(x => x.Key, x => x.N, StringComparer.Ordinal),
        };
    }

    /// <summary>Carries out one fault on cue and writes it to events.ndjson as it fires and as it finishes; never throws.</summary>
    private async Task FireAsync(FaultStep step, TopologyRun run, int? round, FaultEventWriter events, CancellationToken cancellationToken)
    {
        var target = run.Target;
        var firedAt = _time.GetTimestamp() / (double)_time.TimestampFrequency;
        FaultEvent Event(string state, string? detail) => new()
        {
            Time = _time.GetUtcNow(),
            Topology = target.Name,
            Round = round,
            AtS = step.At.TotalSeconds,
            Action = step.Name,
            Description = step.Describe(),
            State = state,
            Detail = detail,
        };

        void Write(FaultEvent e)
        {
            events.Write(e);
            FaultEvent?.Invoke(e);
        }

        Write(Event("fired", null));
        try
        {
            var detail = await Faults!.ApplyAsync(step, target, cancellationToken);
            Write(Event("done", detail));
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            Write(Event("failed", $"{e.GetType().Name}: {e.Message}"));
        }
        finally
        {
            run.AddFaultWindow(firedAt, (_time.GetTimestamp() / (double)_time.TimestampFrequency) + (FaultAftermath + Faults!.Lingers(step, target)).TotalSeconds);
        }
    }

    /// <summary>One topology across its rounds: the metrics and whole-run histograms its rounds add to.</summary>
    private sealed class TopologyRun(TargetOptions target, StreamWorkload workload, TimeProvider time)
    {
        public TargetOptions Target { get; } = target;

        /// <summary>The target's request metadata, over all its rounds (file values refresh as they go).</summary>
        public MetadataSource? Headers { get; } = MetadataSource.Create(target, time);

        public StreamWorkload Workload { get; } = workload;

        public TopologyMetrics Metrics { get; } = new(target.Name);

        public Dictionary<ShardedRecorder, HistogramBase> Totals { get; } = [];

        public (int Planned, int PerConnection) Connections { get; set; }

        public int Rounds { get; private set; }

        /// <summary>How far the round in progress has come (zero between rounds): partial summaries count it.</summary>
        public TimeSpan RoundElapsed { get; set; }

        private readonly List<(double From, double To)> _faultWindows = [];
        private TimeSpan _duration;
        private long _lostForGood;

        /// <summary>A fault on cue ran from <paramref name="from"/> to <paramref name="to"/> (monotonic seconds).</summary>
        public void AddFaultWindow(double from, double to)
        {
            lock (_faultWindows)
            {
                _faultWindows.Add((from, to));
            }
        }

        public void Add(TimeSpan duration, long lostForGood)
        {
            Rounds++;
            _duration += duration;
            RoundElapsed = TimeSpan.Zero;
            _lostForGood += lostForGood;
        }

        public TopologySummary Summarize(Scenario scenario)
        {
            var m = Metrics;
            HistogramBase T(ShardedRecorder r) => Totals.TryGetValue(r, out var h) ? h : Histograms.Create();
            var samples = m.EndSamples;
            // Past MaxEndSamples the ends are a uniform sample: counts found in it scale back up.
            var scale = samples.Count == 0 ? 1.0 : (double)m.EndsSeen / samples.Count;
            // Streams a fault on cue ended are the fault's doing, not a timeout's: left out of detection.
            var windows = _faultWindows.ToList();
            var timerEnds = samples.Where(e => !windows.Any(w => e.EndedAtS >= w.From && e.EndedAtS <= w.To));
            var latency = LatencyStats.From(T(m.Rtt));
            var sendLag = LatencyStats.From(T(m.SendLag));
            return new TopologySummary
            {
                Name = Target.Name,
                Address = Target.Address.ToString(),
                DurationS = Math.Round((_duration + RoundElapsed).TotalSeconds, 3),
                Rounds = Rounds + (RoundElapsed > TimeSpan.Zero ? 1 : 0),
                Streams = new StreamCounts(m.Attempted, m.Opened, m.Ended, m.PeakActive, m.WaitedForSlot),
                Messages = new MessageCounts(m.Sent, m.Received),
                LatencyMs = latency,
                LatencyUncorrectedMs = LatencyStats.From(T(m.RttUncorrected)),
                OpenLatencyMs = LatencyStats.From(T(m.Open)),
                SendLagMs = sendLag,
                Outcomes = m.Outcomes.OrderByDescending(kv => kv.Value).ToDictionary(kv => kv.Key, kv => kv.Value, StringComparer.Ordinal),
                Connections = new ConnectionCounts(Connections.Planned, Connections.PerConnection, m.ConnectionsOpened),
                DetectedTimeouts = [.. TimeoutDetector.Detect(timerEnds, TimeoutDetector.MinQuiet(scenario.Messages.Interval, latency.P999, sendLag.P999))
                    .Select(d => d with { Count = (long)Math.Round(d.Count * scale) })],
                StreamHours = Math.Round(m.LifetimeSeconds / 3600.0, 6),
                Reconnects = new ReconnectStats(m.Reconnects, LatencyStats.From(T(m.Reconnect)), _lostForGood),
                Method = Workload.Method,
                Matching = Workload.Matching.Describe(),
                ReplyGapMs = Workload.Matching.MeasuresLatency ? null : LatencyStats.From(T(m.ReplyGap)),
                Survival = SurvivalSummary.Compute(samples.Select(e => (e.LifetimeS, !e.Planned))),
            };
        }
    }

    /// <summary>
    /// Moves streams that ended out of <paramref name="live"/>; an unplanned end gets a re-open due
    /// after the policy's backoff (the attempt count grows only while opens keep failing).
    /// </summary>
    private void SweepEnded(List<LoadStream> live, SortedSet<PendingReopen> waiting, ReconnectPolicy policy, Random random)
    {
        var i = 0;
        for (var j = 0; j < live.Count; j++)
        {
            var s = live[j];
            if (!s.IsEnded)
            {
                live[i++] = s;
                continue;
            }

            if (!s.Planned && policy.Enabled)
            {
                var attempt = s.WasOpened ? 0 : s.Attempt + 1;
                var lostAt = s.WasOpened || s.LostAt == 0 ? s.EndedAt : s.LostAt;
                var due = s.EndedAt + (long)(policy.Delay(s.WasOpened ? 0 : attempt, random).TotalSeconds * _time.TimestampFrequency);
                waiting.Add(new PendingReopen(due, s.Id, attempt, lostAt));
            }
        }

        live.RemoveRange(i, live.Count - i);
    }

    /// <summary>A stream lost unplanned, waiting for its re-open time.</summary>
    private sealed record PendingReopen(long DueAt, long Id, int Attempt, long LostAt) : IComparable<PendingReopen>
    {
        public int CompareTo(PendingReopen? other) =>
            other is null ? 1 : DueAt != other.DueAt ? DueAt.CompareTo(other.DueAt) : Id.CompareTo(other.Id);
    }

    /// <summary>
    /// The first abortOnFail threshold, due by now, that the run so far fails. A threshold with nothing
    /// measured yet (survival at an age no stream has reached) is not judged mid-run.
    /// </summary>
    internal static ThresholdAbort? FirstAbort(IReadOnlyList<Threshold> thresholds, RunSummary soFar, TimeSpan elapsed)
    {
        var due = thresholds.Where(t => t.AbortOnFail && elapsed >= t.StartCheckAfter).ToList();
        if (due.Count == 0)
        {
            return null;
        }

        var failed = EvaluateThresholds(due, soFar.Topologies).FirstOrDefault(r => !r.Passed && r.Actual is not null);
        return failed is null ? null : new ThresholdAbort(failed, Math.Round(elapsed.TotalSeconds, 1));
    }

    internal static List<ThresholdResult> EvaluateThresholds(IReadOnlyList<Threshold> thresholds, IReadOnlyList<TopologySummary> topologies)
    {
        var results = new List<ThresholdResult>();
        static double? Pick(TopologySummary t, Threshold th)
        {
            var stats = th.Uncorrected ? t.LatencyUncorrectedMs : t.LatencyMs;
            return th.Metric switch
            {
                ThresholdMetric.P50 => stats.P50,
                ThresholdMetric.P90 => stats.P90,
                ThresholdMetric.P99 => stats.P99,
                ThresholdMetric.P999 => stats.P999,
                _ => stats.Max,
            };
        }

        static bool IsUnplanned(string cause) => !OutcomeClassifier.IsPlanned(cause);
        foreach (var t in thresholds)
        {
            var versus = t.Versus == "baseline" ? (topologies.Count > 0 ? topologies[0] : null) : topologies.FirstOrDefault(x => x.Name == t.Versus);
            foreach (var topo in topologies)
            {
                // No measurement is no evidence of passing.
                switch (t.Kind)
                {
                    case ThresholdKind.Latency:
                        var actual = Pick(topo, t);
                        results.Add(new ThresholdResult(t.Expression, topo.Name, actual, t.Limit, t.Unit, actual is { } a && a < t.Limit));
                        break;
                    case ThresholdKind.Delta when versus is null || topo.Name != versus.Name:
                        double? delta = versus is not null && Pick(topo, t) is { } c && Pick(versus, t) is { } b ? c - b : null;
                        results.Add(new ThresholdResult(t.Expression, topo.Name, delta, t.Limit, t.Unit, delta is { } d && d < t.Limit));
                        break;
                    case ThresholdKind.Rate:
                        var pattern = "^" + System.Text.RegularExpressions.Regex.Escape(t.Cause!).Replace("\\*", ".*", StringComparison.Ordinal) + "$";
                        var n = topo.Outcomes.Where(kv => IsUnplanned(kv.Key) && System.Text.RegularExpressions.Regex.IsMatch(kv.Key, pattern)).Sum(kv => kv.Value);
                        double? rate = topo.StreamHours > 0 ? n / topo.StreamHours * 1000 : null;
                        results.Add(new ThresholdResult(t.Expression, topo.Name, rate, t.Limit, t.Unit, rate is { } r && r < t.Limit));
                        break;
                    case ThresholdKind.Survival:
                        // Unknown unless some stream lived that long.
                        double? share = topo.Survival is { } s && s.Points.Count > 0 && topo.Survival.LongestS >= t.SurvivalAge.TotalSeconds
                            ? SurvivalSummary.At(s.Points, t.SurvivalAge.TotalSeconds)
                            : null;
                        results.Add(new ThresholdResult(t.Expression, topo.Name, share, t.Limit, t.Unit, share is { } x && x > t.Limit));
                        break;
                    case ThresholdKind.NoNewCause when versus is null || topo.Name != versus.Name:
                        var fresh = versus is null ? null : (double?)topo.Outcomes.Keys.Count(k => IsUnplanned(k) && !versus.Outcomes.ContainsKey(k));
                        results.Add(new ThresholdResult(t.Expression, topo.Name, fresh, 0, t.Unit, fresh == 0));
                        break;
                }
            }
        }

        return results;
    }
}
