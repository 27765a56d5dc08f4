namespace LoadGen.Results;

/// <summary>
/// One line of events.ndjson: a fault on cue as it fired and as it finished, so reports can mark it
/// on their time axes. <see cref="State"/> is "fired", then "done" or "failed".
/// </summary>
public sealed record FaultEvent
{
    public required DateTimeOffset Time { get; init; }

    public required string Topology { get; init; }

    public int? Round { get; init; }

    /// <summary>The cue: seconds after the target's (round's) start.</summary>
    public required double AtS { get; init; }

    public required string Action { get; init; }

    public required string Description { get; init; }

    public required string State { get; init; }

    /// <summary>
    /// On the "done" or "failed" event: the span whose stream ends are the fault's doing (from firing
    /// to its end, plus its aftermath), left out of timeout detection.
    /// </summary>
    public DateTimeOffset? AffectedFrom { get; init; }

    /// <summary>See <see cref="AffectedFrom"/>.</summary>
    public DateTimeOffset? AffectedUntil { get; init; }

    /// <summary>What the lab did ("reloaded NGINX, 1 worker kept 180 streams") or why it failed.</summary>
    public string? Detail { get; init; }
}
