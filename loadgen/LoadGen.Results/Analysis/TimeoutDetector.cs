namespace LoadGen.Results.Analysis;

/// <summary>
/// Finds timeouts in unplanned stream ends. A timer fires at its value or later, never earlier: a busy
/// proxy fires late, and a timer kept per connection (NGINX 1.22's client_body_timeout, re-armed by any
/// frame on the HTTP/2 connection) cuts all quiet streams of a connection at once, each stream having
/// been quiet at least that long. So for each cause, the ends'
/// client-quiet, server-quiet and age values are anchored at their 10th percentile, and a timeout is
/// claimed there when at least 3 ends of that cause exist, the anchor is at least 0.5 s, and 80% of
/// the values lie in [anchor, anchor + max(1.5 s, 10%)]. The quiet times of ordinary traffic (spread
/// from 0 to the message interval) never pass, and a quiet-time claim must be at least
/// <c>minQuiet</c> (see <see cref="MinQuiet"/>: a shorter timeout cannot be told apart from the gaps
/// of the traffic itself, which a loaded path stretches). No cluster, no claim. Ends
/// that all happened at one moment while their ages spread are a mass event, not an age limit: no claim.
/// </summary>
public static class TimeoutDetector
{
    private const int MinEnds = 3;
    private const double Share = 0.8;
    private const double MinSeconds = 0.5;

    public static IReadOnlyList<DetectedTimeout> Detect(IEnumerable<EndSample> ends, TimeSpan minQuiet = default)
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

            var client = Cluster(list.Select(e => e.ClientQuietS)) is { } cq && cq >= minQuiet.TotalSeconds ? cq : (double?)null;
            var server = Cluster(list.Select(e => e.ServerQuietS)) is { } sq && sq >= minQuiet.TotalSeconds ? sq : (double?)null;
            var age = Cluster(list.Select(e => e.LifetimeS));
            (string Direction, double Seconds)? claim = null;
            if (client is { } c && server is { } s)
            {
                claim = Math.Abs(c - s) <= Tolerance(Math.Max(c, s))
                    ? (QuietSides.BothQuiet, Math.Min(c, s))
                    : c > s ? (QuietSides.ClientQuiet, c) : (QuietSides.ServerQuiet, s);
            }
            else if (client is { } c1)
            {
                claim = (QuietSides.ClientQuiet, c1);
            }
            else if (server is { } s1)
            {
                claim = (QuietSides.ServerQuiet, s1);
            }
            else if (age is { } a)
            {
                claim = (QuietSides.Age, a);
            }

            if (claim is { } x && !AtOneMoment(list, x.Direction))
            {
                found.Add(new DetectedTimeout(x.Direction, Math.Round(x.Seconds, 1), group.Key, list.Count));
            }
        }

        return found;
    }

    /// <summary>
    /// True for an age claim whose ends happened at one moment while their ages spread: a mass event
    /// (a proxy restarted, a gateway drained, a reload's old worker timed out) — the clock explains the
    /// ends better than a per-stream age limit. Quiet-time claims are kept even then: a timer kept per
    /// connection (NGINX 1.22's client_body_timeout is re-armed by any frame on the connection) cuts
    /// every quiet stream of a connection at once, and the least quiet of them carries its value.
    /// </summary>
    private static bool AtOneMoment(List<EndSample> ends, string direction)
    {
        if (direction != QuietSides.Age || ends.Any(e => double.IsNaN(e.EndedAtS)))
        {
            return false;
        }

        // Ages that differ by less than a second can be one timer seen through jittery header
        // latency (streams opened together): only a clearly spread population is a mass event.
        var ageSpread = Spread(ends.Select(e => e.LifetimeS));
        return ageSpread >= 1.0 && Spread(ends.Select(e => e.EndedAtS)) < ageSpread / 4;
    }

    /// <summary>10th to 90th percentile range.</summary>
    private static double Spread(IEnumerable<double> values)
    {
        var v = values.Order().ToList();
        return v[(int)Math.Ceiling(0.9 * (v.Count - 1))] - v[(int)Math.Floor(0.1 * (v.Count - 1))];
    }

    /// <summary>
    /// The shortest quiet time a claim may have: two message intervals, and more than one interval plus
    /// the path's own tail (p99.9 of the round trip or of the client's send lag, whichever is larger).
    /// A stream's ordinary gaps are an interval plus how late its replies (or its own sends) come; on a
    /// loaded machine with a seconds-long latency tail, a seconds-long quiet before a mass reset is the
    /// path's slowness, not a timer.
    /// </summary>
    public static TimeSpan MinQuiet(TimeSpan interval, double? rttP999Ms, double? sendLagP999Ms)
    {
        var tail = TimeSpan.FromMilliseconds(Math.Max(rttP999Ms ?? 0, sendLagP999Ms ?? 0));
        var traffic = interval + tail;
        var floor = 2 * interval;
        return traffic > floor ? traffic : floor;
    }

    private static double Tolerance(double anchor) => Math.Max(1.5, 0.1 * anchor);

    /// <summary>The anchor (10th percentile) when the values cluster just above it; otherwise null.</summary>
    private static double? Cluster(IEnumerable<double> values)
    {
        var v = values.Order().ToList();
        var anchor = v[(int)Math.Floor(0.1 * (v.Count - 1))];
        if (anchor < MinSeconds)
        {
            return null;
        }

        var tol = Tolerance(anchor);
        var near = v.Count(x => x >= anchor && x <= anchor + tol);
        return near >= Share * v.Count ? anchor : null;
    }
}
