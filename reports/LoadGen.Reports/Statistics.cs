using HdrHistogram;
using LoadGen.Results;
using MathNet.Numerics.Distributions;

namespace LoadGen.Reports;

/// <summary>
/// An estimate with its confidence interval at <see cref="Level"/>, resting on <see cref="Units"/>
/// independent units (rounds, batches, runs). An interval with too few units is unbounded (±∞) and
/// says so in <see cref="Shortfall"/>; it is never given zero width.
/// </summary>
public sealed record Estimate(double Value, double Low, double High)
{
    public double Level { get; init; } = 0.95;

    /// <summary>How many independent units the interval rests on.</summary>
    public int Units { get; init; }

    /// <summary>Why there is no interval (too few units); null when there is one.</summary>
    public string? Shortfall { get; init; }

    public bool Bounded => !double.IsInfinity(Low) && !double.IsInfinity(High);

    /// <summary>The interval excludes <paramref name="nothing"/> (0 for a delta, 1 for a ratio).</summary>
    public bool Significant(double nothing) => Low > nothing || High < nothing;

    public static Estimate Unbounded(double value, int units, string why) =>
        new(value, double.NegativeInfinity, double.PositiveInfinity) { Units = units, Shortfall = why };
}

/// <summary>
/// The comparison statistics. Latency figures are compared through independent units — interleaved
/// rounds (paired: a round's candidate minus the same round's baseline) or contiguous batches of
/// interval histograms (the batch-means method: batches long enough that their means are nearly
/// independent though intervals are not) — with Student-t intervals, which hold their coverage with
/// few units where a bootstrap over 3–6 units does not. Rates use a quasi-Poisson interval whose
/// dispersion comes from incidents (ends of one cause within a second count once: one dropped
/// connection ends many streams at once). Calibrated by <c>ComparisonCalibrationTests</c>.
/// </summary>
public static class Statistics
{
    /// <summary>Fewer interleaved rounds than this, and the rounds are not used as pairs.</summary>
    public const int MinRounds = 3;

    /// <summary>Fewer batches per side than this and no interval is claimed ("not enough data").</summary>
    public const int MinBatches = 5;

    /// <summary>Batches a run is cut into (fewer when it has fewer interval histograms).</summary>
    public const int Batches = 10;

    /// <summary>Two-sided Student-t quantile for a <paramref name="level"/> interval.</summary>
    public static double T(double level, int df) => StudentT.InvCDF(0, 1, df, 1 - ((1 - level) / 2));

    /// <summary>Two-sided normal quantile for a <paramref name="level"/> interval.</summary>
    public static double Z(double level) => Normal.InvCDF(0, 1, 1 - ((1 - level) / 2));

    /// <summary>
    /// The mean of paired differences (one per interleaved round) with a t interval on n − 1 degrees of
    /// freedom. <paramref name="resolution"/> is the smallest spread the data can show (the histograms'
    /// precision): differences that happen to agree exactly do not make a zero-width interval.
    /// </summary>
    public static Estimate Paired(IReadOnlyList<double> differences, double level, double resolution)
    {
        ArgumentNullException.ThrowIfNull(differences);
        var n = differences.Count;
        var mean = n == 0 ? 0 : differences.Average();
        if (n < MinRounds)
        {
            return Estimate.Unbounded(mean, n, $"{n} paired round(s); an interval needs at least {MinRounds}");
        }

        var se = Math.Max(Sd(differences), resolution) / Math.Sqrt(n);
        var h = T(level, n - 1) * se;
        return new Estimate(mean, mean - h, mean + h) { Level = level, Units = n };
    }

    /// <summary>
    /// Candidate minus baseline from two independent sets of batch values, with Welch's t interval
    /// (unequal variances, Welch–Satterthwaite degrees of freedom).
    /// </summary>
    public static Estimate Welch(IReadOnlyList<double> baseline, IReadOnlyList<double> candidate, double level, double resolution)
    {
        ArgumentNullException.ThrowIfNull(baseline);
        ArgumentNullException.ThrowIfNull(candidate);
        var units = Math.Min(baseline.Count, candidate.Count);
        var diff = baseline.Count == 0 || candidate.Count == 0 ? 0 : candidate.Average() - baseline.Average();
        if (units < MinBatches)
        {
            return Estimate.Unbounded(diff, units, $"{units} batch(es) on the shorter side; an interval needs at least {MinBatches} (a run of at least {MinBatches} reporting intervals)");
        }

        var va = Math.Pow(Math.Max(Sd(baseline), resolution), 2) / baseline.Count;
        var vb = Math.Pow(Math.Max(Sd(candidate), resolution), 2) / candidate.Count;
        var df = Math.Pow(va + vb, 2) / ((va * va / (baseline.Count - 1)) + (vb * vb / (candidate.Count - 1)));
        var h = StudentT.InvCDF(0, 1, df, 1 - ((1 - level) / 2)) * Math.Sqrt(va + vb);
        return new Estimate(diff, diff - h, diff + h) { Level = level, Units = units };
    }

    /// <summary>
    /// Candidate minus the mean of several baseline runs, with a prediction interval from the spread
    /// between those runs (t on k − 1 degrees of freedom, × √(1 + 1/k)): how far one more run of the
    /// baseline would land from their mean, which is what a candidate run must be judged against.
    /// </summary>
    public static Estimate Repeated(IReadOnlyList<double> baselineRuns, double candidate, double level, double resolution)
    {
        ArgumentNullException.ThrowIfNull(baselineRuns);
        var k = baselineRuns.Count;
        var diff = k == 0 ? 0 : candidate - baselineRuns.Average();
        if (k < 2)
        {
            return Estimate.Unbounded(diff, k, "one baseline run; between-run variation needs at least two");
        }

        var h = T(level, k - 1) * Math.Max(Sd(baselineRuns), resolution) * Math.Sqrt(1 + (1.0 / k));
        return new Estimate(diff, diff - h, diff + h) { Level = level, Units = k };
    }

    /// <summary>
    /// The candidate's rate over the baseline's, with a quasi-Poisson interval on the log ratio: the
    /// variance of a count of <paramref name="baselineEnds"/> ends in <paramref name="baselineIncidents"/>
    /// incidents is that of the incidents (clustered ends move together). 0.5 is added to a zero count
    /// so the interval exists.
    /// </summary>
    public static Estimate RateRatio(long baselineEnds, long baselineIncidents, double baselineExposure, long candidateEnds, long candidateIncidents, double candidateExposure, double level)
    {
        if (baselineExposure <= 0 || candidateExposure <= 0)
        {
            throw new ArgumentException("exposure must be positive");
        }

        var zero = baselineEnds == 0 || candidateEnds == 0;
        double a = zero ? baselineEnds + 0.5 : baselineEnds, b = zero ? candidateEnds + 0.5 : candidateEnds;
        double ia = Math.Max(0.5, Math.Min(baselineIncidents, baselineEnds)), ib = Math.Max(0.5, Math.Min(candidateIncidents, candidateEnds));
        var log = Math.Log(b / candidateExposure / (a / baselineExposure));
        var se = Math.Sqrt((1 / ia) + (1 / ib));
        var z = Z(level);
        return new Estimate(Math.Exp(log), Math.Exp(log - (z * se)), Math.Exp(log + (z * se))) { Level = level, Units = (int)Math.Min(int.MaxValue, baselineIncidents + candidateIncidents) };
    }

    /// <summary>
    /// A one-sided upper bound at <paramref name="level"/> on a rate per <paramref name="per"/> units of
    /// exposure, from <paramref name="ends"/> in <paramref name="incidents"/> incidents (exact Poisson on
    /// the incidents, scaled by ends per incident): with none seen, how often they could still happen.
    /// </summary>
    public static double RateUpperBound(long ends, long incidents, double exposure, double level, double per = 1000)
    {
        var perIncident = incidents > 0 ? (double)ends / incidents : 1;
        var upper = Gamma.InvCDF(incidents + 1, 1, level);
        return upper * perIncident / exposure * per;
    }

    /// <summary>Events per <paramref name="per"/> units of exposure and the 95% rate ratio with no clustering (each end its own incident).</summary>
    public static (double BaselineRate, double CandidateRate, Estimate Ratio) RateRatio(long baselineEvents, double baselineExposure, long candidateEvents, double candidateExposure, double per = 1000) =>
        (baselineEvents / baselineExposure * per, candidateEvents / candidateExposure * per,
            RateRatio(baselineEvents, baselineEvents, baselineExposure, candidateEvents, candidateEvents, candidateExposure, 0.95));

    public static HistogramBase Merge(IEnumerable<HistogramBase> histograms)
    {
        var sum = Histograms.Create();
        foreach (var h in histograms)
        {
            sum.Add(h);
        }

        return sum;
    }

    /// <summary>
    /// Cuts a run's interval histograms, in time order, into at most <see cref="Batches"/> contiguous
    /// batches of (nearly) equal length, each merged.
    /// </summary>
    public static IReadOnlyList<HistogramBase> Batch(IReadOnlyList<HistogramBase> intervals, int batches = Batches)
    {
        ArgumentNullException.ThrowIfNull(intervals);
        var n = intervals.Count;
        var b = Math.Min(batches, n);
        var result = new List<HistogramBase>(b);
        for (var i = 0; i < b; i++)
        {
            var from = i * n / b;
            var to = (i + 1) * n / b;
            result.Add(Merge(intervals.Skip(from).Take(to - from)));
        }

        return result;
    }

    /// <summary>A histogram's value at <paramref name="p"/>, in ms; null when it is empty.</summary>
    public static double? Pct(HistogramBase h, double p) => h.TotalCount == 0 ? null : h.GetValueAtPercentile(p) / 1000.0;

    /// <summary>The smallest difference a 3-significant-digit histogram can show at <paramref name="ms"/>.</summary>
    public static double Resolution(double ms) => Math.Max(0.001, Math.Abs(ms) / 1000);

    private static double Sd(IReadOnlyList<double> x)
    {
        if (x.Count < 2)
        {
            return 0;
        }

        var mean = x.Average();
        return Math.Sqrt(x.Sum(v => (v - mean) * (v - mean)) / (x.Count - 1));
    }
}
