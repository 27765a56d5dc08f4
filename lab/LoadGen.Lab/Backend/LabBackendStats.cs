using System.Collections.Concurrent;

namespace LoadGen.Lab.Backend;

/// <summary>What the backend saw, for tests and the lab's own console line.</summary>
public sealed class LabBackendStats
{
    private long _activeStreams;
    private long _totalStreams;
    private long _messagesReceived;
    private long _messagesSent;

    public long ActiveStreams => Interlocked.Read(ref _activeStreams);

    public long TotalStreams => Interlocked.Read(ref _totalStreams);

    public long MessagesReceived => Interlocked.Read(ref _messagesReceived);

    public long MessagesSent => Interlocked.Read(ref _messagesSent);

    internal void StreamStarted()
    {
        Interlocked.Increment(ref _activeStreams);
        Interlocked.Increment(ref _totalStreams);
    }

    internal void StreamEnded() => Interlocked.Decrement(ref _activeStreams);

    internal void MessageReceived() => Interlocked.Increment(ref _messagesReceived);

    internal void MessageSent() => Interlocked.Increment(ref _messagesSent);

    private const int MaxHolds = 200_000;
    private readonly ConcurrentQueue<double> _holdsMs = new();

    /// <summary>
    /// How long replies were actually held by <c>directives.delay</c>, ms (the first 200,000): a timer never
    /// fires early and often late, so this — not the delay asked for — is the known answer a latency figure
    /// should recover.
    /// </summary>
    public IReadOnlyList<double> HoldsMs => [.. _holdsMs];

    internal void Held(TimeSpan asked, TimeSpan held)
    {
        _askedMs = asked.TotalMilliseconds;
        if (_holdsMs.Count < MaxHolds)
        {
            _holdsMs.Enqueue(held.TotalMilliseconds);
        }
    }

    private double _askedMs;

    /// <summary>The counters and the holds' quantiles, as <see cref="LabBackend.StatsPath"/> serves them.</summary>
    public LabBackendSnapshot Snapshot()
    {
        var holds = HoldsMs.Order().ToList();
        double At(double q) => holds[Math.Clamp((int)Math.Ceiling(q * holds.Count) - 1, 0, holds.Count - 1)];
        return new LabBackendSnapshot(TotalStreams, ActiveStreams, MessagesReceived, MessagesSent,
            holds.Count == 0 ? null : new LabHolds(holds.Count, _askedMs, Math.Round(holds[0], 3), Math.Round(At(0.5), 3), Math.Round(At(0.99), 3), Math.Round(holds[^1], 3)));
    }

    /// <summary>
    /// What clients presented, counted by value: "authority" (the :authority of each stream), "sni"
    /// (the TLS server name of each connection), "client-cert" (its subject), "grpc-encoding" (each
    /// stream's message compression), and "header:NAME" for any request header <c>x-lab-*</c>.
    /// Credentials are never recorded (the ESP stand-in checks those).
    /// </summary>
    public IReadOnlyDictionary<string, int> Seen(string what) =>
        _seen.TryGetValue(what, out var values) ? new Dictionary<string, int>(values, StringComparer.Ordinal) : new Dictionary<string, int>();

    internal void Saw(string what, string value) =>
        _seen.GetOrAdd(what, _ => new ConcurrentDictionary<string, int>(StringComparer.Ordinal)).AddOrUpdate(value, 1, (_, n) => n + 1);

    private readonly ConcurrentDictionary<string, ConcurrentDictionary<string, int>> _seen = new(StringComparer.Ordinal);
}
