using LoadGen.Core.Scenarios;

namespace LoadGen.Core.Engine;

/// <summary>Gaps between one stream's sends: fixed, or exponential (Poisson arrivals) with the same mean.</summary>
public sealed class SendSchedule
{
    private readonly ScheduleKind _kind;
    private readonly TimeSpan _interval;
    private readonly Random _random;

    public SendSchedule(ScheduleKind kind, TimeSpan interval, Random random)
    {
        _kind = kind;
        _interval = interval;
        _random = random;
    }

    /// <summary>
    /// A stream's phase: uniform within one interval, so thousands of streams opened together do not
    /// send in lockstep.
    /// </summary>
    public TimeSpan FirstOffset() => _interval * _random.NextDouble();

    public TimeSpan NextGap() => _kind switch
    {
        ScheduleKind.Poisson => _interval * -Math.Log(1.0 - _random.NextDouble()),
        _ => _interval,
    };
}
