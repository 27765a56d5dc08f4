using System.Globalization;

namespace LoadGen.Core.Metrics;

/// <summary>
/// The whole machine's CPU time, busy and total, from Linux's /proc/stat (all cores, in clock ticks): beside LoadGen's
/// own CPU it tells "LoadGen used the machine" from "something else did" when the generator falls behind.
/// </summary>
public static class MachineCpu
{
    /// <summary>Busy and total ticks so far; null off Linux or when /proc/stat cannot be read.</summary>
    public static (long Busy, long Total)? Read()
    {
        try
        {
            using var reader = new StreamReader("/proc/stat");
            var line = reader.ReadLine();
            if (line is null || !line.StartsWith("cpu ", StringComparison.Ordinal))
            {
                return null;
            }

            // user nice system idle iowait irq softirq steal (guest time is already in user).
            var f = line.Split(' ', StringSplitOptions.RemoveEmptyEntries).Skip(1).Take(8).Select(x => long.Parse(x, CultureInfo.InvariantCulture)).ToArray();
            if (f.Length < 5)
            {
                return null;
            }

            var idle = f[3] + f[4];
            var total = f.Sum();
            return (total - idle, total);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or OverflowException)
        {
            return null;
        }
    }

    /// <summary>The busy share (0–1) between two readings; null when either is missing or no time passed.</summary>
    public static double? Share((long Busy, long Total)? before, (long Busy, long Total)? after) =>
        before is { } a && after is { } b && b.Total > a.Total ? Math.Round((double)(b.Busy - a.Busy) / (b.Total - a.Total), 3) : null;
}
