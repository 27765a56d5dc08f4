using HdrHistogram;
using LoadGen.Core.Metrics;
using LoadGen.Results;

namespace LoadGen.Core.Engine;

/// <summary>
/// Cuts one round of one topology into intervals: each cut takes the recorders' interval histograms
/// to latency.hlog and the counters' deltas to intervals.ndjson (one snapshot, so consecutive
/// intervals add up exactly), and keeps both on the <see cref="TopologyRun"/> the summary is built from.
/// </summary>
internal sealed class IntervalCutter
{
    private readonly TopologyRun _run;
    private readonly HdrLogWriter _hlog;
    private readonly NdjsonWriter<IntervalRecord> _intervals;
    private readonly ShardedRecorder[] _recorders;
    private readonly TimeProvider _time;
    private readonly int? _round;
    private readonly (int Planned, int PerConnection) _connections;
    private Counters _last;
    private DateTimeOffset _start;

    public IntervalCutter(TopologyRun run, HdrLogWriter hlog, NdjsonWriter<IntervalRecord> intervals, int? round, (int Planned, int PerConnection) connections, TimeProvider time)
    {
        _run = run;
        _hlog = hlog;
        _intervals = intervals;
        _round = round;
        _connections = connections;
        _time = time;
        var m = run.Metrics;
        // Reply gaps are what a count-only workload measures instead of round trips; the others leave them out.
        _recorders = [m.Rtt, m.RttUncorrected, m.Open, m.SendLag, m.Reconnect, .. run.Workload.Matching.MeasuresLatency ? [] : (ShardedRecorder[])[m.ReplyGap]];
        _last = Counters.Of(m);
        _start = time.GetUtcNow();
        _lastCpu = Environment.CpuUsage.TotalTime;
        _lastPause = GC.GetTotalPauseDuration();
        _lastWall = System.Diagnostics.Stopwatch.GetTimestamp();
        _lastMachine = MachineCpu.Read();
    }

    private (long Busy, long Total)? _lastMachine;
    private TimeSpan _lastCpu;
    private TimeSpan _lastPause;
    private long _lastWall;

    /// <summary>The interval just cut and its round-trip (or, count-only, reply-gap) histogram, for the progress line.</summary>
    public sealed record Cut(IntervalRecord Record, HistogramBase Latency, bool ReplyGaps);

    /// <param name="lostForGood">On the round's last cut: losses still waiting to re-open.</param>
    /// <param name="hold">The population held during the interval's hold-phase time.</param>
    public Cut Take(string phase, int targetStreams, HoldRecord? hold, long lostForGood = 0)
    {
        var now = _time.GetUtcNow();
        var m = _run.Metrics;
        var taken = new List<HistogramBase>(_recorders.Length);
        foreach (var recorder in _recorders)
        {
            var h = recorder.TakeInterval();
            _hlog.Write(h, _start, now);
            taken.Add(h);
        }

        _hlog.Flush();
        var snap = Counters.Of(m);
        var rtt = taken[0];
        // The generator's own health this interval, beside what it measured: CPU, GC pauses, send lag.
        var (cpu, pause, wall) = (Environment.CpuUsage.TotalTime, GC.GetTotalPauseDuration(), System.Diagnostics.Stopwatch.GetTimestamp());
        var wallS = System.Diagnostics.Stopwatch.GetElapsedTime(_lastWall, wall).TotalSeconds;
        var machine = MachineCpu.Read();
        var record = new IntervalRecord
        {
            Topology = _run.Target.Name,
            Round = _round,
            Start = _start,
            End = now,
            Phase = phase,
            TargetStreams = targetStreams,
            Active = m.Active,
            PeakActive = m.TakeIntervalPeak(),
            Hold = hold,
            Attempted = snap.Attempted - _last.Attempted,
            Opened = snap.Opened - _last.Opened,
            Ended = snap.Ended - _last.Ended,
            EndsByCause = Delta(snap.Ends, _last.Ends),
            Sent = snap.Sent - _last.Sent,
            Received = snap.Received - _last.Received,
            UnansweredByCause = Delta(snap.Unanswered, _last.Unanswered) is { Count: > 0 } lost ? lost : null,
            WaitedForSlot = snap.WaitedForSlot - _last.WaitedForSlot,
            ConnectionsOpened = snap.ConnectionsOpened - _last.ConnectionsOpened,
            ConnectionsPlanned = _connections.Planned,
            StreamsPerConnection = _connections.PerConnection,
            Reconnects = snap.Reconnects - _last.Reconnects,
            LostForGood = lostForGood,
            StreamSeconds = Math.Round(snap.LifetimeS - _last.LifetimeS, 3),
            P50Ms = Histograms.PercentileMs(rtt, 50),
            P99Ms = Histograms.PercentileMs(rtt, 99),
            LoadGenCpuShare = wallS <= 0 ? null : Math.Round((cpu - _lastCpu).TotalSeconds / wallS / Environment.ProcessorCount, 3),
            LoadGenGcPauseShare = wallS <= 0 ? null : Math.Round((pause - _lastPause).TotalSeconds / wallS, 4),
            MachineCpuShare = MachineCpu.Share(_lastMachine, machine),
            SendLagP99Ms = Histograms.PercentileMs(taken[3], 99),
            LoadGenRssMb = Math.Round(Environment.WorkingSet / 1048576.0, 1),
            LoadGenHeapMb = LiveHeapMb(),
        };
        _intervals.Write(record);
        _run.Add(record, taken);
        _last = snap;
        _start = now;
        (_lastCpu, _lastPause, _lastWall) = (cpu, pause, wall);
        var gap = _recorders[^1] == m.ReplyGap ? taken[^1] : null;
        return new Cut(record, gap ?? rtt, gap is not null);
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

    /// <summary>What each cause added since the last reading (causes that added nothing left out).</summary>
    private static Dictionary<string, long> Delta(Dictionary<string, long> now, Dictionary<string, long> before) =>
        now.Select(kv => (kv.Key, N: kv.Value - before.GetValueOrDefault(kv.Key)))
            .Where(x => x.N > 0)
            .ToDictionary(x => x.Key, x => x.N, StringComparer.Ordinal);

    /// <summary>One consistent reading of a topology's cumulative counters.</summary>
    private sealed record Counters(long Attempted, long Opened, long Ended, long Sent, long Received, long WaitedForSlot, long ConnectionsOpened, long Reconnects, double LifetimeS,
        Dictionary<string, long> Ends, Dictionary<string, long> Unanswered)
    {
        public static Counters Of(TopologyMetrics m) => new(m.Attempted, m.Opened, m.Ended, m.Sent, m.Received, m.WaitedForSlot, m.ConnectionsOpened, m.Reconnects, m.LifetimeSeconds,
            m.Outcomes.ToDictionary(StringComparer.Ordinal), m.Unanswered.ToDictionary(StringComparer.Ordinal));
    }
}
