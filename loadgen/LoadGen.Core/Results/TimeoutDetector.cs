using LoadGen.Core.Engine;

namespace LoadGen.Core.Results;

/// <summary>
/// A timeout the path imposes, inferred from stream ends that cluster tightly at one value:
/// direction client-quiet, server-quiet, both-quiet or age.
/// </summary>
public sealed record DetectedTimeout(string Direction, double Seconds, string Cause, long Count);

/// <summary>
/// Finds timeouts in unplanned stream ends. For each cause, the ends' client-quiet, server-quiet and
/// age values are checked for a tight cluster (80% within ±max(0.5 s, 5%) of the median, at least 3
/// ends, median ≥ 0.5 s). No cluster, no claim.
/// </summary>
public static class TimeoutDetector
{
    private const int MinEnds = 3;
    private const double Share = 0.8;
    private const double MinSeconds = 0.5;

    public static IReadOnlyList<DetectedTimeout> Detect(IEnumerable<EndSample> ends)
    {
        ArgumentNullException.ThrowIfNull(ends);
        var found = new List<DetectedTimeout>();
        foreach (var group in ends.Where(e => !e.Planned).GroupBy(e => e.Cause, StringComparer.Ordinal))
        {
            var list = group.ToList();
            if (list.Count < MinEnds)
            {
                continue;
            }

            var client = Cluster(list.Select(e => e.ClientQuietS));
            var server = Cluster(list.Select(e => e.ServerQuietS));
            var age = Cluster(list.Select(e => e.LifetimeS));
            (string Direction, double Seconds)? claim = null;
            if (client is { } c && server is { } s)
            {
                claim = Math.Abs(c - s) <= Tolerance(Math.Max(c, s))
                    ? ("both-quiet", Math.Min(c, s))
                    : c > s ? ("client-quiet", c) : ("server-quiet", s);
            }
            else if (client is { } c1)
            {
                claim = ("client-quiet", c1);
            }
            else if (server is { } s1)
            {
                claim = ("server-quiet", s1);
            }
            else if (age is { } a)
            {
                claim = ("age", a);
            }

            if (claim is { } x)
            {
                found.Add(new DetectedTimeout(x.Direction, Math.Round(x.Seconds, 1), group.Key, list.Count));
            }
        }

        return found;
    }

    private static double Tolerance(double median) => Math.Max(0.5, 0.05 * median);

    /// <summary>The median when the values cluster tightly around it; otherwise null.</summary>
    private static double? Cluster(IEnumerable<double> values)
    {
        var v = values.Order().ToList();
        var median = v[v.Count / 2];
        if (median < MinSeconds)
        {
            return null;
        }

        var tol = Tolerance(median);
        var near = v.Count(x => Math.Abs(x - median) <= tol);
        return near >= Share * v.Count ? median : null;
    }
}
