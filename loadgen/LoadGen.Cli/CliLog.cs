using Microsoft.Extensions.Logging;

namespace LoadGen.Cli;

/// <summary>The CLI's events for loadgen.log (stable event ids 3000–3099).</summary>
internal static partial class CliLog
{
    [LoggerMessage(3000, LogLevel.Critical, "LoadGen failed: {What}")]
    public static partial void Failed(ILogger logger, Exception exception, string what);
}
