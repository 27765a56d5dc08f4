namespace LoadGen.Core.Scenarios.Lab;

/// <summary>Per-stream behaviour asked of the lab backend, see protos/lab.proto.</summary>
public sealed record StreamDirectives
{
    /// <summary>The server stops writing (it keeps reading).</summary>
    public bool StopReplying { get; init; }

    /// <summary>The server replies to this many messages (the first included), then stops writing (null: no such limit).</summary>
    public int? StopReplyingAfter { get; init; }

    /// <summary>The server pushes a frame this often (zero: no pushes)…</summary>
    public TimeSpan PushEvery { get; init; }

    /// <summary>…this many times (0: until the stream ends).</summary>
    public int PushCount { get; init; }

    /// <summary>End with <see cref="EndStatus"/> after this many more messages.</summary>
    public int? EndAfterMessages { get; init; }

    /// <summary>gRPC status code for <see cref="EndAfterMessages"/>.</summary>
    public int EndStatus { get; init; }

    /// <summary>The server resets the stream on the first message.</summary>
    public bool Abort { get; init; }

    public ConnectionEndKind CloseConnection { get; init; }

    public CutoffDirective? Cutoff { get; init; }
}

/// <summary>The backend's own cut-off: end the stream when a side has been quiet (or it has lived) for <paramref name="After"/>.</summary>
public sealed record CutoffDirective(CutoffWhen When, TimeSpan After, bool Abort, int Status);

public enum CutoffWhen
{
    ClientQuiet,
    ServerQuiet,
    BothQuiet,
    Age,
}

public enum ConnectionEndKind
{
    None,
    Goaway,
    Abort,
}

/// <summary>Directives for the lab backend, see protos/lab.proto.</summary>
public sealed record LabDirectives
{
    public TimeSpan Delay { get; init; }

    /// <summary>
    /// A known ramp (drift calibration, docs/history.md): each message's delay grows by this much per minute since the
    /// workload started, on top of <see cref="Delay"/>. Zero: a steady delay.
    /// </summary>
    public TimeSpan DelayRisePerMinute { get; init; }

    public int ReplyCount { get; init; }

    public int ReplySize { get; init; }
}
