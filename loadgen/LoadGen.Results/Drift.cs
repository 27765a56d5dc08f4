using System.Globalization;
using System.Text.Json.Serialization;

namespace LoadGen.Results;

/// <summary>Which way a figure moved during one run.</summary>
public enum DriftTrend
{
    /// <summary>The slope's whole interval lies above zero and the rise over the run is larger than the figure's margin.</summary>
    Rising,

    /// <summary>As <see cref="Rising"/>, downwards.</summary>
    Falling,

    /// <summary>The whole interval, times the run's span, lies inside the figure's margin: it did not move by more than that.</summary>
    Stable,

    /// <summary>None of the above (too few intervals, or an interval too wide): this run cannot tell.</summary>
    CannotTell,
}

/// <summary>
/// One figure's trend inside one run: a Theil–Sen slope over the hold-phase intervals (in blocks), per hour, with a
/// distribution-free interval from Kendall's S. <see cref="Generator"/> figures are LoadGen's own (its send lag,
/// its memory): a path figure that rises with them may be the generator's, not the path's.
/// </summary>
/// <param name="Figure">p50, p99, unplanned-ends, send-lag-p99 or loadgen-rss.</param>
/// <param name="Unit">The figure's unit: ms, per 1000 stream-hours, or MB; the slope is that unit per hour.</param>
/// <param name="SlopePerHour">Theil–Sen's median slope; null when there were too few intervals.</param>
/// <param name="Low">The interval's lower end (95%), per hour.</param>
/// <param name="High">The interval's upper end (95%), per hour.</param>
/// <param name="SpanH">Hours between the first and last block's middles.</param>
/// <param name="Points">Blocks the slope rests on.</param>
/// <param name="Margin">A change over the whole span smaller than this counts as no change (the comparison's margin for the figure).</param>
/// <param name="Reading">"p99 rose 0.8 ms per hour [0.5, 1.1]", "p99 stable (±1.2 ms over 2.0 h)", or why it cannot tell.</param>
public sealed record DriftResult(
    string Figure,
    string Unit,
    double? SlopePerHour,
    double? Low,
    double? High,
    double SpanH,
    int Points,
    double Margin,
    DriftTrend Trend,
    string Reading)
{
    public const string P50 = "p50";
    public const string P99 = "p99";
    public const string UnplannedEnds = "unplanned-ends";
    public const string SendLagP99 = "send-lag-p99";
    public const string LoadGenRss = "loadgen-rss";

    /// <summary>The figures that are the path's (the others are LoadGen's own).</summary>
    public static readonly IReadOnlyList<string> PathFigures = [P50, P99, UnplannedEnds];

    /// <summary>Every figure a drift threshold can name.</summary>
    public static readonly IReadOnlyList<string> AllFigures = [P50, P99, UnplannedEnds, SendLagP99, LoadGenRss];

    /// <summary>True for LoadGen's own figures (send lag, memory).</summary>
    [JsonIgnore]
    public bool Generator => Figure is SendLagP99 or LoadGenRss;

    public static string Number(double x) => Math.Abs(x) switch
    {
        >= 100 => x.ToString("0", CultureInfo.InvariantCulture),
        >= 10 => x.ToString("0.#", CultureInfo.InvariantCulture),
        >= 1 => x.ToString("0.##", CultureInfo.InvariantCulture),
        _ => x.ToString("0.###", CultureInfo.InvariantCulture),
    };
}
