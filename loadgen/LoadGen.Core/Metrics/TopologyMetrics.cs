using System.Collections.Concurrent;
using LoadGen.Core.Metrics;
using LoadGen.Results.Analysis;

namespace LoadGen.Core.Metrics;

/// <summary>Everything measured for one topology: latency recorders and counters, all safe to update from any stream.</summary>
public sealed class TopologyMetrics
{
    private long _attempted;
    private long _opened;
    private long _ended;
    private long _active;
    private long _peakActive;
    private long _sent;
    private long _received;
    private long _waitedForSlot;
    private long _connectionsOpened;
    private long _reconnects;
    private long _samples;
    private long _intervalPeak;

    public TopologyMetrics(string topology)
    {
        Topology = topology;
        Rtt = new ShardedRecorder($"{topology}.rtt");
        RttUncorrected = new ShardedRecorder($"{topology}.rtt-uncorrected");
        Open = new ShardedRecorder($"{topology}.open");
        SendLag = new ShardedRecorder($"{topology}.send-lag");
        Reconnect = new ShardedRecorder($"{topology}.reconnect");
        ReplyGap = new ShardedRecorder($"{topology}.reply-gap");
    }

    public string Topology { get; }

    /// <summary>What the path announced on this topology's connections and streams (its fingerprint).</summary>
    public PathRecorder Path { get; } = new();

    /// <summary>Live export (OTLP) of what is counted here; null when nothing exports.</summary>
    public Metrics.TopologyTelemetry? Telemetry { get; set; }

    /// <summary>Round trip from the scheduled send time (coordinated-omission corrected), µs.</summary>
    public ShardedRecorder Rtt { get; }

    /// <summary>Round trip from the actual send time, µs.</summary>
    public ShardedRecorder RttUncorrected { get; }

    /// <summary>Stream open latency: asking for a stream (slot wait included) to response headers, µs.</summary>
    public ShardedRecorder Open { get; }

    /// <summary>
    /// How late each message left against its schedule, µs: the client's own share of the gap between
    /// corrected and uncorrected latency (timer lateness, a busy thread pool, in-flight waits, slow writes).
    /// </summary>
    public ShardedRecorder SendLag { get; }

    /// <summary>Count-only workloads: time between two replies on one stream, µs (nothing else is recorded per message).</summary>
    public ShardedRecorder ReplyGap { get; }

    /// <summary>Time to re-establish: from losing a stream (unplanned end) to its replacement's response headers, µs.</summary>
    public ShardedRecorder Reconnect { get; }

    /// <summary>
    /// Ends of opened streams, for survival and timeout detection: every one up to
    /// <see cref="MaxEndSamples"/>, then a uniform sample of that size over the whole run (reservoir
    /// sampling), so memory stays flat however long a soak churns and late ends count like early ones.
    /// </summary>
    public IReadOnlyList<EndSample> EndSamples
    {
        get
        {
            lock (_reservoir)
            {
                return [.. _reservoir];
            }
        }
    }

    public const int MaxEndSamples = 200_000;

    /// <summary>Ends of opened streams seen (the sample holds at most <see cref="MaxEndSamples"/> of them).</summary>
    public long EndsSeen
    {
        get
        {
            lock (_reservoir)
            {
                return _samples;
            }
        }
    }

    /// <summary>Seconds lived by every opened stream that ended, summed exactly (not from the sample).</summary>
    public double LifetimeSeconds
    {
        get
        {
            lock (_reservoir)
            {
                return _lifetimeS;
            }
        }
    }

    public long Reconnects => Interlocked.Read(ref _reconnects);

    public ConcurrentDictionary<string, long> Outcomes { get; } = new(StringComparer.Ordinal);

    public long Attempted => Interlocked.Read(ref _attempted);

    public long Opened => Interlocked.Read(ref _opened);

    public long Ended => Interlocked.Read(ref _ended);

    public long Active => Interlocked.Read(ref _active);

    public long PeakActive => Interlocked.Read(ref _peakActive);

    public long Sent => Interlocked.Read(ref _sent);

    public long Received => Interlocked.Read(ref _received);

    /// <summary>Streams that found every pool slot taken and had to wait for one.</summary>
    public long WaitedForSlot => Interlocked.Read(ref _waitedForSlot);

    /// <summary>TCP connections actually opened (more than planned when a server allows fewer streams per connection).</summary>
    public long ConnectionsOpened => Interlocked.Read(ref _connectionsOpened);

    public void StreamAttempted() => Interlocked.Increment(ref _attempted);

    public void StreamOpened()
    {
        Interlocked.Increment(ref _opened);
        var now = Interlocked.Increment(ref _active);
        RaiseTo(ref _peakActive, now);
        RaiseTo(ref _intervalPeak, now);
    }

    /// <summary>The most streams open at once since the last call (at least those open now); starts the next interval's count.</summary>
    public long TakeIntervalPeak()
    {
        var active = Active;
        return Math.Max(active, Interlocked.Exchange(ref _intervalPeak, active));
    }

    private static void RaiseTo(ref long peak, long value)
    {
        long seen;
        while (value > (seen = Interlocked.Read(ref peak)) && Interlocked.CompareExchange(ref peak, value, seen) != seen)
        {
        }
    }

    /// <summary>Messages sent but never answered, by the cause that ended their streams.</summary>
    public ConcurrentDictionary<string, long> Unanswered { get; } = new(StringComparer.Ordinal);

    /// <summary>A stream ended with <paramref name="count"/> messages never answered.</summary>
    public void Unanswer(string cause, long count)
    {
        if (count > 0)
        {
            Unanswered.AddOrUpdate(cause, count, (_, n) => n + count);
        }
    }

    public void StreamClosed(bool wasOpen, string cause)
    {
        if (wasOpen)
        {
            Interlocked.Decrement(ref _active);
        }

        Interlocked.Increment(ref _ended);
        Outcomes.AddOrUpdate(cause, 1, (_, n) => n + 1);
    }

    public void Reconnected(long micros)
    {
        Interlocked.Increment(ref _reconnects);
        Reconnect.RecordMicros(micros);
    }

    public void Sample(EndSample sample)
    {
        lock (_reservoir)
        {
            _samples++;
            _lifetimeS += sample.LifetimeS;
            if (_reservoir.Count < MaxEndSamples)
            {
                _reservoir.Add(sample);
            }
            else if (Random.Shared.NextInt64(_samples) is var j && j < MaxEndSamples)
            {
                _reservoir[(int)j] = sample;
            }
        }
    }

    private readonly List<EndSample> _reservoir = [];
    private double _lifetimeS;

    public void MessageSent() => Interlocked.Increment(ref _sent);

    public void MessageReceived() => Interlocked.Increment(ref _received);

    public void SlotWaited() => Interlocked.Increment(ref _waitedForSlot);

    public void ConnectionOpened() => Interlocked.Increment(ref _connectionsOpened);
}
