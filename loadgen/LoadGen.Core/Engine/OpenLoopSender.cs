namespace LoadGen.Core.Engine;

/// <summary>
/// Sends on a schedule that does not wait for the system under test: message k is due at
/// first + sum of gaps, whatever happened before. When a send is late (a stall, a full in-flight
/// window, a slow write), the overdue messages go out at once, each carrying its original scheduled
/// time, so latency measured from that time includes the stall (coordinated-omission correction).
/// </summary>
public sealed class OpenLoopSender
{
    private readonly TimeProvider _time;
    private readonly Func<TimeSpan> _nextGap;
    private readonly TimeSpan _firstOffset;
    private readonly SemaphoreSlim? _inFlight;

    /// <param name="inFlight">When given, a slot is taken before each send and released by the reply.</param>
    public OpenLoopSender(TimeProvider time, TimeSpan firstOffset, Func<TimeSpan> nextGap, SemaphoreSlim? inFlight)
    {
        _time = time;
        _nextGap = nextGap;
        _firstOffset = firstOffset;
        _inFlight = inFlight;
    }

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
                await Task.Delay(wait, _time, cancellationToken);
            }

            cancellationToken.ThrowIfCancellationRequested();
            if (_inFlight is not null)
            {
                await _inFlight.WaitAsync(cancellationToken);
            }

            await send(++seq, next);
            next += ToTicks(_nextGap());
        }
    }

    private long ToTicks(TimeSpan span) => (long)(span.TotalSeconds * _time.TimestampFrequency);
}
