using System.Text.RegularExpressions;

namespace LoadGen.Results.Analysis;

/// <summary>What a threshold measures.</summary>
public enum ThresholdKind
{
    /// <summary>"p99 &lt; 50ms": a latency percentile of every topology.</summary>
    Latency,

    /// <summary>"delta p99 &lt; +5ms vs direct-tls": each other topology's percentile minus that one's, judged in the reports by the comparison's interval (its upper end below the limit).</summary>
    Delta,

    /// <summary>"rate(rst:*) &lt; 1 per 1000 stream-hours": unplanned ends of matching causes.</summary>
    Rate,

    /// <summary>"survival(1h) &gt; 0.999": the share of streams still alive at that age.</summary>
    Survival,

    /// <summary>"no new cause vs baseline": no unplanned end cause the baseline never had.</summary>
    NoNewCause,

    /// <summary>"unanswered &lt; 0.1%": messages never answered, as a share of those sent.</summary>
    Unanswered,

    /// <summary>"population &gt; 95%": the time-weighted share of the wanted streams open during hold phases.</summary>
    Population,

    /// <summary>"drift(p99) &lt; 1ms/h": the upper end of the figure's drift interval inside the run, per hour.</summary>
    Drift,
}

/// <summary>A pass/fail rule evaluated at the end of the run (and every interval with <see cref="AbortOnFail"/>); see the README.</summary>
/// <param name="Limit">ms for latency and delta, ends per 1,000 stream-hours for rate, a share for survival, 0 for no-new-cause.</param>
public sealed record Threshold(string Expression, ThresholdMetric Metric, bool Uncorrected, double Limit)
{
    public ThresholdKind Kind { get; init; } = ThresholdKind.Latency;

    /// <summary>Delta and no-new-cause: the topology compared against ("baseline" = the first target).</summary>
    public string? Versus { get; init; }

    /// <summary>Rate: the cause, '*' matching any run of characters (e.g. "rst:*").</summary>
    public string? Cause { get; init; }

    /// <summary>Drift: the figure (p50, p99, unplanned-ends, send-lag-p99, loadgen-rss).</summary>
    public string? Figure { get; init; }

    /// <summary>Survival: the stream age.</summary>
    public TimeSpan SurvivalAge { get; init; }

    public string Source { get; init; } = "";

    /// <summary>
    /// Also judged every interval while the run goes (on the run so far); a failure stops the run
    /// there — no new streams, open ones closed, reports written, exit code 1 (k6's abortOnFail).
    /// </summary>
    public bool AbortOnFail { get; init; }

    /// <summary>With <see cref="AbortOnFail"/>: interval checks begin this long after the run's start (NBomber's startCheckAfter), as early numbers are noisy.</summary>
    public TimeSpan StartCheckAfter { get; init; }

    /// <summary>
    /// Not declared: the threshold every run gets unless it declares its own of this kind (<see cref="Thresholds.DefaultUnanswered"/>).
    /// Its expression ends in "(default)" so every output says so, and a topology that sent nothing is not judged by it.
    /// </summary>
    public bool IsDefault { get; init; }

    /// <summary>"unanswered off": declared to turn the default off; never judged.</summary>
    public bool Off { get; init; }

    /// <summary>The unit of <see cref="Limit"/> and of the measured value, for people.</summary>
    public string Unit => Kind switch
    {
        ThresholdKind.Latency or ThresholdKind.Delta => "ms",
        ThresholdKind.Rate => "per 1000 stream-hours",
        ThresholdKind.Survival => "share",
        ThresholdKind.Unanswered => "% of sent",
        ThresholdKind.Population => "% of wanted",
        ThresholdKind.Drift => Figure switch
        {
            DriftResult.UnplannedEnds => "per 1000 stream-hours per hour",
            DriftResult.LoadGenRss => "MB per hour",
            _ => "ms per hour",
        },
        _ => "new causes",
    };
}

public enum ThresholdMetric
{
    P50,
    P90,
    P95,
    P99,
    P999,
    Max,
}

/// <summary>The threshold expressions of scenarios, summary.json and run.json: one grammar, one parser.</summary>
public static partial class Thresholds
{
    /// <summary>
    /// The threshold a run gets when it declares no unanswered threshold of its own: a server that stops answering streams it
    /// keeps open passes every latency threshold on the few replies it sent, so losing more than 1% is a failed run unless
    /// the scenario says otherwise ('unanswered &lt; 0.1%' tightens it, 'unanswered off' turns it off).
    /// </summary>
    public const string DefaultUnanswered = "unanswered < 1% (default)";

    /// <summary>The declared thresholds and the defaults they do not replace: what a run is judged by (and what run.json records).</summary>
    public static IReadOnlyList<Threshold> WithDefaults(IReadOnlyList<Threshold> declared)
    {
        ArgumentNullException.ThrowIfNull(declared);
        return declared.Any(t => t.Kind == ThresholdKind.Unanswered) ? declared : [.. declared, Parse(DefaultUnanswered)!];
    }

    /// <summary>Parses a threshold (see <see cref="ThresholdKind"/>); null when it does not fit.</summary>
    public static Threshold? Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var trimmed = text.Trim();
        if (trimmed.EndsWith(DefaultSuffix, StringComparison.Ordinal))
        {
            return Parse(trimmed[..^DefaultSuffix.Length]) is { } declared ? declared with { Expression = trimmed, IsDefault = true, Source = text } : null;
        }

        if (UnansweredOffPattern().IsMatch(trimmed))
        {
            return new Threshold(trimmed, ThresholdMetric.Max, false, 100) { Kind = ThresholdKind.Unanswered, Off = true, Source = text };
        }
        if (DeltaPattern().Match(trimmed) is { Success: true } d && Durations.TryParse(d.Groups["limit"].Value, out var dl))
        {
            var ms = d.Groups["sign"].Value == "-" ? -dl.TotalMilliseconds : dl.TotalMilliseconds;
            return new Threshold(trimmed, Metric(d.Groups["metric"].Value), d.Groups["unc"].Success, ms) { Kind = ThresholdKind.Delta, Versus = d.Groups["vs"].Value, Source = text };
        }

        if (RatePattern().Match(trimmed) is { Success: true } r)
        {
            return new Threshold(trimmed, ThresholdMetric.Max, false, double.Parse(r.Groups["n"].Value, System.Globalization.CultureInfo.InvariantCulture))
            {
                Kind = ThresholdKind.Rate,
                Cause = r.Groups["cause"].Value.Trim(),
                Source = text,
            };
        }

        if (SurvivalPattern().Match(trimmed) is { Success: true } sv && Durations.TryParse(sv.Groups["age"].Value, out var age))
        {
            var share = double.Parse(sv.Groups["p"].Value, System.Globalization.CultureInfo.InvariantCulture);
            return share is > 0 and <= 1
                ? new Threshold(trimmed, ThresholdMetric.Max, false, share) { Kind = ThresholdKind.Survival, SurvivalAge = age, Source = text }
                : null;
        }

        if (UnansweredPattern().Match(trimmed) is { Success: true } u)
        {
            return new Threshold(trimmed, ThresholdMetric.Max, false, double.Parse(u.Groups["p"].Value, System.Globalization.CultureInfo.InvariantCulture))
            {
                Kind = ThresholdKind.Unanswered,
                Source = text,
            };
        }

        if (PopulationPattern().Match(trimmed) is { Success: true } pop)
        {
            var percent = double.Parse(pop.Groups["p"].Value, System.Globalization.CultureInfo.InvariantCulture);
            return percent is > 0 and <= 100
                ? new Threshold(trimmed, ThresholdMetric.Max, false, percent) { Kind = ThresholdKind.Population, Source = text }
                : null;
        }

        if (DriftPattern().Match(trimmed) is { Success: true } dr)
        {
            var figure = dr.Groups["figure"].Value;
            var unit = dr.Groups["unit"].Value;
            var fits = figure switch
            {
                DriftResult.UnplannedEnds => unit.Length == 0,
                DriftResult.LoadGenRss => unit == "MB",
                _ => unit == "ms",
            };
            return fits
                ? new Threshold(trimmed, ThresholdMetric.Max, false, double.Parse(dr.Groups["n"].Value, System.Globalization.CultureInfo.InvariantCulture))
                {
                    Kind = ThresholdKind.Drift,
                    Figure = figure,
                    Source = text,
                }
                : null;
        }

        if (NoNewCausePattern().Match(trimmed) is { Success: true } n)
        {
            return new Threshold(trimmed, ThresholdMetric.Max, false, 0) { Kind = ThresholdKind.NoNewCause, Versus = n.Groups["vs"].Value, Source = text };
        }

        var m = ThresholdPattern().Match(trimmed);
        if (!m.Success || !Durations.TryParse(m.Groups["limit"].Value, out var limit))
        {
            return null;
        }

        return new Threshold(trimmed, Metric(m.Groups["metric"].Value), m.Groups["unc"].Success, limit.TotalMilliseconds) { Source = text };
    }

    /// <summary>Why a parsed threshold is a mistake although it parses (it can never fail, or nothing can judge it); null when it is fine.</summary>
    public static string? Refused(Threshold threshold)
    {
        ArgumentNullException.ThrowIfNull(threshold);
        if (threshold.Kind == ThresholdKind.Unanswered && threshold.Limit > 100)
        {
            return $"'{threshold.Expression}' can never fail: at most 100% of the messages sent go unanswered; write a share below 100%, such as 'unanswered < 1%'";
        }

        // A delta is judged by the run's calibrated comparison (its interval against the limit), never by a point
        // estimate; the comparison has an interval for these percentiles of the corrected latency only.
        return threshold.Kind == ThresholdKind.Delta && (threshold.Metric == ThresholdMetric.Max || threshold.Uncorrected)
            ? $"'{threshold.Expression}' cannot be judged: a delta threshold is judged by the comparison's interval, which exists for p50, p90, p95, p99 and p99.9 of the corrected latency (write e.g. 'delta p99 < +5ms vs {threshold.Versus}'; 'max' and 'uncorrected' have no interval)"
            : null;
    }

    private static ThresholdMetric Metric(string name) => name switch
    {
        "p50" => ThresholdMetric.P50,
        "p90" => ThresholdMetric.P90,
        "p95" => ThresholdMetric.P95,
        "p99" => ThresholdMetric.P99,
        "p999" or "p99.9" => ThresholdMetric.P999,
        _ => ThresholdMetric.Max,
    };

    [GeneratedRegex(@"^delta\s+(?<metric>p50|p90|p95|p99|p999|p99\.9|max)(?<unc>\s+uncorrected)?\s*<\s*(?<sign>[+-]?)(?<limit>\S+)\s+vs\s+(?<vs>\S+)$", RegexOptions.CultureInvariant)]
    private static partial Regex DeltaPattern();

    [GeneratedRegex(@"^rate\((?<cause>[^)]+)\)\s*<\s*(?<n>\d+(\.\d+)?)\s+per\s+1000\s+stream-hours$", RegexOptions.CultureInvariant)]
    private static partial Regex RatePattern();

    [GeneratedRegex(@"^survival\((?<age>[^)]+)\)\s*>\s*(?<p>\d*\.?\d+)$", RegexOptions.CultureInvariant)]
    private static partial Regex SurvivalPattern();

    [GeneratedRegex(@"^drift\((?<figure>p50|p99|unplanned-ends|send-lag-p99|loadgen-rss)\)\s*<\s*(?<n>\d+(\.\d+)?)\s*(?<unit>ms|MB)?\s*(per\s+1000\s+stream-hours\s*)?(/h|per\s+hour)$", RegexOptions.CultureInvariant)]
    private static partial Regex DriftPattern();

    [GeneratedRegex(@"^no\s+new\s+cause\s+vs\s+(?<vs>\S+)$", RegexOptions.CultureInvariant)]
    private static partial Regex NoNewCausePattern();

    [GeneratedRegex(@"^unanswered\s*<\s*(?<p>\d+(\.\d+)?)%$", RegexOptions.CultureInvariant)]
    private static partial Regex UnansweredPattern();

    private const string DefaultSuffix = " (default)";

    [GeneratedRegex(@"^unanswered\s+off$", RegexOptions.CultureInvariant)]
    private static partial Regex UnansweredOffPattern();

    [GeneratedRegex(@"^population\s*>\s*(?<p>\d+(\.\d+)?)%$", RegexOptions.CultureInvariant)]
    private static partial Regex PopulationPattern();

    [GeneratedRegex(@"^(?<metric>p50|p90|p95|p99|p999|p99\.9|max)(?<unc>\s+uncorrected)?\s*<\s*(?<limit>\S+)$", RegexOptions.CultureInvariant)]
    private static partial Regex ThresholdPattern();
}
