using System.Globalization;
using System.Text.RegularExpressions;

namespace LoadGen.Results;

/// <summary>Durations as people write them in scenario files and on the command line: 250ms, 10s, 5m, 1h, 1.5s, 1h30m (what <see cref="Format"/> writes reads back).</summary>
public static partial class Durations
{
    [GeneratedRegex(@"^((?<n>\d+(\.\d+)?)(?<u>ms|s|m|h))+$", RegexOptions.CultureInvariant)]
    private static partial Regex Pattern();

    public const string Expected = "a number with a unit: ms, s, m or h (e.g. 250ms, 10s, 5m, 1h, 1h30m)";

    private static readonly string[] Units = ["h", "m", "s", "ms"];

    public static bool TryParse(string? text, out TimeSpan value)
    {
        value = default;
        var m = Pattern().Match(text?.Trim() ?? "");
        if (!m.Success)
        {
            return false;
        }

        // Parts in falling units, each once: 1h30m, 1m15s (not 30m1h, not 1m1m).
        var units = m.Groups["u"].Captures.Select(c => Array.IndexOf(Units, c.Value)).ToList();
        if (units.Zip(units.Skip(1)).Any(p => p.Second <= p.First))
        {
            return false;
        }

        var seconds = 0.0;
        foreach (var (n, u) in m.Groups["n"].Captures.Zip(m.Groups["u"].Captures))
        {
            var x = double.Parse(n.Value, CultureInfo.InvariantCulture);
            seconds += x * u.Value switch
            {
                "ms" => 0.001,
                "s" => 1,
                "m" => 60,
                _ => 3600,
            };
        }

        // Longer than a TimeSpan holds (100000000000h): the longest one, so a range check says "out of range" at its line.
        value = seconds >= TimeSpan.MaxValue.TotalSeconds ? TimeSpan.MaxValue : TimeSpan.FromTicks((long)Math.Round(seconds * TimeSpan.TicksPerSecond));
        return true;
    }

    public static TimeSpan Parse(string text) =>
        TryParse(text, out var value) ? value : throw new FormatException($"'{text}' is not a duration: expected {Expected}.");

    /// <summary>Short form for messages and reports: 1h30m, 45s, 250ms.</summary>
    public static string Format(TimeSpan value)
    {
        if (value < TimeSpan.FromSeconds(1))
        {
            return $"{value.TotalMilliseconds.ToString("0.###", CultureInfo.InvariantCulture)}ms";
        }

        if (value.TotalSeconds % 1 != 0 || value < TimeSpan.FromMinutes(1))
        {
            return $"{value.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture)}s";
        }

        var parts = new List<string>();
        if (value.Hours + (value.Days * 24) > 0)
        {
            parts.Add($"{(int)value.TotalHours}h");
        }

        if (value.Minutes > 0)
        {
            parts.Add($"{value.Minutes}m");
        }

        if (value.Seconds > 0)
        {
            parts.Add($"{value.Seconds}s");
        }

        return string.Concat(parts);
    }
}
