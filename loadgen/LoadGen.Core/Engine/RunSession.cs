using System.Diagnostics;
using LoadGen.Core.Metrics;
using LoadGen.Core.Scenarios;
using LoadGen.Core.Workloads;
using LoadGen.Results;
using LoadGen.Results.Analysis;
using Microsoft.Extensions.Logging;

namespace LoadGen.Core.Engine;

/// <summary>
/// One run of a scenario, from run.json to summary.json: the topologies' runs, the rolling and final summaries, the
/// abortOnFail check and the rounds in their interleaved order. What <see cref="LoadEngine.RunAsync"/> kept in closures
/// over its locals lives here as the state of one object, so each step reads what it uses.
/// </summary>
internal sealed class RunSession : IDisposable
{
    private readonly LoadEngine _engine;
    private readonly Scenario _scenario;
    private readonly RunFolder _folder;
    private readonly IReadOnlyList<RunTarget> _targets;
    private readonly StreamWorkload _workload;
    private readonly ShardSlice? _slice;
    private readonly List<TopologyRun> _runs;
    private readonly GeneratorSampler _generator = new();
    private readonly long _wallStart = Stopwatch.GetTimestamp();
    private readonly TimeSpan _cpuStart = Process.GetCurrentProcess().TotalProcessorTime;
    private readonly long _allocatedStart = GC.GetTotalAllocatedBytes();
    private RunInfo _info;
    private ThresholdAbort? _abort;
    private CancellationTokenSource? _stop;

    public RunSession(LoadEngine engine, Scenario scenario, RunFolder folder, IReadOnlyList<RunTarget> targets, RunInfo info, StreamWorkload workload, ShardSlice? slice)
    {
        _engine = engine;
        _scenario = scenario;
        _folder = folder;
        _targets = targets;
        _info = info;
        _workload = workload;
        _slice = slice;
        _runs = [.. scenario.Targets.Select(t => new TopologyRun(t, workload, engine.Time))];
    }

    public async Task<RunSummary> RunAsync(CancellationToken cancellationToken)
    {
        _folder.WriteJson(RunFolder.RunFile, _info);
        EngineLog.RunStarted(_engine.Logger, _folder.RunId, _scenario.Name, _scenario.Targets.Count, _scenario.Rounds, _scenario.Profile.Peak);
        foreach (var r in _runs)
        {
            _engine.Telemetry?.Attach(r.Metrics, _workload.Method);
        }

        // An abortOnFail threshold that fails an interval check stops the run as Ctrl-C would.
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        _stop = stop;
        IReadOnlyList<FaultEvent> faultEvents;
        await using (var outcomes = new OutcomeWriter(_folder.OutcomesPath))
        {
            using var hlogStream = new FileStream(_folder.Latency, FileMode.Create, FileAccess.Write, FileShare.Read);
            using var hlog = new HdrLogWriter(hlogStream, _info.StartedAt, $"LoadGen {_info.LoadGenVersion} run {_folder.RunId}; values in microseconds");
            using var intervals = new NdjsonWriter<IntervalRecord>(_folder.Intervals);
            using var events = new NdjsonWriter<FaultEvent>(_folder.Events);
            await StartAsync(stop.Token);
            var faults = new FaultCues(_engine.Faults, events, _engine.FaultEvent, _engine.Time, _engine.LoggerFactory.CreateLogger<FaultCues>());
            var writers = new RunWriters(hlog, intervals, outcomes, faults, () => Checkpoint(events.All));
            await RunRoundsAsync(writers, stop.Token);
            faultEvents = events.All;
        }

        var completion = cancellationToken.IsCancellationRequested ? RunCompletion.Interrupted : _abort is not null ? RunCompletion.Aborted : RunCompletion.Completed;
        var summary = Build(completion, faultEvents);
        _folder.WriteJson(RunFolder.SummaryFile, summary);
        _folder.WriteJson(RunFolder.RunFile, _info with
        {
            EndedAt = summary.EndedAt,
            Completion = completion,
            AbortedBy = _abort,
            Targets = [.. _info.Targets.Select(t => t with { Path = summary.Topologies.FirstOrDefault(s => s.Name == t.Name)?.Path })],
        });
        // The final summary supersedes the rolling one.
        File.Delete(_folder.PartialSummary);
        EngineLog.RunEnded(_engine.Logger, _folder.RunId, completion.Value, summary.Verdict.Value);
        return summary;
    }

    /// <summary>The warm-up, and the wait for a shared start time (the warm-up ends at it); a late start is recorded.</summary>
    private async Task StartAsync(CancellationToken stop)
    {
        if (_engine.StartAt is { } at)
        {
            // The warm-up ends at the shared start: it begins that much before.
            await _engine.DelayUntilAsync(at - _scenario.WarmUp, stop);
        }

        if (_scenario.WarmUp > TimeSpan.Zero)
        {
            await _engine.WarmUpAsync(_scenario, _workload, stop);
        }

        if (_engine.StartAt is { } start)
        {
            await _engine.DelayUntilAsync(start, stop);
            var late = Math.Round(Math.Max(0, (_engine.Time.GetUtcNow() - start).TotalSeconds), 2);
            _info = _info with
            {
                Shard = _info.Shard is { } sh ? sh with { StartLateS = late } : null,
                Warnings = late < LoadEngine.LateWarningS ? _info.Warnings : [.. _info.Warnings, string.Create(System.Globalization.CultureInfo.InvariantCulture,
                    $"{(_info.Shard is { } s ? $"shard {s.Index}/{s.Count}" : "this run")} started its phases {late:0.0} s after the shared start time {start.UtcDateTime:yyyy-MM-ddTHH:mm:ss}Z: its streams ran that much later than the others'")],
            };
            _folder.WriteJson(RunFolder.RunFile, _info);
        }
    }

    /// <summary>
    /// Interleaved rounds, the order reversed every other round (A, B, B, A, A, B …): drift on a shared machine hits
    /// every topology alike, and so does going first or second in a round (with a fixed order, the lab's A/A bench had
    /// the first topology 1.3–2.9 ms slower at p50 in 6 of 16 rounds, never the second).
    /// </summary>
    private async Task RunRoundsAsync(RunWriters writers, CancellationToken stop)
    {
        var roundScenario = _scenario.Rounds > 1 ? _scenario with { Profile = _scenario.Profile.SplitHold(_scenario.Rounds) } : _scenario;
        if (_slice is { } slice)
        {
            // This shard's slice of every level, of the opens per second and of a fixed connection count.
            roundScenario = roundScenario with
            {
                Profile = roundScenario.Profile.For(slice),
                Connections = roundScenario.Connections.Count > 0 ? roundScenario.Connections with { Count = Math.Max(1, slice.Of(roundScenario.Connections.Count)) } : roundScenario.Connections,
            };
        }

        for (var round = 1; round <= _scenario.Rounds; round++)
        {
            foreach (var run in round % 2 == 1 ? _runs : Enumerable.Reverse(_runs))
            {
                if (stop.IsCancellationRequested)
                {
                    break;
                }

                await new RoundRunner(roundScenario, run, round, writers, _engine.Time, _engine.Progress, _engine.LoggerFactory).RunAsync(stop);
            }
        }
    }

    /// <summary>The rolling partial summary, every interval: what `loadgen report` shows if the process dies before the end; and the abortOnFail check.</summary>
    private void Checkpoint(IReadOnlyList<FaultEvent> events)
    {
        var partial = Build(RunCompletion.Partial, events);
        _folder.WriteJson(RunFolder.PartialSummaryFile, partial);
        if (_abort is null && ThresholdEvaluator.FirstAbort(Thresholds.WithDefaults(_scenario.Thresholds), partial, _engine.Time.GetUtcNow() - _info.StartedAt) is { } failed)
        {
            _abort = failed;
            EngineLog.Aborting(_engine.Logger, failed.Describe());
            _engine.Aborting?.Invoke(failed);
            _stop?.Cancel();
        }
    }

    /// <summary>The run's summary from what it holds in memory, through the same builders a rebuild from the folder uses.</summary>
    private RunSummary Build(RunCompletion completion, IReadOnlyList<FaultEvent> events)
    {
        var now = _engine.Time.GetTimestamp();
        var topologies = _runs.Where(r => r.HasRun)
            .Select(r => TopologySummaryBuilder.Build(r.Inputs(_targets.FirstOrDefault(t => t.Name == r.Target.Name), _scenario.Messages.Interval, events, now)))
            .ToList();
        var rounds = TopologySummaryBuilder.Rounds(_runs.SelectMany(r => r.Intervals), _runs.SelectMany(r => r.RoundHistograms).ToDictionary());
        var wall = Stopwatch.GetElapsedTime(_wallStart);
        var cpu = Process.GetCurrentProcess().TotalProcessorTime - _cpuStart;
        var loadGen = new ProcessStats(
            Math.Round(Process.GetCurrentProcess().PeakWorkingSet64 / 1048576.0, 1),
            Math.Round(cpu.TotalSeconds, 2),
            Math.Round(100 * cpu.TotalSeconds / Math.Max(0.001, wall.TotalSeconds), 1),
            Environment.ProcessorCount)
        {
            GcPauseShare = _generator.GcPauseShare,
            ThreadPoolQueueMax = _generator.QueueMax,
            AllocatedMb = Math.Round((GC.GetTotalAllocatedBytes() - _allocatedStart) / 1048576.0, 1),
        };
        return RunSummaryBuilder.Build(_info, completion, _engine.Time.GetUtcNow(), topologies, rounds, Thresholds.WithDefaults(_scenario.Thresholds), events, [.. _runs.SelectMany(r => r.Intervals)], _abort, loadGen);
    }

    public void Dispose() => _generator.Dispose();
}
