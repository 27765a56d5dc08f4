using System.Globalization;
using System.Text.Json.Serialization;
using System.Text.RegularExpressions;

namespace LoadGen.Results;

/// <summary>What a comparison gates on: nothing (it informs), non-inferiority, or equivalence.</summary>
public enum ComparisonGate
{
    /// <summary>The comparison informs; only thresholds set the exit code.</summary>
    None,

    /// <summary>Pass when every primary figure is shown to be no worse than its margin (the interval's worse end inside it).</summary>
    NotWorse,

    /// <summary>Pass when every primary figure is shown equivalent (its whole interval inside the margin).</summary>
    Equivalent,
}

/// <summary>
/// How far apart two figures may be and still count as the same. A latency figure's margin is the larger
/// of <see cref="Ms"/> and <see cref="Percent"/>% of the smaller of the two sides' values (the same both ways); a rate's is a ratio within
/// [1/<see cref="Ratio"/>, <see cref="Ratio"/>] — or, when both rates are below <see cref="FloorPer1000h"/>
/// per 1,000 stream-hours, the rates count as the same (no ratio of two rare events can be told apart).
/// </summary>
public sealed partial record Margin(double Ms = 0, double Percent = 0, double Ratio = 0, double FloorPer1000h = Margin.DefaultRateFloor)
{
    /// <summary>Unplanned ends per 1,000 stream-hours below which two rates count as equally rare.</summary>
    public const double DefaultRateFloor = 10;

    [JsonIgnore]
    public bool IsRatio => Ratio > 0;

    /// <summary>The margin in ms for a baseline value (latency figures).</summary>
    public double For(double? baseline) => Math.Max(Ms, Percent / 100 * Math.Abs(baseline ?? 0));

    public override string ToString() => IsRatio
        ? string.Create(CultureInfo.InvariantCulture, $"{Ratio:0.##}x")
        : Ms > 0 && Percent > 0 ? string.Create(CultureInfo.InvariantCulture, $"max({Ms:0.###}ms, {Percent:0.##}%)")
        : Ms > 0 ? string.Create(CultureInfo.InvariantCulture, $"{Ms:0.###}ms")
        : string.Create(CultureInfo.InvariantCulture, $"{Percent:0.##}%");

    /// <summary>Reads <c>max(0.5ms, 5%)</c>, <c>2ms</c>, <c>10%</c> (latency) or <c>2x</c> (a rate ratio); null when it is none of those.</summary>
    public static Margin? Parse(string text, out string? problem)
    {
        problem = null;
        var t = (text ?? "").Trim();
        var ratio = RatioForm().Match(t);
        if (ratio.Success)
        {
            var r = double.Parse(ratio.Groups[1].Value, CultureInfo.InvariantCulture);
            if (r <= 1)
            {
                problem = $"'{text}': a ratio margin must be above 1x (2x = within half to twice the baseline's rate)";
                return null;
            }

            return new Margin(Ratio: r);
        }

        var max = MaxForm().Match(t);
        var parts = max.Success ? [max.Groups[1].Value, max.Groups[2].Value] : new[] { t };
        double ms = 0, pct = 0;
        foreach (var p in parts)
        {
            var m = PartForm().Match(p.Trim());
            if (!m.Success)
            {
                problem = $"'{text}': expected a margin like max(0.5ms, 5%), 2ms, 10% or (for unplanned-ends) 2x";
                return null;
            }

            var v = double.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture);
            switch (m.Groups[2].Value)
            {
                case "%": pct = v; break;
                case "us": ms = v / 1000; break;
                case "s": ms = v * 1000; break;
                default: ms = v; break;
            }
        }

        if (ms <= 0 && pct <= 0)
        {
            problem = $"'{text}': a margin must be above zero (nothing would ever be 'equivalent')";
            return null;
        }

        return new Margin(ms, pct);
    }

    [GeneratedRegex(@"^([0-9]+(?:\.[0-9]+)?)\s*[x×]$", RegexOptions.IgnoreCase)]
    private static partial Regex RatioForm();

    [GeneratedRegex(@"^max\(\s*([^,]+),\s*([^)]+)\)$", RegexOptions.IgnoreCase)]
    private static partial Regex MaxForm();

    [GeneratedRegex(@"^([0-9]+(?:\.[0-9]+)?)\s*(ms|us|s|%)$")]
    private static partial Regex PartForm();
}

/// <summary>
/// How two topologies (or two runs) are compared: which figures carry the headline, each figure's
/// equivalence margin, and whether the comparison gates the exit code. run.json records it, so
/// <c>loadgen report</c> reaches the same verdict later.
/// </summary>
public sealed record ComparisonSettings
{
    public const string P50 = "p50";
    public const string P90 = "p90";
    public const string P95 = "p95";
    public const string P99 = "p99";
    public const string P999 = "p99.9";
    public const string OpenP99 = "open-p99";
    public const string ReconnectP99 = "reconnect-p99";
    public const string UnplannedEnds = "unplanned-ends";

    /// <summary>Every figure a comparison reports, in table order, with its default margin.</summary>
    public static readonly IReadOnlyList<(string Figure, Margin Margin, string Meaning)> Figures =
    [
        (P50, new Margin(0.5, 5), "round-trip latency p50 (CO-corrected)"),
        (P90, new Margin(1, 5), "round-trip latency p90"),
        (P95, new Margin(1.5, 7.5), "round-trip latency p95"),
        (P99, new Margin(2, 10), "round-trip latency p99"),
        (P999, new Margin(5, 20), "round-trip latency p99.9"),
        (OpenP99, new Margin(5, 10), "stream open time p99"),
        (ReconnectP99, new Margin(50, 20), "time to re-establish a dropped stream, p99"),
        (UnplannedEnds, new Margin(Ratio: 2), "streams ended by anything but the plan, per 1,000 stream-hours"),
    ];

    public static readonly IReadOnlyList<string> DefaultPrimary = [P50, P99, UnplannedEnds];

    /// <summary>The figures the headline rests on (the family-wise error is held at 5% over them).</summary>
    public IReadOnlyList<string> Primary { get; init; } = DefaultPrimary;

    /// <summary>Margins set by the scenario or flags, by figure; the rest keep their defaults.</summary>
    public IReadOnlyDictionary<string, Margin> Margins { get; init; } = new Dictionary<string, Margin>();

    public ComparisonGate Gate { get; init; } = ComparisonGate.None;

    /// <summary>What the two sides' path fingerprints must show (any: nothing; same: no field differs; changed: some field differs). A failed expectation fails the comparison's gate.</summary>
    public PathExpectation ExpectPath { get; init; } = PathExpectation.Any;

    /// <summary>Reads an expectation's name (any, same, changed); null when it is none of those.</summary>
    public static PathExpectation? ParseExpectPath(string? text) => (text ?? "").Trim().ToLowerInvariant() switch
    {
        "any" => PathExpectation.Any,
        "same" => PathExpectation.Same,
        "changed" => PathExpectation.Changed,
        _ => null,
    };

    public Margin MarginOf(string figure) =>
        Margins.TryGetValue(figure, out var m) ? m : Figures.First(f => f.Figure == figure).Margin;

    public static bool IsFigure(string name) => Figures.Any(f => f.Figure == name);

    /// <summary>
    /// One spelling per figure: "p999" (as thresholds once wrote it) reads as "p99.9". Every other name is returned as
    /// given, to be checked with <see cref="IsFigure"/>.
    /// </summary>
    public static string Canonical(string name) => name == "p999" ? P999 : name;

    /// <summary>The known figure names, for error messages.</summary>
    public static string Known => string.Join(", ", Figures.Select(f => f.Figure));

    /// <summary>Reads a gate's name (none, not-worse, equivalent); null when it is none of those.</summary>
    public static ComparisonGate? ParseGate(string? text) => (text ?? "").Trim().ToLowerInvariant() switch
    {
        "none" => ComparisonGate.None,
        "not-worse" => ComparisonGate.NotWorse,
        "equivalent" => ComparisonGate.Equivalent,
        _ => null,
    };

    public static string GateName(ComparisonGate gate) => gate switch
    {
        ComparisonGate.NotWorse => "not-worse",
        ComparisonGate.Equivalent => "equivalent",
        _ => "none",
    };

    /// <summary>
    /// Checks a margin fits its figure (a ratio for unplanned-ends, ms or % for latency); the problem, or null.
    /// </summary>
    public static string? MarginProblem(string figure, Margin margin)
    {
        ArgumentNullException.ThrowIfNull(margin);
        if (!IsFigure(figure))
        {
            return $"unknown figure '{figure}' (known: {Known})";
        }

        return (figure == UnplannedEnds, margin.IsRatio) switch
        {
            (true, false) => $"{figure}: a rate's margin is a ratio such as 2x (within half to twice the baseline's rate)",
            (false, true) => $"{figure}: a latency margin is ms and/or % of the smaller side, such as max(2ms, 10%)",
            _ => null,
        };
    }
}

/// <summary>
/// What a comparison expects of the two sides' path fingerprints: <see cref="Same"/> for a baseline and a soak of one
/// path (nothing on it may have changed), <see cref="Changed"/> for a migration (the soak must not have crossed the old path).
/// </summary>
[System.Text.Json.Serialization.JsonConverter(typeof(System.Text.Json.Serialization.JsonStringEnumConverter<PathExpectation>))]
public enum PathExpectation
{
    Any,
    Same,
    Changed,
}
