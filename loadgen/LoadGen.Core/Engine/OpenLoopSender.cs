namespace LoadGen.Core.Engine;

/// <summary>
/// Sends on a schedule that does not wait for the system under test: message k is due at
/// first + sum of gaps, whatever happened before. When a send is late (a stall, a full in-flight
/// window, a slow write), the overdue messages go out at once, each carrying its original scheduled
/// time, so latency measured from that time includes the stall (coordinated-omission correction).
/// </summary>
internal sealed class OpenLoopSender
{
    private readonly TimeProvider _time;
    private readonly Func<TimeSpan> _nextGap;
    private readonly TimeSpan _firstOffset;
    private readonly InFlightWindow? _inFlight;

    /// <param name="inFlight">When given, a slot is taken before each send and released by the reply.</param>
    public OpenLoopSender(TimeProvider time, TimeSpan firstOffset, Func<TimeSpan> nextGap, InFlightWindow? inFlight)
    {
        _time = time;
        _nextGap = nextGap;
        _firstOffset = firstOffset;
        _inFlight = inFlight;
    }

    /// <summary>
    /// Where the sender waits for its next message's time: a shared <see cref="SendClock"/> waiter (no timer per message)
    /// when the time is the system's; null — a <c>Task.Delay</c> on the given <see cref="TimeProvider"/> — otherwise (tests
    /// drive a fake time that way).
    /// </summary>
    public SendClock.Waiter? Clock { get; init; }

    /// <summary>
    /// A closed loop: no schedule — each message goes as soon as an in-flight slot is free, and its "scheduled" time is
    /// its send time (there is no schedule to fall behind, so nothing to correct for).
    /// </summary>
    public bool ClosedLoop { get; init; }

    /// <summary>
    /// Sends until <paramref name="cancellationToken"/> fires (then throws <see cref="OperationCanceledException"/>)
    /// or a send throws. <paramref name="send"/> gets the sequence number (from 1) and the scheduled timestamp.
    /// </summary>
    /// <param name="firstSeq">Sequence number of the first message this sender sends.</param>
    public async Task RunAsync(Func<ulong, long, ValueTask> send, CancellationToken cancellationToken, ulong firstSeq = 1)
    {
        var seq = firstSeq - 1;
        if (ClosedLoop)
        {
            ArgumentNullException.ThrowIfNull(_inFlight, "a closed loop needs an in-flight cap");
            while (true)
            {
                await _inFlight.WaitAsync(cancellationToken);
                cancellationToken.ThrowIfCancellationRequested();
                await send(++seq, _time.GetTimestamp());
            }
        }

        var next = _time.GetTimestamp() + ToTicks(_firstOffset);
        while (true)
        {
            var wait = _time.GetElapsedTime(_time.GetTimestamp(), next);
            if (wait > TimeSpan.Zero)
            {
                if (Clock is { } clock)
                {
                    await clock.WaitUntilAsync(next, cancellationToken);
                }
                else
                {
                    await Task.Delay(wait, _time, cancellationToken);
                }
            }

            // A timer may end a wait a little before its time (the send clock by up to half a millisecond; Task.Delay
            // counts whole milliseconds): such a message is measured from when its wait ended, never from a time still to
            // come. Taken before the in-flight wait, whose time is the stall the correction is for.
            var scheduled = Math.Min(next, _time.GetTimestamp());
            cancellationToken.ThrowIfCancellationRequested();
            if (_inFlight is not null)
            {
                await _inFlight.WaitAsync(cancellationToken);
            }

            await send(++seq, scheduled);
            next += ToTicks(_nextGap());
        }
    }

    private long ToTicks(TimeSpan span) => (long)(span.TotalSeconds * _time.TimestampFrequency);
}
