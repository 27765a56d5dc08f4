using LoadGen.Core.Connections;
using LoadGen.Core.Scenarios;
using LoadGen.Results;
using Microsoft.Extensions.Logging;

namespace LoadGen.Core.Engine;

/// <summary>Where a round writes: the run folder's open files.</summary>
/// <param name="Checkpoint">Writes the rolling partial summary; called after every interval's files are flushed.</param>
internal sealed record RunWriters(HdrLogWriter Hlog, NdjsonWriter<IntervalRecord> Intervals, OutcomeWriter Outcomes, FaultCues Faults, Action Checkpoint);

/// <summary>
/// One round of one topology: the profile's population held through its phases (<see cref="Population"/>),
/// cut into intervals (<see cref="IntervalCutter"/>), faults fired on cue (<see cref="FaultCues"/>),
/// then every stream closed and the last interval cut.
/// </summary>
internal sealed class RoundRunner(Scenario scenario, TopologyRun run, int round, RunWriters writers, TimeProvider time, Action<ProgressSnapshot>? progress, ILoggerFactory logs)
{
    private static readonly TimeSpan Tick = TimeSpan.FromMilliseconds(20);
    private static readonly TimeSpan AbortGrace = TimeSpan.FromSeconds(5);
    private readonly HoldTracker _hold = new();

    /// <param name="cancellationToken">Ends the round early; its streams are still closed and its last interval cut.</param>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        var profile = scenario.Profile;
        var target = run.Target;
        var metrics = run.Metrics;
        var faults = scenario.Faults.OrderBy(f => f.At).ToList();
        var pendingFaults = new List<Task>();
        var nextFault = 0;
        int? roundTag = scenario.Rounds > 1 ? round : null;
        var log = logs.CreateLogger<RoundRunner>();
        using var pool = new ConnectionPool(target, scenario.Connections, profile.Peak, metrics, logs.CreateLogger<ConnectionPool>(), time);
        var settings = new StreamSettings(
            metrics,
            pool,
            writers.Outcomes,
            time,
            new SendSchedule(scenario.Messages.Schedule, scenario.Messages.Interval, profile.Shard is { } shard ? new Random(Population.HashCode32(shard.Seed, round, 1)) : new Random()),
            run.Workload,
            scenario.Messages.ClientQuietAfter,
            scenario.Messages.InFlightCap,
            scenario.Connections.OpenTimeout,
            run.Headers,
            logs.CreateLogger<LoadStream>());
        var population = new Population(settings, scenario.Reconnect, profile.MaxOpensPerSecond, time, profile.Shard, round);
        var cutter = new IntervalCutter(run, writers.Hlog, writers.Intervals, roundTag, (pool.Planned, pool.PerConnection), time);
        var start = time.GetTimestamp();
        run.LiveAges = population.OpenAges;
        EngineLog.RoundStarted(log, target.Name, round, pool.Planned, pool.PerConnection);
        var nextCut = scenario.ReportingInterval;
        var lastTick = start;
        try
        {
            while (true)
            {
                var now = time.GetTimestamp();
                var elapsed = time.GetElapsedTime(start, now);
                if (cancellationToken.IsCancellationRequested || elapsed >= profile.Duration)
                {
                    break;
                }

                var want = profile.TargetAt(elapsed);
                if (profile.IsHold(elapsed))
                {
                    _hold.Observe(time.GetElapsedTime(lastTick, now).TotalSeconds, want, metrics.Active, population.Waiting);
                }

                lastTick = now;
                population.Step(now, want);
                while (nextFault < faults.Count && elapsed >= faults[nextFault].At)
                {
                    pendingFaults.Add(writers.Faults.FireAsync(faults[nextFault++], target, roundTag, cancellationToken));
                }

                if (elapsed >= nextCut)
                {
                    await CutAsync(cutter, elapsed);
                    nextCut += scenario.ReportingInterval;
                }

                await Task.Delay(Tick, time, CancellationToken.None);
            }

            // A fault still going (a stop or kill "for N s") ends before the round closes.
            await Task.WhenAll(pendingFaults);
            var lostForGood = await population.CloseAsync(scenario.CloseTimeout, AbortGrace);
            await CutAsync(cutter, time.GetElapsedTime(start), lostForGood);
            EngineLog.RoundEnded(log, target.Name, round, time.GetElapsedTime(start).TotalSeconds, lostForGood);
        }
        finally
        {
            run.LiveAges = null;
        }
    }

    /// <summary>
    /// Every interval: histograms to latency.hlog, counts to intervals.ndjson, outcomes so far to
    /// disk, then the rolling partial summary: a kill loses at most one interval.
    /// </summary>
    private async Task CutAsync(IntervalCutter cutter, TimeSpan elapsed, long lostForGood = 0)
    {
        var profile = scenario.Profile;
        var cut = cutter.Take(profile.PhaseAt(elapsed), profile.TargetAt(elapsed), _hold.Take(), lostForGood);
        var label = round == 0 ? $"{run.Target.Name} warm-up" : scenario.Rounds > 1 ? $"{run.Target.Name} round {round}/{scenario.Rounds}" : run.Target.Name;
        progress?.Invoke(new ProgressSnapshot(label, cut.Record.Phase, elapsed, profile.Duration, cut.Record.TargetStreams, cut.Record.Active,
            LoadGen.Results.Histograms.PercentileMs(cut.Latency, 50), LoadGen.Results.Histograms.PercentileMs(cut.Latency, 99))
        {
            Interval = cut.Record,
            TotalEnds = run.Metrics.Outcomes.ToDictionary(StringComparer.Ordinal),
            ReplyGaps = cut.ReplyGaps,
        });
        await writers.Outcomes.FlushAsync();
        writers.Checkpoint();
    }
}
