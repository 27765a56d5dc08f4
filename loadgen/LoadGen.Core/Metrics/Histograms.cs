using HdrHistogram;

namespace LoadGen.Core.Metrics;

/// <summary>One histogram shape for every latency LoadGen records: microseconds, 1 µs to 1 h, 3 digits.</summary>
public static class Histograms
{
    public const long Lowest = 1;
    public const long Highest = 3_600_000_000;
    public const int Digits = 3;

    public static HistogramBase Create() => new LongHistogram(Lowest, Highest, Digits);

    public static Recorder CreateRecorder() =>
        (Recorder)HistogramFactory.With64BitBucketSize()
            .WithValuesFrom(Lowest)
            .WithValuesUpTo(Highest)
            .WithPrecisionOf(Digits)
            .WithThreadSafeWrites()
            .WithThreadSafeReads()
            .Create();

    /// <summary>Value at a percentile in milliseconds, or null for an empty histogram (the library throws there).</summary>
    public static double? PercentileMs(HistogramBase h, double percentile) =>
        h.TotalCount == 0 ? null : h.GetValueAtPercentile(percentile) / 1000.0;

    public static double? MaxMs(HistogramBase h) => h.TotalCount == 0 ? null : h.GetMaxValue() / 1000.0;

    /// <summary>Clamps a measured value into the trackable range so a wild value never throws on the hot path.</summary>
    public static long Clamp(long micros) => Math.Clamp(micros, Lowest, Highest);
}

/// <summary>
/// A latency metric recorded from many streams at once: several lock-free HdrHistogram recorders,
/// one picked by the recording thread's processor, all swapped together on the interval tick.
/// </summary>
public sealed class ShardedRecorder
{
    private readonly Recorder[] _shards;

    public ShardedRecorder(string tag)
    {
        Tag = tag;
        _shards = new Recorder[Math.Max(1, Environment.ProcessorCount)];
        for (var i = 0; i < _shards.Length; i++)
        {
            _shards[i] = Histograms.CreateRecorder();
        }
    }

    /// <summary>The histogram tag in latency.hlog, e.g. "backend-h2c.rtt".</summary>
    public string Tag { get; }

    public void RecordMicros(long micros) =>
        _shards[Thread.GetCurrentProcessorId() % _shards.Length].RecordValue(Histograms.Clamp(micros));

    /// <summary>Everything recorded since the last call, as one histogram.</summary>
    public HistogramBase TakeInterval()
    {
        var sum = Histograms.Create();
        foreach (var shard in _shards)
        {
            sum.Add(shard.GetIntervalHistogram());
        }

        sum.Tag = Tag;
        return sum;
    }
}
