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
    /// Sends until <paramref name="cancellationToken"/> fires (then throws <see cref="OperationCanceledException"/>)
    /// or a send throws. <paramref name="send"/> gets the sequence number (from 1) and the scheduled timestamp.
    /// </summary>
    /// <param name="firstSeq">Sequence number of the first message this sender sends.</param>
    public async Task RunAsync(Func<ulong, long, ValueTask> send, CancellationToken cancellationToken, ulong firstSeq = 1)
    {
        var next = _time.GetTimestamp() + ToTicks(_firstOffset);
        var seq = firstSeq - 1;
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
