using LoadGen.Results;

namespace LoadGen.Core.Engine;

/// <summary>One progress line: what the run looks like at an interval tick.</summary>
public sealed record ProgressSnapshot(
    string Topology,
    string Phase,
    TimeSpan Elapsed,
    TimeSpan Planned,
    int TargetStreams,
    long ActiveStreams,
    double? IntervalP50Ms,
    double? IntervalP99Ms)
{
    /// <summary>The interval just cut, as written to intervals.ndjson (its opens, messages and ends by cause).</summary>
    public IntervalRecord? Interval { get; init; }

    /// <summary>Stream ends by cause since the topology started.</summary>
    public IReadOnlyDictionary<string, long> TotalEnds { get; init; } = new Dictionary<string, long>();

    /// <summary>A count-only workload: the interval's p50/p99 are of the time between two replies on a stream, not round trips.</summary>
    public bool ReplyGaps { get; init; }
}
