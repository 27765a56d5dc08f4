using Microsoft.Extensions.Logging;

namespace LoadGen.Core.Engine;

/// <summary>
/// The engine's log messages (source-generated, stable event ids 1000–1099, each named after its method), written to
/// loadgen.log in the run folder — never the console's job. Per-stream events are Debug (an unplanned end, with the
/// exception it was decided from) or Trace (every open): a run of thousands of streams logs them only when asked.
/// </summary>
internal static partial class EngineLog
{
    [LoggerMessage(1000, LogLevel.Information, "run {RunId}: scenario {Scenario}, {Targets} target(s), {Rounds} round(s), peak {Peak} streams")]
    public static partial void RunStarted(ILogger logger, string runId, string scenario, int targets, int rounds, int peak);

    [LoggerMessage(1001, LogLevel.Information, "run {RunId} ended: {Completion}, verdict {Verdict}")]
    public static partial void RunEnded(ILogger logger, string runId, string completion, string verdict);

    [LoggerMessage(1010, LogLevel.Information, "{Topology}: round {Round} started ({Connections} connection(s) planned, {PerConnection} streams each)")]
    public static partial void RoundStarted(ILogger logger, string topology, int round, int connections, int perConnection);

    [LoggerMessage(1011, LogLevel.Information, "{Topology}: round {Round} ended after {Seconds:0.###} s; {LostForGood} loss(es) still waiting to re-open")]
    public static partial void RoundEnded(ILogger logger, string topology, int round, double seconds, long lostForGood);

    [LoggerMessage(1030, LogLevel.Debug, "{Topology}: stream {StreamId} ended unplanned as {Cause} after {LifetimeS} s")]
    public static partial void StreamLost(ILogger logger, string topology, long streamId, string cause, double? lifetimeS, Exception? exception);

    [LoggerMessage(1032, LogLevel.Trace, "{Topology}: stream {StreamId} opened in {OpenMs:0.###} ms on TCP connection {Connection} (attempt {Attempt})")]
    public static partial void StreamOpened(ILogger logger, string topology, long streamId, double openMs, long connection, int attempt);

    [LoggerMessage(1031, LogLevel.Debug, "{Topology}: stream {StreamId} re-opening in {DelayMs:0} ms (attempt {Attempt})")]
    public static partial void ReopenScheduled(ILogger logger, string topology, long streamId, double delayMs, int attempt);

    [LoggerMessage(1040, LogLevel.Information, "{Topology}: fault {Action} at {AtS} s {State}: {Detail}")]
    public static partial void Fault(ILogger logger, string topology, string action, double atS, string state, string? detail);

    [LoggerMessage(1050, LogLevel.Warning, "aborting: {Reason}")]
    public static partial void Aborting(ILogger logger, string reason);
}
