using HdrHistogram;

namespace LoadGen.Results;

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
