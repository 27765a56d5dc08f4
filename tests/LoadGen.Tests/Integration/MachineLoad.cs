namespace LoadGen.Tests.Integration;

/// <summary>
/// Whether the machine was free enough for a test to hold LoadGen to an exact answer: tests always assert that
/// LoadGen is never wrong, and assert closeness only when the run was clean (bench/ measures power).
/// </summary>
internal static class MachineLoad
{
    /// <summary>The 1-minute load average (Linux), or 0 where it cannot be read.</summary>
    public static double Average() =>
        File.Exists("/proc/loadavg") && double.TryParse(File.ReadAllText("/proc/loadavg").Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture, out var l) ? l : 0;

    /// <summary>No run's generator was saturated and the machine is not over-committed (load average under its cores).</summary>
    public static bool Clean(params LoadGen.Results.RunSummary[] runs) =>
        runs.All(r => r.Generator?.Saturated == false) && Average() < Environment.ProcessorCount;
}
