using HdrHistogram;
using LoadGen.Results;
using LoadGen.Results.Analysis;

namespace LoadGen.Reports;

/// <summary>An estimate with its 95% confidence interval.</summary>
public sealed record Estimate(double Value, double Low, double High)
{
    /// <summary>The interval excludes <paramref name="nothing"/> (0 for a delta, 1 for a ratio).</summary>
    public bool Significant(double nothing) => Low > nothing || High < nothing;
}

/// <summary>The comparison statistics: bootstrap intervals for percentile deltas, Poisson intervals for rate ratios.</summary>
public static class Statistics
{
    public const int BootstrapRounds = 400;

    /// <summary>Fewer interval histograms than this on a side, and the bootstrap cannot see the spread: no interval is claimed.</summary>
    public const int MinUnits = 6;

    /// <summary>
    /// Candidate minus baseline at each of <paramref name="percentiles"/> (ms), with 95% bootstrap
    /// intervals. The unit resampled is the interval histogram (one per topology per reporting
    /// interval), drawn with replacement within each stratum (an interleaved round, or the whole run),
    /// so what varies between intervals is in the interval. Null entries where either side has no measurement.
    /// </summary>
    public static Estimate?[] PercentileDeltas(
        IReadOnlyList<IReadOnlyList<HistogramBase>> baselineStrata,
        IReadOnlyList<IReadOnlyList<HistogramBase>> candidateStrata,
        IReadOnlyList<double> percentiles,
        int seed = 17)
    {
        ArgumentNullException.ThrowIfNull(baselineStrata);
        ArgumentNullException.ThrowIfNull(candidateStrata);
        ArgumentNullException.ThrowIfNull(percentiles);
        var a = Merge(baselineStrata.SelectMany(s => s));
        var b = Merge(candidateStrata.SelectMany(s => s));
        if (a.TotalCount == 0 || b.TotalCount == 0)
        {
            return new Estimate?[percentiles.Count];
        }

        var points = percentiles.Select(p => Pct(b, p) - Pct(a, p)).ToArray();
        // Strata of one unit cannot vary: pool them. Too few units in all: an interval spanning everything.
        baselineStrata = baselineStrata.Any(x => x.Count < 2) ? [baselineStrata.SelectMany(x => x).ToList()] : baselineStrata;
        candidateStrata = candidateStrata.Any(x => x.Count < 2) ? [candidateStrata.SelectMany(x => x).ToList()] : candidateStrata;
        if (baselineStrata.Sum(x => x.Count) < MinUnits || candidateStrata.Sum(x => x.Count) < MinUnits)
        {
            return points.Select(p => (Estimate?)new Estimate(p, double.NegativeInfinity, double.PositiveInfinity)).ToArray();
        }

        var random = new Random(seed);
        var deltas = percentiles.Select(_ => new double[BootstrapRounds]).ToArray();
        for (var i = 0; i < BootstrapRounds; i++)
        {
            var ra = Resample(baselineStrata, random);
            var rb = Resample(candidateStrata, random);
            for (var k = 0; k < percentiles.Count; k++)
            {
                deltas[k][i] = ra.TotalCount == 0 || rb.TotalCount == 0 ? points[k] : Pct(rb, percentiles[k]) - Pct(ra, percentiles[k]);
            }
        }

        return percentiles.Select((_, k) =>
        {
            Array.Sort(deltas[k]);
            return (Estimate?)new Estimate(points[k], deltas[k][(int)(0.025 * (BootstrapRounds - 1))], deltas[k][(int)Math.Ceiling(0.975 * (BootstrapRounds - 1))]);
        }).ToArray();
    }

    /// <summary>Interleaved rounds fewer than this, and the bootstrap goes over intervals instead of rounds.</summary>
    public const int MinRounds = 3;

    /// <summary>
    /// Candidate minus baseline with 95% bootstrap intervals over interleaved rounds. Each round gives a
    /// paired difference (its candidate's percentile minus its baseline's: they ran back to back, under
    /// the same drift); the estimate is the mean of those, and its interval comes from resampling whole
    /// rounds with replacement. Drift that hits both sides of a round cancels.
    /// </summary>
    public static Estimate?[] RoundDeltas(IReadOnlyList<(IReadOnlyList<HistogramBase> Baseline, IReadOnlyList<HistogramBase> Candidate)> rounds, IReadOnlyList<double> percentiles, int seed = 17)
    {
        ArgumentNullException.ThrowIfNull(rounds);
        ArgumentNullException.ThrowIfNull(percentiles);
        var perRound = rounds.Select(r => (A: Merge(r.Baseline), B: Merge(r.Candidate))).Where(r => r.A.TotalCount > 0 && r.B.TotalCount > 0).ToList();
        if (perRound.Count == 0)
        {
            return new Estimate?[percentiles.Count];
        }

        var random = new Random(seed);
        return percentiles.Select(p =>
        {
            var d = perRound.Select(r => Pct(r.B, p) - Pct(r.A, p)).ToArray();
            var means = new double[BootstrapRounds];
            for (var i = 0; i < BootstrapRounds; i++)
            {
                double sum = 0;
                for (var k = 0; k < d.Length; k++)
                {
                    sum += d[random.Next(d.Length)];
                }

                means[i] = sum / d.Length;
            }

            Array.Sort(means);
            return (Estimate?)new Estimate(d.Average(), means[(int)(0.025 * (BootstrapRounds - 1))], means[(int)Math.Ceiling(0.975 * (BootstrapRounds - 1))]);
        }).ToArray();
    }

    /// <summary>
    /// Events per <paramref name="per"/> units of exposure on each side, and the candidate/baseline rate
    /// ratio with a 95% interval (log method; 0.5 is added to a zero count so the interval exists).
    /// </summary>
    public static (double BaselineRate, double CandidateRate, Estimate Ratio) RateRatio(long baselineEvents, double baselineExposure, long candidateEvents, double candidateExposure, double per = 1000)
    {
        if (baselineExposure <= 0 || candidateExposure <= 0)
        {
            throw new ArgumentException("exposure must be positive");
        }

        var ra = baselineEvents / baselineExposure * per;
        var rb = candidateEvents / candidateExposure * per;
        var a = baselineEvents == 0 || candidateEvents == 0 ? baselineEvents + 0.5 : baselineEvents;
        var b = baselineEvents == 0 || candidateEvents == 0 ? candidateEvents + 0.5 : candidateEvents;
        var logRatio = Math.Log(b / candidateExposure / (a / baselineExposure));
        var se = Math.Sqrt((1 / a) + (1 / b));
        return (ra, rb, new Estimate(Math.Exp(logRatio), Math.Exp(logRatio - (1.96 * se)), Math.Exp(logRatio + (1.96 * se))));
    }

    public static HistogramBase Merge(IEnumerable<HistogramBase> histograms)
    {
        var sum = Histograms.Create();
        foreach (var h in histograms)
        {
            sum.Add(h);
        }

        return sum;
    }

    private static double Pct(HistogramBase h, double p) => h.GetValueAtPercentile(p) / 1000.0;

    private static HistogramBase Resample(IReadOnlyList<IReadOnlyList<HistogramBase>> strata, Random random)
    {
        var sum = Histograms.Create();
        foreach (var stratum in strata)
        {
            for (var i = 0; i < stratum.Count; i++)
            {
                sum.Add(stratum[random.Next(stratum.Count)]);
            }
        }

        return sum;
    }
}
