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

    /// <summary>
    /// A deadline for work that only waits on the machine (a publish, a child process starting): what it takes on a
    /// quiet machine, stretched by how over-committed the machine is now (load average per core, at least 1), at most
    /// <paramref name="most"/> — a busy runner slows it down, it does not make it wrong.
    /// </summary>
    public static TimeSpan Deadline(TimeSpan quiet, TimeSpan most) =>
        TimeSpan.FromTicks(Math.Min(most.Ticks, (long)(quiet.Ticks * Math.Max(1, Average() / Environment.ProcessorCount))));
}
