using HdrHistogram;
using LoadGen.Results;

namespace LoadGen.Core.Metrics;

/// <summary>
/// A latency metric recorded from many streams at once: several lock-free HdrHistogram recorders,
/// one picked by the recording thread's processor, all swapped together on the interval tick.
/// </summary>
public sealed class ShardedRecorder
{
    private readonly Recorder[] _shards;

    /// <summary>Each shard's last interval histogram, handed back to it at the next swap: no new 188 KB arrays on the large-object heap per interval.</summary>
    private readonly HistogramBase?[] _recycle;

    public ShardedRecorder(string tag)
    {
        Tag = tag;
        _shards = new Recorder[Math.Max(1, Environment.ProcessorCount)];
        _recycle = new HistogramBase?[_shards.Length];
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
        for (var i = 0; i < _shards.Length; i++)
        {
            var h = _recycle[i] is { } old ? _shards[i].GetIntervalHistogram(old) : _shards[i].GetIntervalHistogram();
            sum.Add(h);
            _recycle[i] = h;
        }

        sum.Tag = Tag;
        return sum;
    }
}
