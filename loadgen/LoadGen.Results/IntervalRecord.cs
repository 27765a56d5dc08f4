namespace LoadGen.Results;

/// <summary>
/// One line of intervals.ndjson: what happened to one topology during one interval (counts are
/// for the interval, not cumulative), so rates and populations can be plotted over time and a
/// killed run keeps its history up to the last interval.
/// </summary>
public sealed record IntervalRecord
{
    public required string Topology { get; init; }

    /// <summary>The interleaved round this interval belongs to; null when the run has one round.</summary>
    public int? Round { get; init; }

    public required DateTimeOffset Start { get; init; }

    public required DateTimeOffset End { get; init; }

    public required string Phase { get; init; }

    public int TargetStreams { get; init; }

    /// <summary>Streams open at the end of the interval.</summary>
    public long Active { get; init; }

    /// <summary>The most streams open at once during the interval (null in folders written before it was recorded: <see cref="Active"/> stands in).</summary>
    public long? PeakActive { get; init; }

    /// <summary>How well the population was held during the interval's hold-phase time; null when none of it was a hold.</summary>
    public HoldRecord? Hold { get; init; }

    /// <summary>Streams that found every pool slot taken and waited for one.</summary>
    public long WaitedForSlot { get; init; }

    /// <summary>TCP connections opened during the interval.</summary>
    public long ConnectionsOpened { get; init; }

    /// <summary>The pool's plan: connections, and streams each may carry (the same in every interval of a round).</summary>
    public int ConnectionsPlanned { get; init; }

    /// <summary>The pool's plan: streams per connection.</summary>
    public int StreamsPerConnection { get; init; }

    /// <summary>Streams re-established after an unplanned end.</summary>
    public long Reconnects { get; init; }

    /// <summary>On a round's last interval: unplanned losses still waiting for their re-open when the round ended.</summary>
    public long LostForGood { get; init; }

    /// <summary>Seconds lived (since response headers) by the streams that ended in the interval: the exposure behind cause rates.</summary>
    public double StreamSeconds { get; init; }

    /// <summary>Streams started (first opens and re-opens): what the opens-per-second cap limits.</summary>
    public long Attempted { get; init; }

    public long Opened { get; init; }

    public long Ended { get; init; }

    public IReadOnlyDictionary<string, long> EndsByCause { get; init; } = new Dictionary<string, long>();

    public long Sent { get; init; }

    public long Received { get; init; }

    /// <summary>Messages sent that were never answered, counted when their stream ended in this interval, by the stream's end cause.</summary>
    public IReadOnlyDictionary<string, long>? UnansweredByCause { get; init; }

    public double? P50Ms { get; init; }

    public double? P99Ms { get; init; }

    /// <summary>LoadGen's own CPU during the interval as a share of the machine's cores (0–1): near 1, the generator, not the path, sets the pace.</summary>
    public double? LoadGenCpuShare { get; init; }

    /// <summary>
    /// The whole machine's busy share of all its cores during the interval (0–1, Linux /proc/stat; null elsewhere):
    /// less <see cref="LoadGenCpuShare"/>, what every other process took.
    /// </summary>
    public double? MachineCpuShare { get; init; }

    /// <summary>Share of the interval's wall time the GC paused LoadGen (0–1).</summary>
    public double? LoadGenGcPauseShare { get; init; }

    /// <summary>The client's send lag (how late messages left against their schedule), p99 over the interval, ms.</summary>
    public double? SendLagP99Ms { get; init; }

    /// <summary>LoadGen's own resident memory at the end of the interval (MB): a soak shows whether the tool itself grows.</summary>
    public double? LoadGenRssMb { get; init; }

    /// <summary>LoadGen's managed memory alive at its last full garbage collection (MB): what a leak would grow, without the GC's slack; null before the first.</summary>
    public double? LoadGenHeapMb { get; init; }
}

/// <summary>
/// The population during an interval's hold-phase time, sampled every engine tick (20 ms): stream-seconds
/// wanted and held (open), the lowest open/wanted share seen, the seconds it was short of wanted, and of
/// those the seconds while lost streams waited out their reconnect backoff.
/// </summary>
public sealed record HoldRecord(double Seconds, double WantedStreamSeconds, double HeldStreamSeconds, double MinShare, double ShortWhileBackoffS)
{
    /// <summary>Seconds with fewer streams open than wanted (null in folders written before it was recorded).</summary>
    public double? ShortS { get; init; }
}
