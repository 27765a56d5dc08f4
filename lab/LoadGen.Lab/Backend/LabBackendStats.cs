namespace LoadGen.Lab.Backend;

/// <summary>What the backend saw, for tests and the lab's own console line.</summary>
public sealed class LabBackendStats
{
    private long _activeStreams;
    private long _totalStreams;
    private long _messagesReceived;
    private long _messagesSent;
    private long _pausedUntilTicks;

    public long ActiveStreams => Interlocked.Read(ref _activeStreams);

    public long TotalStreams => Interlocked.Read(ref _totalStreams);

    public long MessagesReceived => Interlocked.Read(ref _messagesReceived);

    public long MessagesSent => Interlocked.Read(ref _messagesSent);

    /// <summary>
    /// Stalls the whole backend: no stream replies until <paramref name="duration"/> has passed
    /// (frames are still read). Imitates a GC pause or a starved CPU on the server, on cue.
    /// </summary>
    public void Pause(TimeSpan duration) =>
        Interlocked.Exchange(ref _pausedUntilTicks, DateTime.UtcNow.Ticks + duration.Ticks);

    internal TimeSpan PauseLeft()
    {
        var left = Interlocked.Read(ref _pausedUntilTicks) - DateTime.UtcNow.Ticks;
        return left > 0 ? TimeSpan.FromTicks(left) : TimeSpan.Zero;
    }

    internal void StreamStarted()
    {
        Interlocked.Increment(ref _activeStreams);
        Interlocked.Increment(ref _totalStreams);
    }

    internal void StreamEnded() => Interlocked.Decrement(ref _activeStreams);

    internal void MessageReceived() => Interlocked.Increment(ref _messagesReceived);

    internal void MessageSent() => Interlocked.Increment(ref _messagesSent);
}
