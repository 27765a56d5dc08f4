namespace LoadGen.Core.Metrics;

/// <summary>
/// Samples what says whether LoadGen itself kept up, besides send lag: the thread pool's queue (work
/// waiting for a thread) every 250 ms, and the share of wall time the GC paused the process.
/// </summary>
public sealed class GeneratorSampler : IDisposable
{
    private readonly Timer _timer;
    private readonly TimeSpan _pauseAtStart = GC.GetTotalPauseDuration();
    private readonly long _start = System.Diagnostics.Stopwatch.GetTimestamp();
    private long _queueMax;

    public GeneratorSampler()
    {
        _timer = new Timer(_ => Sample(), null, TimeSpan.Zero, TimeSpan.FromMilliseconds(250));
    }

    /// <summary>The longest thread-pool queue seen so far.</summary>
    public long QueueMax => Interlocked.Read(ref _queueMax);

    /// <summary>The share of wall time since the start that the GC paused the process (0–1).</summary>
    public double GcPauseShare
    {
        get
        {
            var wall = System.Diagnostics.Stopwatch.GetElapsedTime(_start).TotalSeconds;
            return wall <= 0 ? 0 : Math.Round((GC.GetTotalPauseDuration() - _pauseAtStart).TotalSeconds / wall, 4);
        }
    }

    private void Sample()
    {
        var pending = ThreadPool.PendingWorkItemCount;
        long seen;
        while (pending > (seen = Interlocked.Read(ref _queueMax)) && Interlocked.CompareExchange(ref _queueMax, pending, seen) != seen)
        {
        }
    }

    public void Dispose() => _timer.Dispose();
}
