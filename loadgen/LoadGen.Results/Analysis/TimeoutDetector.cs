namespace LoadGen.Results.Analysis;

/// <summary>
/// Finds the timeouts and limits a path imposes from its unplanned stream ends (docs/outcomes.md,
/// "Detected timeouts and limits"). For each cause with at least 3 ends, in this order:
/// <list type="number">
/// <item>Ends that follow a GOAWAY (goaway:*, connection-closed-after-goaway) ended with their
/// <b>connection</b>: when the client had to open more connections than planned, that is a connection
/// limit (requests per connection, connection age), never a stream timeout.</item>
/// <item>A <b>quiet</b> timeout: the ends' client-quiet (or server-quiet) times cluster — 80% within
/// [anchor, anchor + max(1.5 s, 10%)], the anchor the lowest such value, at least 0.5 s — <i>and</i> streams
/// rarely lived through a quiet that long: of the quiet spells that reached the anchor, at least two thirds
/// ended the stream (each stream's longest survived gap, recorded per side). A timer fires at its
/// value or later, never earlier, so the ends pile up there while survivors' gaps stay below it; ordinary
/// traffic — stretched by a loaded path or not — shows the same gaps in survivors and ends. No floor tied
/// to the message interval: a 5 s timer is found with messages every 1 s, 10 s or 30 s. Outcome files
/// written before the survived gaps were recorded fall back to <c>minQuiet</c>.</item>
/// <item>A <b>message limit</b>: 90% of the ends at one sent count N (or up to 2 past it: a late client sends on
/// before it reads the end), and the count's clock explains the ends better than the age's: lifetime minus the stream's
/// recorded phase (its first scheduled send) spreads less than the lifetime (10th–90th percentile spreads); in files
/// without phases, the time from each stream's last send to its end spreads less than its lifetime and than half a send
/// interval: the server counted.</item>
/// <item>An <b>age</b> timeout: lifetimes cluster as above — unless the ends happened at one moment while
/// their ages spread (a mass event: a restart, a drain).</item>
/// </list>
/// </summary>
public static class TimeoutDetector
{
    private const int MinEnds = 3;
    private const double Share = 0.8;
    private const double MinSeconds = 0.5;
    private const double CountShare = 0.9;

    /// <summary>Sends past a message limit a late client may still make before it reads the end.</summary>
    private const int LateSends = 2;

    /// <summary>Timeouts only (see <see cref="Analyse"/>).</summary>
    public static IReadOnlyList<DetectedTimeout> Detect(IEnumerable<EndSample> ends, TimeSpan minQuiet = default) =>
        Analyse(ends, minQuiet).Timeouts;

    /// <param name="ends">Every opened stream's end, planned ones included: they are the survivors.</param>
    /// <param name="minQuiet">Only for ends without survived gaps (older files): the shortest quiet a claim may have (<see cref="MinQuiet"/>).</param>
    /// <param name="churn">Connections planned and opened, and streams opened: whether connections were replaced, and how many streams each carried.</param>
    public static (IReadOnlyList<DetectedTimeout> Timeouts, IReadOnlyList<DetectedLimit> Limits) Analyse(
        IEnumerable<EndSample> ends, TimeSpan minQuiet = default, ConnectionChurn? churn = null)
    {
        ArgumentNullException.ThrowIfNull(ends);
        var all = ends.ToList();
        var timeouts = new List<DetectedTimeout>();
        var limits = new List<DetectedLimit>();
        foreach (var group in all.Where(e => !e.Planned).GroupBy(e => e.Cause, StringComparer.Ordinal))
        {
            var list = group.ToList();
            if (list.Count < MinEnds)
            {
                continue;
            }

            if (IsConnectionEnd(group.Key))
            {
                if (churn is { } c && c.Opened > c.Planned && ConnectionLimit(group.Key, list, all, c) is { } limit)
                {
                    limits.Add(limit);
                }

                continue;
            }

            if (QuietClaim(list, all, minQuiet) is { } quiet)
            {
                timeouts.Add(new DetectedTimeout(quiet.Direction, Math.Round(quiet.Seconds, 1), group.Key, list.Count));
            }
            else if (MessageLimit(group.Key, list) is { } limit)
            {
                limits.Add(limit);
            }
            else if (Cluster(list.Select(e => e.LifetimeS)) is { } age && !AtOneMoment(list))
            {
                timeouts.Add(new DetectedTimeout(QuietSides.Age, Math.Round(age, 1), group.Key, list.Count));
            }
        }

        if (churn is { } ch && ConcurrentStreamsLimit(all, ch) is { } concurrent)
        {
            limits.Add(concurrent);
        }

        return (timeouts, limits);
    }

    /// <summary>
    /// More connections than planned while every stream reached its planned end: the client spread the streams over extra connections
    /// because the server allows fewer concurrent streams on one (its SETTINGS_MAX_CONCURRENT_STREAMS) than the plan
    /// puts there — grpc-go's MaxConcurrentStreams, C-core's grpc.max_concurrent_streams, NGINX's http2_max_concurrent_streams.
    /// </summary>
    private static DetectedLimit? ConcurrentStreamsLimit(List<EndSample> all, ConnectionChurn churn)
    {
        // Only when every stream reached its planned end: any other end (a reset NGINX follows with a close, a lost
        // connection) may have cost a connection, and then the extra connections are replacements, not a stream limit.
        if (churn.Opened <= churn.Planned || churn.PeakActive <= 0 || churn.PerConnection <= 0 || all.Any(e => !e.Planned))
        {
            return null;
        }

        // Each round carries the peak on its own connections.
        var allowed = (long)Math.Ceiling(churn.PeakActive / (churn.Opened / (double)Math.Max(1, churn.Rounds)));
        return allowed >= churn.PerConnection ? null
            : new DetectedLimit(DetectedLimit.ConcurrentStreams, allowed, "", churn.Opened, string.Create(System.Globalization.CultureInfo.InvariantCulture,
                $"the server allows about {allowed} concurrent streams per connection (its SETTINGS_MAX_CONCURRENT_STREAMS), fewer than the plan's {churn.PerConnection}: " +
                $"the client opened {churn.Opened} TCP connections for {churn.Planned} planned{(churn.Rounds > 1 ? $" over {churn.Rounds} rounds" : "")} to carry {churn.PeakActive:#,0} streams — set connections.maxStreamsPerConnection: {allowed}"));
    }

    /// <summary>
    /// Each end's quiet time as its batch shows it: ends of one connection within 200 ms of each other are one
    /// firing, and a timer kept per connection (NGINX 1.22's client_body_timeout) fires when the connection — the
    /// least quiet of its streams — has been quiet that long, cutting every stream on it; so each end of a batch
    /// counts the batch's smallest quiet time. A stream that sent 3 s into a 30 s interval re-arms the connection,
    /// and the others are cut 5 s after it, 8 s quiet themselves: the batch says 5 s. Per-stream timers end streams
    /// one by one, a batch of one: their own values.
    /// </summary>
    private static List<double> BatchQuiet(List<EndSample> list, Func<EndSample, double> quiet)
    {
        var result = new List<double>(list.Count);
        foreach (var connection in list.GroupBy(e => e.Connection))
        {
            var batch = new List<EndSample>();
            foreach (var e in connection.OrderBy(e => e.EndedAtS))
            {
                if (batch.Count > 0 && (double.IsNaN(e.EndedAtS) || e.EndedAtS - batch[^1].EndedAtS > 0.2))
                {
                    Flush();
                }

                batch.Add(e);
            }

            Flush();

            void Flush()
            {
                var least = batch.Min(quiet);
                result.AddRange(batch.Select(_ => least));
                batch.Clear();
            }
        }

        return result;
    }

    /// <summary>Causes that end every stream of a connection at once: the server's GOAWAY, and the close after it.</summary>
    private static bool IsConnectionEnd(string cause) =>
        cause.StartsWith("goaway:", StringComparison.Ordinal) || cause == EndCauses.ClosedAfterGoAway;

    private static (string Direction, double Seconds)? QuietClaim(List<EndSample> list, List<EndSample> all, TimeSpan minQuiet)
    {
        var client = Supported(BatchQuiet(list, e => e.ClientQuietS), all, e => e.SurvivedClientQuietS, minQuiet);
        var server = Supported(BatchQuiet(list, e => e.ServerQuietS), all, e => e.SurvivedServerQuietS, minQuiet);
        if (client is { } c && server is { } s)
        {
            return Math.Abs(c - s) <= Tolerance(Math.Max(c, s))
                ? (QuietSides.BothQuiet, Math.Min(c, s))
                : c > s ? (QuietSides.ClientQuiet, c) : (QuietSides.ServerQuiet, s);
        }

        return client is { } c1 ? (QuietSides.ClientQuiet, c1)
            : server is { } s1 ? (QuietSides.ServerQuiet, s1)
            : null;
    }

    /// <summary>
    /// The quiet values' cluster anchor when streams did not routinely survive that much quiet on this side:
    /// a timer at T ends the quiet spells that reach T, so of the spells that reached the anchor (the ends at
    /// or past it, and the streams whose longest survived gap did), at least two thirds must have ended here.
    /// A mass reset of streams whose gaps are a second long, its ends read late by a busy client, clusters
    /// at 0.5 s — but every stream had lived through a second of quiet: no timer there.
    /// </summary>
    private static double? Supported(IEnumerable<double> quiet, List<EndSample> all, Func<EndSample, double> survived, TimeSpan minQuiet)
    {
        var values = quiet.ToList();
        if (Cluster(values) is not { } anchor)
        {
            return null;
        }

        var known = all.Select(survived).Where(v => !double.IsNaN(v)).ToList();
        if (known.Count == 0)
        {
            return anchor >= minQuiet.TotalSeconds ? anchor : null;
        }

        var died = values.Count(v => v >= anchor);
        var lived = known.Count(v => v >= anchor);
        return lived * 2 <= died ? anchor : null;
    }

    /// <summary>Ends at one sent count, each right after its last send: "ends after N messages".</summary>
    private static DetectedLimit? MessageLimit(string cause, List<EndSample> list)
    {
        if (list.Any(e => e.Sent < 0))
        {
            return null;
        }

        // The most common count N; a client late to read the server's end keeps sending on schedule meanwhile, so a
        // loaded client shows some ends at N + 1 or N + 2 (measured: 4×201, 5×24, 6×4 for a server that ends after 4).
        var n = list.GroupBy(e => e.Sent).MaxBy(g => g.Count())!.Key;
        var counted = list.Where(e => e.Sent >= n && e.Sent <= n + LateSends).ToList();
        if (n < 1 || counted.Count < CountShare * list.Count)
        {
            return null;
        }

        // Which clock explains the ends. With each stream's phase recorded, directly: a server counting messages ends a
        // stream a fixed number of intervals after its first scheduled send (lifetime − phase is tight), a timer at one
        // age (the lifetime is tight). A loaded client blurs both clocks alike, so the comparison holds under load, where
        // the time since the last send does not (late sends bunch up just before the end is read).
        var phased = counted.Where(e => double.IsFinite(e.PhaseS)).ToList();
        if (phased.Count >= CountShare * counted.Count && phased.Count >= MinEnds)
        {
            return Spread(phased.Select(e => e.LifetimeS - e.PhaseS)) < Spread(phased.Select(e => e.LifetimeS))
                ? new DetectedLimit(DetectedLimit.Messages, n, cause, list.Count, $"ends after {n} message{(n == 1 ? "" : "s")} → {cause}")
                : null;
        }

        // Without phases (older files): a server counting messages ends each stream a round trip after its last
        // send (end − last send is tight; the lifetimes spread with each stream's phase), a timer ends it at one
        // age (the lifetimes are tight; the time since the last send spreads over the interval).
        var quietSpread = Spread(counted.Select(e => e.ClientQuietS));
        if (quietSpread >= Spread(counted.Select(e => e.LifetimeS)))
        {
            return null;
        }

        // And the time since the last send must not spread over the send interval (each stream's longest survived gap
        // is one interval, or more): that is a clock cutting streams at every phase, whatever the lifetimes do. Under
        // load the lifetimes of a 2 s max stream duration spread past the 80 ms the time since the last send spread at a
        // 100 ms interval, and its 21 sends read as a message limit.
        var gaps = counted.Select(e => e.SurvivedClientQuietS).Where(g => double.IsFinite(g) && g > 0).Order().ToList();
        if (gaps.Count > 0 && quietSpread >= 0.5 * gaps[gaps.Count / 2])
        {
            return null;
        }

        return new DetectedLimit(DetectedLimit.Messages, n, cause, list.Count,
            $"ends after {n} message{(n == 1 ? "" : "s")} → {cause}");
    }

    /// <summary>
    /// Connections the server ended (GOAWAY) while the client kept replacing them: how many streams each
    /// carried (streams opened per connection opened) and, when the connections' ages cluster, at what age.
    /// </summary>
    private static DetectedLimit? ConnectionLimit(string cause, List<EndSample> list, List<EndSample> all, ConnectionChurn churn)
    {
        var perConnection = churn.Opened == 0 ? 0 : churn.StreamsOpened / (double)churn.Opened;
        // Each ended connection's age when it ended: the oldest its streams saw it.
        var ages = list.Where(e => e.Connection > 0 && !double.IsNaN(e.ConnectionAgeS))
            .GroupBy(e => e.Connection)
            .Select(g => g.Max(e => e.ConnectionAgeS))
            .ToList();
        // Two connections that ended at one age are already a pattern: each carried many streams.
        var age = ages.Count >= 2 ? Cluster(ages) : null;
        if (cause == EndCauses.GoAway(0xb))
        {
            // Keepalive enforcement ends a connection for the client's pings: its age and its stream count say nothing
            // about a limit of the path (the same connection lives as long as the client pings less often).
            return new DetectedLimit(DetectedLimit.Connection, Math.Round(perConnection, 1), cause, list.Count, string.Create(System.Globalization.CultureInfo.InvariantCulture,
                $"the server ends connections for the client's keepalive pings → {cause}: {churn.Opened} TCP connections for {churn.Planned} planned; not an age or a stream limit — set keepalive.delay at or above the server's minimum ping interval"));
        }

        var text = string.Create(System.Globalization.CultureInfo.InvariantCulture,
            $"the server ends connections → {cause}: {churn.Opened} TCP connections for {churn.Planned} planned, about {perConnection:0.#} streams per connection");
        // Each ended connection's streams, every end counted (not only this cause's): one count on every connection is a
        // request-count limit's signature (NGINX keepalive_requests, Envoy max_requests_per_connection).
        var ended = list.Where(e => e.Connection > 0).Select(e => e.Connection).ToHashSet();
        var counts = all.Where(e => ended.Contains(e.Connection)).GroupBy(e => e.Connection).Select(g => g.Count()).ToList();
        var fixedCount = counts.Count >= 2 && counts.Max() - counts.Min() <= Math.Max(1, 0.1 * counts.Max());
        // Long-lived streams fill each new connection with the plan's share of the population: that count is the plan's, no limit.
        var planShare = churn.Planned > 0 && churn.PeakActive > 0 ? Math.Ceiling(churn.PeakActive / (double)churn.Planned) : 0;
        fixedCount &= planShare == 0 || Math.Abs(counts.Max() - planShare) > 1;
        if (age is { } a)
        {
            text += string.Create(System.Globalization.CultureInfo.InvariantCulture, $", each at about {a:0.#} s of age");
            if (fixedCount)
            {
                // Both clocks explain the ends: say which setting each would be, and how to tell them apart.
                text += " — a request-count limit (keepalive_requests, max_requests_per_connection) if the count holds when the open rate changes, a connection age limit (MAX_CONNECTION_AGE, max_connection_duration) if the age does";
            }
        }
        else if (fixedCount)
        {
            text += string.Create(System.Globalization.CultureInfo.InvariantCulture, $", each after {counts.Max()} streams: a request-count limit (NGINX keepalive_requests, Envoy max_requests_per_connection), not an age");
        }

        return new DetectedLimit(DetectedLimit.Connection, Math.Round(perConnection, 1), cause, list.Count, text) { ConnectionAgeS = age is { } x ? Math.Round(x, 1) : null };
    }

    /// <summary>
    /// True when the ends happened at one moment while their ages spread: a mass event (a proxy restarted,
    /// a gateway drained, a reload's old worker timed out) — the clock explains the ends better than a
    /// per-stream age limit. Quiet-time claims are kept even then: a timer kept per connection cuts every
    /// quiet stream of a connection at once, and the least quiet of them carries its value.
    /// </summary>
    private static bool AtOneMoment(List<EndSample> ends)
    {
        if (ends.Any(e => double.IsNaN(e.EndedAtS)))
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
    /// For outcome files without survived gaps only: the shortest quiet time a claim may have — two message
    /// intervals, and more than one interval plus the path's own tail (p99.9 of the round trip or of the
    /// client's send lag, whichever is larger).
    /// </summary>
    public static TimeSpan MinQuiet(TimeSpan interval, double? rttP999Ms, double? sendLagP999Ms)
    {
        var tail = TimeSpan.FromMilliseconds(Math.Max(rttP999Ms ?? 0, sendLagP999Ms ?? 0));
        var traffic = interval + tail;
        var floor = 2 * interval;
        return traffic > floor ? traffic : floor;
    }

    private static double Tolerance(double anchor) => Math.Max(1.5, 0.1 * anchor);

    /// <summary>
    /// The cluster's anchor — the lowest value (at least 0.5 s) whose window [v, v + max(1.5 s, 10%)] holds
    /// 80% of the values — or null when no window does. A timer fires at its value or later, so the anchor
    /// is where the pile starts; up to a fifth of the values may lie outside it on either side (a stream that
    /// sent just before a per-connection cut is not quiet, yet ends with the rest).
    /// </summary>
    private static double? Cluster(IEnumerable<double> values)
    {
        var v = values.Order().ToList();
        var need = Share * v.Count;
        var end = 0;
        for (var i = 0; i < v.Count; i++)
        {
            if (v.Count - i < need)
            {
                return null;
            }

            if (v[i] < MinSeconds)
            {
                continue;
            }

            var limit = v[i] + Tolerance(v[i]);
            end = Math.Max(end, i);
            while (end < v.Count && v[end] <= limit)
            {
                end++;
            }

            if (end - i >= need)
            {
                return v[i];
            }
        }

        return null;
    }
}

/// <summary>What the connection pool did: connections planned and opened, streams opened — whether connections were replaced.</summary>
/// <param name="PeakActive">The most streams open at once (0: unknown).</param>
/// <param name="PerConnection">The plan's streams per connection (connections.maxStreamsPerConnection; 0: unknown).</param>
/// <param name="Rounds">How many rounds the counts add up (each round plans and opens its own connections).</param>
public readonly record struct ConnectionChurn(long Planned, long Opened, long StreamsOpened, long PeakActive = 0, long PerConnection = 0, int Rounds = 1);
