using LoadGen.Core.Scenarios;

namespace LoadGen.Core.Engine;

/// <summary>
/// Holds one round's stream population at the profile's target: opens new streams and re-opens lost
/// ones through one opens-per-second limiter (so a mass reset cannot become a reconnect storm),
/// queues each unplanned loss for its backoff, and closes the youngest streams when the target shrinks.
/// </summary>
internal sealed class Population(StreamSettings settings, ReconnectPolicy policy, double maxOpensPerSecond, TimeProvider time, ShardSlice? shard = null, int round = 1)
{
    /// <summary>At most this long's worth of opens is saved up while the population is full.</summary>
    private static readonly TimeSpan BurstWindow = TimeSpan.FromMilliseconds(100);

    private readonly List<LoadStream> _live = [];
    private readonly List<LoadStream> _closing = [];
    private readonly SortedSet<PendingReopen> _waiting = [];
    private readonly Random _random = shard is { } sh ? new Random(HashCode32(sh.Seed, round, 2)) : new Random();
    private readonly long _idStep = shard?.StreamIds.Step ?? 1;
    private long _nextId = (shard?.StreamIds.First ?? 1) - (shard?.StreamIds.Step ?? 1);
    private double _tokens = 1.0;
    private long _lastTick = time.GetTimestamp();

    /// <summary>Unplanned losses still waiting for their re-open.</summary>
    public int Waiting => _waiting.Count;

    /// <summary>One tick: refill the limiter, forget ended streams, then re-open, open or close toward <paramref name="want"/>.</summary>
    public void Step(long now, int want)
    {
        // Token bucket: at most maxOpensPerSecond, with at most a tenth of a second's worth saved up.
        _tokens = Math.Min(Math.Max(1, maxOpensPerSecond * BurstWindow.TotalSeconds), _tokens + (time.GetElapsedTime(_lastTick, now).TotalSeconds * maxOpensPerSecond));
        _lastTick = now;
        _closing.RemoveAll(s => s.IsEnded);
        SweepEnded(force: false);

        // Re-opens first (they are the population's own streams coming back), then first opens;
        // both spend the same opens-per-second tokens.
        while (_tokens >= 1 && _waiting.Count > 0 && _waiting.Min!.DueAt <= now && _live.Count + _waiting.Count <= want)
        {
            var w = _waiting.Min;
            _waiting.Remove(w);
            Open(new LoadStream(_nextId += _idStep, settings, w.Attempt, w.LostAt));
            _tokens--;
        }

        var population = _live.Count + _waiting.Count;
        if (population < want)
        {
            var n = (int)Math.Min(want - population, Math.Floor(_tokens));
            _tokens -= n;
            for (var i = 0; i < n; i++)
            {
                Open(new LoadStream(_nextId += _idStep, settings));
            }
        }
        else if (population > want)
        {
            // Shrink: forget pending re-opens first, then close the youngest streams.
            while (_waiting.Count > 0 && _live.Count + _waiting.Count > want)
            {
                _waiting.Remove(_waiting.Max!);
            }

            for (var i = _live.Count - 1; i >= want; i--)
            {
                _live[i].RequestClose();
                _closing.Add(_live[i]);
            }

            if (_live.Count > want)
            {
                _live.RemoveRange(want, _live.Count - want);
            }
        }
    }

    /// <summary>Ages (s since response headers) of the open streams at <paramref name="now"/>.</summary>
    public IReadOnlyList<double> OpenAges(long now) =>
        [.. _live.Concat(_closing).Select(s => s.OpenAgeS(now)).OfType<double>()];

    /// <summary>
    /// The round's end: forgets what is still waiting to re-open (returned: lost for good), asks every
    /// stream to close, waits up to <paramref name="closeTimeout"/>, then aborts the rest (and waits
    /// <paramref name="abortGrace"/> for them).
    /// </summary>
    public async Task<int> CloseAsync(TimeSpan closeTimeout, TimeSpan abortGrace)
    {
        SweepEnded(force: true);
        var lostForGood = _waiting.Count;
        foreach (var s in _live)
        {
            s.RequestClose();
        }

        _closing.AddRange(_live);
        var all = Task.WhenAll(_closing.Select(s => s.Completion));
        await Task.WhenAny(all, Task.Delay(closeTimeout, time, CancellationToken.None));
        if (!all.IsCompleted)
        {
            foreach (var s in _closing.Where(s => !s.IsEnded))
            {
                s.Abort();
            }

            await Task.WhenAny(all, Task.Delay(abortGrace, time, CancellationToken.None));
        }

        return lostForGood;
    }

    /// <summary>A seed from a shard's seed, the round and a use: stable across processes (unlike <see cref="HashCode"/>).</summary>
    internal static int HashCode32(int seed, int round, int use) => unchecked((int)((uint)seed * 2654435761u ^ (uint)round * 40503u ^ (uint)use * 97u));

    private void Open(LoadStream s)
    {
        _live.Add(s);
        s.Start();
    }

    /// <summary>
    /// Moves streams that ended out of the live list; an unplanned end gets a re-open due after the
    /// policy's backoff (the attempt count grows only while opens keep failing). Walks the list only when a stream
    /// began to end since the last sweep (or when <paramref name="force"/>d).
    /// </summary>
    private void SweepEnded(bool force)
    {
        if (!settings.Ends.Take() && !force)
        {
            return;
        }

        var stillEnding = false;
        var i = 0;
        for (var j = 0; j < _live.Count; j++)
        {
            var s = _live[j];
            if (!s.IsEnded)
            {
                // Signalled but its task not yet complete: look again next tick.
                stillEnding |= s.Ending;
                _live[i++] = s;
                continue;
            }

            if (!s.Planned && policy.Enabled)
            {
                var attempt = s.WasOpened ? 0 : s.Attempt + 1;
                var lostAt = s.WasOpened || s.LostAt == 0 ? s.EndedAt : s.LostAt;
                var delay = policy.Delay(s.WasOpened ? 0 : attempt, _random);
                var due = s.EndedAt + (long)(delay.TotalSeconds * time.TimestampFrequency);
                EngineLog.ReopenScheduled(settings.Log, settings.Metrics.Topology, s.Id, delay.TotalMilliseconds, attempt);
                _waiting.Add(new PendingReopen(due, s.Id, attempt, lostAt));
            }
        }

        _live.RemoveRange(i, _live.Count - i);
        if (stillEnding)
        {
            settings.Ends.Signal();
        }
    }

    /// <summary>A stream lost unplanned, waiting for its re-open time.</summary>
    private sealed record PendingReopen(long DueAt, long Id, int Attempt, long LostAt) : IComparable<PendingReopen>
    {
        public int CompareTo(PendingReopen? other) =>
            other is null ? 1 : DueAt != other.DueAt ? DueAt.CompareTo(other.DueAt) : Id.CompareTo(other.Id);
    }
}
