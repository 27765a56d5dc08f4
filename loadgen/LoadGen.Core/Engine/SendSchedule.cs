using LoadGen.Core.Scenarios;

namespace LoadGen.Core.Engine;

/// <summary>
/// Gaps between one stream's sends: fixed, or exponential (Poisson arrivals) with the same mean. One
/// schedule serves every stream of a round, from their own threads: its random source is locked.
/// </summary>
internal sealed class SendSchedule
{
    private readonly ScheduleKind _kind;
    private readonly TimeSpan _interval;
    private readonly Random _random;
    private readonly Lock _lock = new();

    public SendSchedule(ScheduleKind kind, TimeSpan interval, Random random)
    {
        _kind = kind;
        _interval = interval;
        _random = random;
        Gaps = NextGap;
    }

    /// <summary><see cref="NextGap"/> as one delegate for every stream (a method group makes a new one each time it is passed).</summary>
    public Func<TimeSpan> Gaps { get; }

    /// <summary>
    /// A stream's phase: uniform within one interval, so thousands of streams opened together do not
    /// send in lockstep.
    /// </summary>
    public TimeSpan FirstOffset() => _kind == ScheduleKind.Closed ? TimeSpan.Zero : _interval * Next();

    /// <summary>No schedule: the next message goes when a reply frees a slot.</summary>
    public bool IsClosed => _kind == ScheduleKind.Closed;

    public TimeSpan NextGap() => _kind switch
    {
        ScheduleKind.Poisson => _interval * -Math.Log(1.0 - Next()),
        ScheduleKind.Closed => TimeSpan.Zero,
        _ => _interval,
    };

    private double Next()
    {
        lock (_lock)
        {
            return _random.NextDouble();
        }
    }
}
