using System.Globalization;

namespace LoadGen.Results.Analysis;

/// <summary>
/// Whether LoadGen itself kept up: its send lag (how late a message left against its schedule) is the
/// generator's own lateness, which CO-corrected latency includes. When it is large, latency differences
/// of that size may be LoadGen's, not the path's.
/// </summary>
public static class GeneratorHealth
{
    /// <summary>Send lag p99 at or above this (ms) marks the generator as saturated (a normal 2-core demo shows 5–11 ms).</summary>
    public const double SaturatedSendLagMs = 20;

    /// <summary>The generator's lateness on a topology (its send lag p99, ms) when saturated; 0 when it kept up.</summary>
    public static double Lateness(TopologySummary topology)
    {
        ArgumentNullException.ThrowIfNull(topology);
        return topology.SendLagMs.P99 is { } lag && lag >= SaturatedSendLagMs ? lag : 0;
    }

    /// <summary>One warning per topology whose generator was saturated, for summary.json's warnings and every report's first screen.</summary>
    public static IEnumerable<string> Warnings(IEnumerable<TopologySummary> topologies)
    {
        ArgumentNullException.ThrowIfNull(topologies);
        return topologies.Where(t => Lateness(t) > 0).Select(t => string.Create(CultureInfo.InvariantCulture,
            $"LoadGen was saturated on {t.Name}: send lag p99 {t.SendLagMs.P99:0.#} ms (messages left that much after their scheduled time: CPU, GC or thread-pool starvation on the generator); " +
            $"latency differences smaller than that are LoadGen's, not the path's — run fewer streams per process or more shards"));
    }

    /// <summary>CPU above this share of all the machine's cores marks the generator as saturated.</summary>
    public const double SaturatedCpuShare = 0.9;

    /// <summary>GC pauses above this share of wall time mark the generator as saturated.</summary>
    public const double SaturatedGcPauseShare = 0.1;

    /// <summary>
    /// The generator's health for summary.json: send lag over all topologies; CPU and GC pause shares over the measured
    /// intervals (time-weighted, from intervals.ndjson, so a rebuild from the folder judges saturation exactly as the
    /// run did); the thread-pool queue when the process measured it (known to the live process alone).
    /// </summary>
    public static GeneratorStats Stats(IReadOnlyList<TopologySummary> topologies, IReadOnlyList<IntervalRecord> intervals, ProcessStats? process)
    {
        ArgumentNullException.ThrowIfNull(topologies);
        ArgumentNullException.ThrowIfNull(intervals);
        var lag99 = topologies.Select(t => t.SendLagMs.P99).Where(v => v is not null).Max();
        var lag999 = topologies.Select(t => t.SendLagMs.P999).Where(v => v is not null).Max();
        var cpu = WeightedMean(intervals, i => i.LoadGenCpuShare, 3);
        var gc = WeightedMean(intervals, i => i.LoadGenGcPauseShare, 4);
        var why = new List<string>();
        if (lag99 >= SaturatedSendLagMs)
        {
            why.Add(string.Create(CultureInfo.InvariantCulture, $"send lag p99 {lag99:0.#} ms ≥ {SaturatedSendLagMs:0} ms"));
        }

        if (cpu >= SaturatedCpuShare)
        {
            why.Add(string.Create(CultureInfo.InvariantCulture, $"CPU {cpu * 100:0}% of all the machine's cores"));
        }

        if (gc >= SaturatedGcPauseShare)
        {
            why.Add(string.Create(CultureInfo.InvariantCulture, $"GC pauses {gc * 100:0.0}% of the time"));
        }

        return new GeneratorStats(cpu, lag99, lag999, gc, process?.ThreadPoolQueueMax, why.Count > 0, why.Count > 0 ? string.Join("; ", why) : null)
        {
            MachineCpuShare = WeightedMean(intervals, i => i.MachineCpuShare, 3),
        };
    }

    /// <summary>The mean of a per-interval share, weighted by each interval's length; null when no interval has it.</summary>
    private static double? WeightedMean(IReadOnlyList<IntervalRecord> intervals, Func<IntervalRecord, double?> share, int digits)
    {
        var (sum, seconds) = (0.0, 0.0);
        foreach (var i in intervals)
        {
            if (share(i) is { } v && (i.End - i.Start).TotalSeconds is var s && s > 0)
            {
                (sum, seconds) = (sum + (v * s), seconds + s);
            }
        }

        return seconds > 0 ? Math.Round(sum / seconds, digits) : null;
    }

    /// <summary>One line for a report's first screen: the generator's figures and whether it kept up.</summary>
    public static string Describe(GeneratorStats g)
    {
        ArgumentNullException.ThrowIfNull(g);
        var parts = new List<string>();
        if (g.CpuShareOfCores is { } cpu)
        {
            parts.Add(g.OthersCpuShare is { } others
                ? string.Create(CultureInfo.InvariantCulture, $"CPU {cpu * 100:0}% of the machine (other processes {others * 100:0}%)")
                : string.Create(CultureInfo.InvariantCulture, $"CPU {cpu * 100:0}% of the machine"));
        }

        if (g.SendLagP99Ms is { } lag)
        {
            parts.Add(string.Create(CultureInfo.InvariantCulture, $"send lag p99 {lag:0.##} ms"));
            if (g.SendLagP999Ms is { } l9)
            {
                parts.Add(string.Create(CultureInfo.InvariantCulture, $"p99.9 {l9:0.##} ms"));
            }
        }

        if (g.GcPauseShare is { } gc)
        {
            parts.Add(string.Create(CultureInfo.InvariantCulture, $"GC pauses {gc * 100:0.0}% of the time"));
        }

        if (g.ThreadPoolQueueMax is { } q)
        {
            parts.Add(string.Create(CultureInfo.InvariantCulture, $"thread-pool queue ≤ {q:#,0}"));
        }

        var figures = parts.Count > 0 ? string.Join(", ", parts) : "no figures";
        return g.Saturated
            ? $"LoadGen was SATURATED ({g.Why}): {figures} — latency differences of that size are the generator's, not the path's{(g.Cause is { } cause ? $"; {cause}" : "")}"
            : $"LoadGen kept up: {figures}";
    }
}
