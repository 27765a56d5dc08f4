using System.Text.Json;

namespace LoadGen.Core.Results;

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

    /// <summary>Streams started (first opens and re-opens): what the opens-per-second cap limits.</summary>
    public long Attempted { get; init; }

    public long Opened { get; init; }

    public long Ended { get; init; }

    public IReadOnlyDictionary<string, long> EndsByCause { get; init; } = new Dictionary<string, long>();

    public long Sent { get; init; }

    public long Received { get; init; }

    public double? P50Ms { get; init; }

    public double? P99Ms { get; init; }

    /// <summary>LoadGen's own resident memory at the end of the interval (MB): a soak shows whether the tool itself grows.</summary>
    public double? LoadGenRssMb { get; init; }

    /// <summary>LoadGen's managed memory alive at its last full garbage collection (MB): what a leak would grow, without the GC's slack; null before the first.</summary>
    public double? LoadGenHeapMb { get; init; }
}

/// <summary>Appends <see cref="IntervalRecord"/> lines, flushed one by one.</summary>
public sealed class IntervalWriter(string path) : IDisposable
{
    private static readonly JsonSerializerOptions Options = new(RunSummary.JsonOptions) { WriteIndented = false };

    private readonly StreamWriter _writer = new(path, append: true) { NewLine = "\n" };

    public void Write(IntervalRecord record)
    {
        _writer.WriteLine(JsonSerializer.Serialize(record, Options));
        _writer.Flush();
    }

    public void Dispose() => _writer.Dispose();

    public static IReadOnlyList<IntervalRecord> ReadFile(string path) =>
        File.ReadLines(path)
            .Where(l => l.Length > 0)
            .Select(l => JsonSerializer.Deserialize<IntervalRecord>(l, Options)!)
            .ToList();
}
