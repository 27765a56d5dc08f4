using Microsoft.Extensions.Logging;

namespace LoadGen.Core.Connections;

/// <summary>Connection events for loadgen.log (stable event ids 1020–1029).</summary>
internal static partial class ConnectionLog
{
    [LoggerMessage(1020, LogLevel.Debug, "{Topology}: TCP connection opened ({Total} so far)")]
    public static partial void ConnectionOpened(ILogger logger, string topology, long total);
}
