namespace LoadGen.Core.Engine;

/// <summary>
/// One stream's sent-but-unanswered messages, keyed by sequence number: a ring that starts small
/// (most streams have one or two in flight) and doubles when a window fills, up to a cap past
/// which the oldest entries are dropped and counted as abandoned.
/// </summary>
internal sealed class PendingSends
{
    private const int InitialCapacity = 2;
    private const int MaxCapacity = 1 << 16;

    private readonly Lock _lock = new();
    private Entry[] _ring = new Entry[InitialCapacity];
    private int _count;

    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _count;
            }
        }
    }

    /// <summary>Entries overwritten because more than the cap were unanswered.</summary>
    public long Abandoned { get; private set; }

    public void Add(ulong seq, long scheduled, long sent)
    {
        lock (_lock)
        {
            ref var slot = ref _ring[(int)(seq & (ulong)(_ring.Length - 1))];
            while (slot.Seq != 0 && _ring.Length < MaxCapacity)
            {
                Grow();
                slot = ref _ring[(int)(seq & (ulong)(_ring.Length - 1))];
            }

            if (slot.Seq != 0)
            {
                Abandoned++;
                _count--;
            }

            slot = new Entry(seq, scheduled, sent);
            _count++;
        }
    }

    public bool TryTake(ulong seq, out long scheduled, out long sent)
    {
        lock (_lock)
        {
            ref var slot = ref _ring[(int)(seq & (ulong)(_ring.Length - 1))];
            if (slot.Seq == seq && seq != 0)
            {
                scheduled = slot.Scheduled;
                sent = slot.Sent;
                slot = default;
                _count--;
                return true;
            }
        }

        scheduled = sent = 0;
        return false;
    }

    private void Grow()
    {
        var bigger = new Entry[_ring.Length * 2];
        foreach (var e in _ring)
        {
            if (e.Seq != 0)
            {
                bigger[(int)(e.Seq & (ulong)(bigger.Length - 1))] = e;
            }
        }

        _ring = bigger;
    }

    private readonly record struct Entry(ulong Seq, long Scheduled, long Sent);
}
