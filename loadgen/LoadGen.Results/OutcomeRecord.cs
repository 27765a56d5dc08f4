namespace LoadGen.Results;

/// <summary>One ended stream: a line of outcomes.ndjson.</summary>
public sealed record OutcomeRecord
{
    public required DateTimeOffset Time { get; init; }

    public required string Topology { get; init; }

    public required long StreamId { get; init; }

    public required string Cause { get; init; }

    public string? GrpcStatus { get; init; }

    public long? Http2Code { get; init; }

    public string? Exception { get; init; }

    public string? Detail { get; init; }

    /// <summary>Seconds from asking for the stream (its first open attempt's start) to its end.</summary>
    public double AgeS { get; init; }

    /// <summary>Seconds from the stream's response headers (opened) to its end: what survival and timeout detection use; null when it never opened.</summary>
    public double? LifetimeS { get; init; }

    /// <summary>Seconds since the client's last message when the stream ended (null: it sent none).</summary>
    public double? SinceLastSendS { get; init; }

    /// <summary>Seconds since the server's last message when the stream ended (null: none came).</summary>
    public double? SinceLastReceiveS { get; init; }

    /// <summary>
    /// The longest the client was quiet and the stream lived on: the largest gap between two of its sends
    /// (0 with one send; null when it never opened, and in files written before it was recorded).
    /// </summary>
    public double? LongestSendGapS { get; init; }

    /// <summary>The longest the server was quiet and the stream lived on: the largest gap between two replies, the first counted from the response headers.</summary>
    public double? LongestReceiveGapS { get; init; }

    /// <summary>
    /// The TCP connection the stream ran on, numbered 1, 2 … in the order the topology opened them: its pool
    /// slot's newest connection when the stream opened (exact unless the server allowed fewer streams per
    /// connection than planned and the slot opened several). Null when it never opened.
    /// </summary>
    public long? TcpConnection { get; init; }

    /// <summary>Seconds from that TCP connection's connect to the stream's end: the connection's age when it carried this end.</summary>
    public double? TcpConnectionAgeS { get; init; }

    /// <summary>
    /// Seconds from the response headers to the stream's first scheduled send: its random phase within one interval.
    /// A server counting messages ends a stream a fixed count of intervals after it; a timer ends it regardless.
    /// Null when the stream never opened, in a closed loop, and in files written before it was recorded.
    /// </summary>
    public double? PhaseS { get; init; }

    public long Sent { get; init; }

    public long Received { get; init; }

    /// <summary>Messages sent that never got a reply.</summary>
    public long Unanswered { get; init; }

    /// <summary>
    /// The connection-pool slot (channel index) the stream ran on; -1 before it had one. A slot is not a
    /// TCP connection: one slot opens more connections when a server allows fewer streams per connection
    /// than planned (summary.json's connections.opened counts those).
    /// </summary>
    public int PoolSlot { get; init; } = -1;

    /// <summary>Read-only alias: outcomes.ndjson files written before vocabulary 5's rename called the pool slot "connection".</summary>
    [System.Text.Json.Serialization.JsonPropertyName("connection")]
    [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
    public int? LegacyConnection
    {
        get => null;
        init
        {
            if (value is { } slot)
            {
                PoolSlot = slot;
            }
        }
    }
}
