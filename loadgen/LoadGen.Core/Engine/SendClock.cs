using System.Diagnostics;
using System.Threading.Tasks.Sources;

namespace LoadGen.Core.Engine;

/// <summary>
/// Wakes open-loop senders at their scheduled times: one clock thread per core (a lane), each holding its senders' next
/// due times in a priority queue, instead of a <see cref="Task.Delay(TimeSpan)"/> timer per message. A waiting
/// sender holds one reusable <see cref="Waiter"/> for its whole life, so a wait allocates nothing; a lane releases
/// every sender whose time has come as one thread-pool work item, which runs them in due order up to each one's next
/// await (a write handed to the connection): one thread-pool hop per batch, not per message. Measured at 100 streams ×
/// 200 msg/s on 2 cores: senders run on the lane's own thread woke a pool thread for every write (half the messages
/// per CPU-second of a timer per message); a System.Threading.Timer per lane was cheap but late — .NET timers count
/// a coarse clock, corrected p50 2.0–2.5 ms against 0.75 ms with the lane sleeping on a monitor.
/// A lane sleeps whole milliseconds: a wait ends within <see cref="Early"/> before its time (the sender then measures
/// from when its wait ended, not from its time: <see cref="OpenLoopSender"/>), or late by the wake-up and the senders
/// released before it, which the send lag figure measures.
/// </summary>
internal sealed class SendClock
{
    private readonly Lane[] _lanes;

    private SendClock(int lanes) => _lanes = [.. Enumerable.Range(0, lanes).Select(i => new Lane(i))];

    /// <summary>The process's clock: one lane per core.</summary>
    public static SendClock Shared { get; } = new(Math.Max(1, Environment.ProcessorCount));

    /// <summary>How much before its time a wait may end: half the timer's millisecond.</summary>
    public static readonly TimeSpan Early = TimeSpan.FromMilliseconds(0.5);

    private static readonly long EarlyTicks = (long)(Early.TotalSeconds * Stopwatch.Frequency);

    /// <summary>A waiter for one sender, on the lane <paramref name="key"/> picks (a stream id spreads streams over lanes).</summary>
    public Waiter NewWaiter(long key) => new(_lanes[(int)((ulong)key % (ulong)_lanes.Length)]);

    /// <summary>
    /// One sender's wait, reused for every message. Not for two waits at once: a sender waits for its next message
    /// only after the previous wait ended.
    /// </summary>
    public sealed class Waiter : IValueTaskSource
    {
        private readonly Lane _lane;
        private ManualResetValueTaskSourceCore<bool> _core;

        // 1 while a wait is pending: whoever sets it to 0 first (the lane at the due time, or cancellation) ends it.
        private int _armed;
        private CancellationTokenRegistration _cancel;

        internal Waiter(Lane lane) => _lane = lane;

        /// <summary>
        /// Ends when <see cref="Stopwatch.GetTimestamp"/> reaches <paramref name="dueTimestamp"/> (or is within <see cref="Early"/>
        /// of it), or throws when <paramref name="cancellationToken"/> fires.
        /// </summary>
        public ValueTask WaitUntilAsync(long dueTimestamp, CancellationToken cancellationToken)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (Stopwatch.GetTimestamp() >= dueTimestamp - EarlyTicks)
            {
                return ValueTask.CompletedTask;
            }

            _core.Reset();
            Volatile.Write(ref _armed, 1);
            var version = _core.Version;
            if (cancellationToken.CanBeCanceled)
            {
                _cancel = cancellationToken.UnsafeRegister(static (state, token) => ((Waiter)state!).End(new OperationCanceledException(token)), this);
            }

            _lane.Add(this, version, dueTimestamp);
            return new ValueTask(this, version);
        }

        /// <summary>The lane's call at the due time: ends the wait unless cancellation did, or it is an older wait's entry.</summary>
        internal void Due(short version)
        {
            if (version == _core.Version)
            {
                End(null);
            }
        }

        private void End(Exception? error)
        {
            if (Interlocked.Exchange(ref _armed, 0) != 1)
            {
                return;
            }

            // Not disposed here: Dispose waits for a running callback, and this may be that callback.
            _cancel.Unregister();
            // At the due time the sender goes on right here, in its lane's batch: it only starts a write (the
            // connection's own loop sends it) and waits again. A cancellation is handed to the thread pool: the
            // canceller's thread is not the sender's.
            _core.RunContinuationsAsynchronously = error is not null;
            if (error is null)
            {
                _core.SetResult(true);
            }
            else
            {
                _core.SetException(error);
            }
        }

        void IValueTaskSource.GetResult(short token) => _core.GetResult(token);

        ValueTaskSourceStatus IValueTaskSource.GetStatus(short token) => _core.GetStatus(token);

        void IValueTaskSource.OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
            _core.OnCompleted(continuation, state, token, flags);
    }

    /// <summary>One clock thread and the due times of its senders.</summary>
    internal sealed class Lane
    {
        private static readonly long OneMs = Stopwatch.Frequency / 1000;

        // A monitor, not a Lock: the lane sleeps on it with Monitor.Wait until the next due time or an earlier arrival.
        private readonly object _lock = new();
        private readonly PriorityQueue<(Waiter Waiter, short Version), long> _due = new();

        // When the lane means to wake next (a timestamp; long.MaxValue while it has nothing to wait for).
        private long _wake = long.MaxValue;

        public Lane(int index)
        {
            new Thread(Run) { IsBackground = true, Name = $"loadgen send clock {index}" }.Start();
        }

        public void Add(Waiter waiter, short version, long due)
        {
            lock (_lock)
            {
                _due.Enqueue((waiter, version), due);
                if (due < _wake - OneMs)
                {
                    // Over a millisecond before the lane means to wake: wake it to sleep less. Within that millisecond,
                    // its planned wake-up is no later than a re-computed one would be (sleeps are whole milliseconds).
                    _wake = due;
                    Monitor.Pulse(_lock);
                }
            }
        }

        private void Run()
        {
            while (true)
            {
                Batch? batch = null;
                lock (_lock)
                {
                    while (batch is null)
                    {
                        var now = Stopwatch.GetTimestamp();
                        while (_due.TryPeek(out var entry, out var due) && due - EarlyTicks <= now)
                        {
                            (batch ??= new Batch()).Add(entry);
                            _due.Dequeue();
                        }

                        if (batch is not null)
                        {
                            _wake = now;
                        }
                        else if (!_due.TryPeek(out _, out var first))
                        {
                            _wake = long.MaxValue;
                            Monitor.Wait(_lock);
                        }
                        else
                        {
                            // Whole milliseconds, no more than Early before the first due time.
                            var ms = Math.Max(1, (int)Math.Min(int.MaxValue, Math.Ceiling((double)(first - EarlyTicks - now) / OneMs)));
                            _wake = now + (ms * OneMs);
                            Monitor.Wait(_lock, ms);
                        }
                    }
                }

                // The senders go on together on one thread-pool thread, not here: their writes' own continuations then
                // queue on that thread, where a write per message from this thread woke a pool thread each time.
                ThreadPool.UnsafeQueueUserWorkItem(batch, preferLocal: false);
            }
        }
    }

    /// <summary>Senders released together: each goes on, in due order, up to its next await (a write handed to the connection).</summary>
    private sealed class Batch : List<(Waiter Waiter, short Version)>, IThreadPoolWorkItem
    {
        public void Execute()
        {
            foreach (var (waiter, version) in this)
            {
                waiter.Due(version);
            }
        }
    }
}
