using System.Threading.Tasks.Sources;

namespace LoadGen.Core.Engine;

/// <summary>
/// A stream's in-flight cap: its sender takes a slot before each send, a matched reply gives one back. The stream's
/// sender is the only waiter, so one reusable value-task source serves every wait and a wait allocates nothing — a
/// <see cref="SemaphoreSlim"/> allocates a task for every wait that has to wait, which in a closed loop is every message.
/// A reply that frees the slot the sender waits for runs the sender on at once, on the reply's thread (it only starts a
/// write and waits again); a cancelled wait is handed to the thread pool.
/// </summary>
internal sealed class InFlightWindow : IValueTaskSource
{
    private readonly Lock _lock = new();
    private ManualResetValueTaskSourceCore<bool> _core;
    private int _free;
    private bool _waiting;
    private CancellationTokenRegistration _cancel;

    public InFlightWindow(int slots)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(slots, 1);
        _free = slots;
    }

    /// <summary>Slots free now.</summary>
    public int Free
    {
        get
        {
            lock (_lock)
            {
                return _free;
            }
        }
    }

    /// <summary>Takes a slot: at once when one is free, else when a reply gives one back; throws when <paramref name="cancellationToken"/> fires first.</summary>
    public ValueTask WaitAsync(CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        lock (_lock)
        {
            if (_free > 0)
            {
                _free--;
                return ValueTask.CompletedTask;
            }

            if (_waiting)
            {
                throw new InvalidOperationException("an in-flight window has one waiter: its stream's sender");
            }

            _core.Reset();
            _waiting = true;
            // Registered under the lock, so a Release sees it; a token cancelled meanwhile runs the callback here (the
            // lock is re-entrant) and the wait below is already over.
            _cancel = cancellationToken.UnsafeRegister(static (state, token) => ((InFlightWindow)state!).Cancel(token), this);
            return new ValueTask(this, _core.Version);
        }
    }

    /// <summary>A reply matched a send: its slot is free again (or goes straight to the waiting sender).</summary>
    public void Release()
    {
        CancellationTokenRegistration cancel;
        lock (_lock)
        {
            if (!_waiting)
            {
                _free++;
                return;
            }

            _waiting = false;
            cancel = _cancel;
            _core.RunContinuationsAsynchronously = false;
        }

        cancel.Unregister();
        _core.SetResult(true);
    }

    private void Cancel(CancellationToken token)
    {
        lock (_lock)
        {
            if (!_waiting)
            {
                return;
            }

            _waiting = false;
            _core.RunContinuationsAsynchronously = true;
        }

        _core.SetException(new OperationCanceledException(token));
    }

    void IValueTaskSource.GetResult(short token) => _core.GetResult(token);

    ValueTaskSourceStatus IValueTaskSource.GetStatus(short token) => _core.GetStatus(token);

    void IValueTaskSource.OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _core.OnCompleted(continuation, state, token, flags);
}
