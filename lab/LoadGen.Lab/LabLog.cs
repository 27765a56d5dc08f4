using Microsoft.Extensions.Logging;

namespace LoadGen.Lab;

/// <summary>The lab's events for loadgen.log (stable event ids 2000–2099).</summary>
internal static partial class LabLog
{
    [LoggerMessage(2000, LogLevel.Information, "{Part} up: {What} (pid {Pid}, folder {Folder})")]
    public static partial void ProcessStarted(ILogger logger, string part, string what, int pid, string folder);

    [LoggerMessage(2001, LogLevel.Information, "{Part} up: {What}")]
    public static partial void EmbeddedStarted(ILogger logger, string part, string what);

    [LoggerMessage(2002, LogLevel.Warning, "{Why}")]
    public static partial void Fallback(ILogger logger, string why);

    [LoggerMessage(2003, LogLevel.Information, "lab stopping: {Pids}")]
    public static partial void Stopping(ILogger logger, string pids);
}
