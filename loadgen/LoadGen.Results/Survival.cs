namespace LoadGen.Results;

/// <summary>Kaplan–Meier survival of stream lifetimes; a planned end (or the run's end) censors a stream.</summary>
public sealed record SurvivalSummary(
    long Streams,
    long Events,
    double? MedianS,
    double? At1h,
    double? At24h,
    IReadOnlyList<SurvivalPoint> Points)
{
    /// <summary>The longest lifetime seen (event or censored): S(t) is known up to here.</summary>
    public double LongestS { get; init; }

    private const int MaxPoints = 200;

    /// <param name="lifetimes">Seconds each stream lived, and whether it ended unplanned (an event).</param>
    public static SurvivalSummary Compute(IEnumerable<(double LifetimeS, bool Event)> lifetimes)
    {
        ArgumentNullException.ThrowIfNull(lifetimes);
        var sorted = lifetimes.OrderBy(l => l.LifetimeS).ToList();
        var atRisk = (long)sorted.Count;
        var events = sorted.LongCount(l => l.Event);
        var survival = 1.0;
        var curve = new List<SurvivalPoint> { new(0, 1) };
        for (var i = 0; i < sorted.Count;)
        {
            var t = sorted[i].LifetimeS;
            long died = 0, left = 0;
            for (; i < sorted.Count && sorted[i].LifetimeS == t; i++)
            {
                left++;
                if (sorted[i].Event)
                {
                    died++;
                }
            }

            if (died > 0)
            {
                survival *= 1 - ((double)died / atRisk);
                curve.Add(new SurvivalPoint(Math.Round(t, 3), Math.Round(survival, 6)));
            }

            atRisk -= left;
        }

        var longest = sorted.Count == 0 ? 0 : sorted[^1].LifetimeS;
        return new SurvivalSummary(
            sorted.Count,
            events,
            curve.FirstOrDefault(p => p.Survival <= 0.5)?.TimeS,
            longest >= 3600 ? At(curve, 3600) : null,
            longest >= 86400 ? At(curve, 86400) : null,
            Thin(curve))
        {
            LongestS = Math.Round(longest, 3),
        };
    }

    /// <summary>S(t): the survival of the last step at or before t.</summary>
    public static double At(IReadOnlyList<SurvivalPoint> curve, double t)
    {
        ArgumentNullException.ThrowIfNull(curve);
        return curve.LastOrDefault(p => p.TimeS <= t)?.Survival ?? 1;
    }

    private static List<SurvivalPoint> Thin(List<SurvivalPoint> curve)
    {
        if (curve.Count <= MaxPoints)
        {
            return curve;
        }

        // Keep the first and last steps and an even spread between; each kept point is a real step.
        var step = (curve.Count - 1) / (double)(MaxPoints - 1);
        return Enumerable.Range(0, MaxPoints).Select(i => curve[(int)Math.Round(i * step)]).Distinct().ToList();
    }
}

public sealed record SurvivalPoint(double TimeS, double Survival);
