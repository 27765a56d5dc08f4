namespace LoadGen.Core.Scenarios;

/// <summary>A whole load test: the same workload run against each target (topology) in turn.</summary>
public sealed record Scenario
{
    public string Name { get; init; } = "scenario";

    public IReadOnlyList<TargetOptions> Targets { get; init; } = [];

    public PopulationProfile Profile { get; init; } = new();

    public MessagePlan Messages { get; init; } = new();

    public ConnectionOptions Connections { get; init; } = new();

    /// <summary>How often interval histograms are cut, the run folder flushed and progress shown. Default 5 s.</summary>
    public TimeSpan Interval { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>How long streams get to close gracefully at the end before they are cancelled. Default 10 s.</summary>
    public TimeSpan CloseTimeout { get; init; } = TimeSpan.FromSeconds(10);

    public IReadOnlyList<Threshold> Thresholds { get; init; } = [];

    /// <summary>Where the scenario came from (file path, or "built-in:NAME").</summary>
    public string Source { get; init; } = "code";
}

/// <summary>A named endpoint: one topology of the comparison.</summary>
public sealed record TargetOptions
{
    public required string Name { get; init; }

    /// <summary>http://host:port for h2c, https://host:port for TLS.</summary>
    public required Uri Address { get; init; }
}

/// <summary>Per-stream send plan.</summary>
public sealed record MessagePlan
{
    /// <summary>fixed: one message every <see cref="Interval"/>; poisson: exponential gaps with that mean.</summary>
    public ScheduleKind Schedule { get; init; } = ScheduleKind.Fixed;

    /// <summary>Mean time between two messages of one stream. Default 1 s.</summary>
    public TimeSpan Interval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Payload bytes per message. Default 64.</summary>
    public int PayloadBytes { get; init; } = 64;

    /// <summary>
    /// Most messages a stream may have unanswered; the sender waits (and the wait counts against
    /// latency from the scheduled time). 0 = no cap: a purely open loop. Default 0.
    /// </summary>
    public int MaxInFlight { get; init; }

    /// <summary>Directives attached to every message, for the lab backend (delay, fan-out…).</summary>
    public LabDirectives? Directives { get; init; }
}

public enum ScheduleKind
{
    Fixed,
    Poisson,
}

/// <summary>Directives for the lab backend, see protos/lab.proto.</summary>
public sealed record LabDirectives
{
    public TimeSpan Delay { get; init; }

    public int ReplyCount { get; init; }

    public int ReplySize { get; init; }
}

/// <summary>The client's connection pool for one target.</summary>
public sealed record ConnectionOptions
{
    /// <summary>HTTP/2 connections to open; 0 = enough for the profile's peak at <see cref="MaxStreamsPerConnection"/>.</summary>
    public int Count { get; init; }

    /// <summary>
    /// Streams per connection the pool places before it uses another. Default 100 (Kestrel's and
    /// Istio's edge default; under NGINX's 128), so servers never make streams queue.
    /// </summary>
    public int MaxStreamsPerConnection { get; init; } = 100;

    /// <summary>A stream that has no response headers this long after it asked for a slot ends as open-stalled. Default 10 s.</summary>
    public TimeSpan OpenTimeout { get; init; } = TimeSpan.FromSeconds(10);
}

/// <summary>A pass/fail rule evaluated at the end of the run (e.g. "p99 &lt; 50ms").</summary>
public sealed record Threshold(string Expression, ThresholdMetric Metric, bool Uncorrected, double LimitMs)
{
    public string Source { get; init; } = "";
}

public enum ThresholdMetric
{
    P50,
    P90,
    P99,
    P999,
    Max,
}
