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
}
