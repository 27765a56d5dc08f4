using LoadGen.Core.Connections;
using LoadGen.Core.Inputs;
using LoadGen.Core.Metrics;
using LoadGen.Core.Workloads;
using LoadGen.Results;
using Microsoft.Extensions.Logging;

namespace LoadGen.Core.Engine;

/// <summary>Settings shared by every stream of one topology run.</summary>
internal sealed record StreamSettings(
    TopologyMetrics Metrics,
    ConnectionPool Pool,
    OutcomeWriter Outcomes,
    TimeProvider Time,
    SendSchedule Schedule,
    StreamWorkload Workload,
    TimeSpan? ClientQuietAfter,
    int MaxInFlight,
    TimeSpan OpenTimeout,
    MetadataSource? Headers,
    ILogger Log)
{
    /// <summary>Streams that began to end, for the population's sweep.</summary>
    public EndCounter Ends { get; } = new();
}
