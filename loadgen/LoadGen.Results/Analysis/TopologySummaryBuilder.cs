using HdrHistogram;

namespace LoadGen.Results.Analysis;

/// <summary>
/// What one topology's summary is made of — the same inputs whether the engine hands them over live
/// (at the end, or mid-run for the rolling summary and abortOnFail checks) or a run folder gives them
/// back after a kill. Counts come from the interval records, latency from the merged histograms, ends
/// from outcome samples.
/// </summary>
public sealed record TopologyInputs
{
    public required string Name { get; init; }

    public required string Address { get; init; }

    public string? Components { get; init; }

    public string? Connection { get; init; }

    /// <summary>What the path announced on the wire; null when nothing was recorded (a run before fingerprints, or killed).</summary>
    public PathSeen? Path { get; init; }

    public string? Method { get; init; }

    public string? Matching { get; init; }

    /// <summary>The message plan's interval: how quiet ordinary traffic is, for timeout detection.</summary>
    public TimeSpan MessageInterval { get; init; }

    /// <summary>This topology's interval records, in the order written.</summary>
    public required IReadOnlyList<IntervalRecord> Intervals { get; init; }

    /// <summary>Whole-run histograms (µs) by kind: rtt, rtt-uncorrected, open, send-lag, reconnect, reply-gap; a missing kind is empty.</summary>
    public required IReadOnlyDictionary<string, HistogramBase> Histograms { get; init; }

    /// <summary>Ends of opened streams (all of them, or a uniform sample of <see cref="EndsSeen"/>).</summary>
    public required IReadOnlyList<EndSample> Ends { get; init; }

    /// <summary>How many ends <see cref="Ends"/> stands for (more than its count when it is a sample).</summary>
    public long EndsSeen { get; init; }

    /// <summary>Ages (s since response headers) of the streams still open: censored in survival, counted in exposure. Empty at the end of a run.</summary>
    public IReadOnlyList<double> LiveAgesS { get; init; } = [];

    /// <summary>This topology's fault events; their affected spans are left out of timeout detection.</summary>
    public IReadOnlyList<FaultEvent> Events { get; init; } = [];
}

/// <summary>
/// The one place a <see cref="TopologySummary"/> is made: the engine at the end, the engine mid-run,
/// and a killed run's rebuild all call it, so they cannot disagree.
/// </summary>
public static class TopologySummaryBuilder
{
    /// <summary>Histogram kinds, as tagged in latency.hlog ("&lt;topology&gt;.&lt;kind&gt;").</summary>
    public const string Rtt = "rtt";
    public const string RttUncorrected = "rtt-uncorrected";
    public const string Open = "open";
    public const string SendLag = "send-lag";
    public const string Reconnect = "reconnect";
    public const string ReplyGap = "reply-gap";

    public static TopologySummary Build(TopologyInputs inputs)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        var iv = inputs.Intervals;
        HistogramBase H(string kind) => inputs.Histograms.TryGetValue(kind, out var h) ? h : Results.Histograms.Create();
        var latency = LatencyStats.From(H(Rtt));
        var sendLag = LatencyStats.From(H(SendLag));
        var ends = inputs.Ends;
        // Past the sample's size the ends are a uniform sample: counts found in it scale back up.
        var scale = ends.Count == 0 ? 1.0 : Math.Max(1, inputs.EndsSeen) / (double)ends.Count;
        // Streams a fault on cue ended are the fault's doing, not a timeout's: left out of detection.
        var windows = inputs.Events.Where(e => e.Topology == inputs.Name && e.AffectedFrom is not null && e.AffectedUntil is not null)
            .Select(e => (From: EndSamples.UnixSeconds(e.AffectedFrom!.Value), To: EndSamples.UnixSeconds(e.AffectedUntil!.Value)))
            .ToList();
        var timerEnds = ends.Where(e => !windows.Any(w => e.EndedAtS >= w.From && e.EndedAtS <= w.To));
        var last = iv.Count > 0 ? iv[^1] : null;
        var opened = iv.Sum(i => i.Opened);
        var (timeouts, limits) = TimeoutDetector.Analyse(timerEnds, TimeoutDetector.MinQuiet(inputs.MessageInterval, latency.P999, sendLag.P999),
            new ConnectionChurn(iv.GroupBy(i => i.Round).Sum(r => (long)r.Max(i => i.ConnectionsPlanned)), iv.Sum(i => i.ConnectionsOpened), opened,
                iv.Select(i => (long)(i.PeakActive ?? i.Active)).DefaultIfEmpty(0).Max(), last?.StreamsPerConnection ?? 0, Math.Max(1, iv.Select(i => i.Round ?? 1).Distinct().Count())));
        return new TopologySummary
        {
            Name = inputs.Name,
            Address = inputs.Address,
            Components = inputs.Components,
            Connection = inputs.Connection,
            Path = inputs.Path,
            DurationS = Math.Round(iv.Sum(i => (i.End - i.Start).TotalSeconds), 3),
            Rounds = Math.Max(1, iv.Select(i => i.Round ?? 1).Distinct().Count()),
            Streams = new StreamCounts(iv.Sum(i => i.Attempted), opened, iv.Sum(i => i.Ended),
                iv.Select(i => i.PeakActive ?? i.Active).DefaultIfEmpty(0).Max(), iv.Sum(i => i.WaitedForSlot)),
            Messages = new MessageCounts(iv.Sum(i => i.Sent), iv.Sum(i => i.Received)) { Unanswered = iv.Sum(i => i.UnansweredByCause?.Values.Sum() ?? 0) },
            LatencyMs = latency,
            LatencyUncorrectedMs = LatencyStats.From(H(RttUncorrected)),
            OpenLatencyMs = LatencyStats.From(H(Open)),
            SendLagMs = sendLag,
            Outcomes = SumByCause(iv),
            UnansweredByCause = Sum(iv.Select(i => i.UnansweredByCause)),
            Connections = new ConnectionCounts(last?.ConnectionsPlanned ?? 0, last?.StreamsPerConnection ?? 0, iv.Sum(i => i.ConnectionsOpened)),
            DetectedTimeouts = [.. timeouts.Select(d => d with { Count = (long)Math.Round(d.Count * scale) })],
            DetectedLimits = [.. limits.Select(d => d with { Count = (long)Math.Round(d.Count * scale) })],
            StreamHours = Math.Round((iv.Sum(i => i.StreamSeconds) + inputs.LiveAgesS.Sum()) / 3600.0, 6),
            Population = Held(iv),
            Reconnects = new ReconnectStats(iv.Sum(i => i.Reconnects), LatencyStats.From(H(Reconnect)), iv.Sum(i => i.LostForGood)),
            Method = inputs.Method,
            Matching = inputs.Matching,
            // Only count-only workloads record reply gaps.
            ReplyGapMs = inputs.Histograms.TryGetValue(ReplyGap, out var gap) ? LatencyStats.From(gap) : null,
            // Streams still open are censored at their current age: alive that long, end unknown.
            Survival = SurvivalSummary.Compute(ends.Select(e => (e.LifetimeS, !e.Planned)).Concat(inputs.LiveAgesS.Select(a => (a, false)))),
        };
    }

    /// <summary>The population over every interval's hold-phase time (null when there was none, or in folders written before it was recorded).</summary>
    private static PopulationHeld? Held(IReadOnlyList<IntervalRecord> intervals)
    {
        var holds = intervals.Select(i => i.Hold).OfType<HoldRecord>().ToList();
        var seconds = holds.Sum(h => h.Seconds);
        var wanted = holds.Sum(h => h.WantedStreamSeconds);
        if (seconds <= 0 || wanted <= 0)
        {
            return null;
        }

        var share = holds.Sum(h => h.HeldStreamSeconds) / wanted;
        var backoff = holds.Sum(h => h.ShortWhileBackoffS) / seconds;
        // Backoff is the reason when it covers most of the time short of wanted (older folders: a quarter of the hold).
        var shortS = holds.All(h => h.ShortS is not null) ? holds.Sum(h => h.ShortS!.Value) : (double?)null;
        var backoffExplains = shortS is { } sh ? sh > 0 && holds.Sum(h => h.ShortWhileBackoffS) >= 0.5 * sh : backoff >= 0.25;
        var waited = intervals.Sum(i => i.WaitedForSlot);
        string? hint = share >= 0.99 ? null
            : backoffExplains
                ? string.Create(System.Globalization.CultureInfo.InvariantCulture,
                    $"short of wanted {backoff * 100:0}% of the hold while lost streams waited out their reconnect backoff: the path ends streams faster than they come back — see the unplanned ends; a shorter reconnect.initial brings them back sooner")
            : waited > 0
                ? "streams waited for a pool slot: the connections' stream limit is the bottleneck (connections.count, connections.maxStreamsPerConnection)"
            : "streams opened slower than wanted: opens are capped by profile.maxOpensPerSecond and take the open latency";
        return new PopulationHeld(
            Math.Round(seconds, 3),
            Math.Round(wanted / seconds, 1),
            Math.Round(holds.Sum(h => h.HeldStreamSeconds) / seconds, 1),
            Math.Round(share, 4),
            holds.Min(h => h.MinShare),
            Math.Round(backoff, 4),
            hint);
    }

    /// <summary>
    /// Each topology's share of each interleaved round, in the order run: counts from its interval
    /// records, latency from the round's histograms (<paramref name="roundHistograms"/>, by topology and round).
    /// </summary>
    public static IReadOnlyList<RoundSummary> Rounds(IEnumerable<IntervalRecord> intervals, IReadOnlyDictionary<(string Topology, int Round), (HistogramBase Rtt, HistogramBase Open)> roundHistograms)
    {
        ArgumentNullException.ThrowIfNull(intervals);
        ArgumentNullException.ThrowIfNull(roundHistograms);
        return intervals.Where(i => i.Round is not null)
            .GroupBy(i => (i.Topology, Round: i.Round!.Value))
            .Select(g =>
            {
                var list = g.ToList();
                var h = roundHistograms.TryGetValue(g.Key, out var found) ? found : (Histograms.Create(), Histograms.Create());
                return new RoundSummary
                {
                    Topology = g.Key.Topology,
                    Round = g.Key.Round,
                    StartedAt = list[0].Start,
                    DurationS = Math.Round(list.Sum(i => (i.End - i.Start).TotalSeconds), 3),
                    Streams = new StreamCounts(list.Sum(i => i.Attempted), list.Sum(i => i.Opened), 0, 0, 0),
                    Messages = new MessageCounts(list.Sum(i => i.Sent), list.Sum(i => i.Received)),
                    LatencyMs = LatencyStats.From(h.Item1),
                    OpenLatencyMs = LatencyStats.From(h.Item2),
                    Outcomes = SumByCause(list),
                };
            })
            .OrderBy(r => r.StartedAt)
            .ToList();
    }

    /// <summary>Ends by cause over <paramref name="intervals"/>, most frequent first (ties by name).</summary>
    private static Dictionary<string, long> SumByCause(IEnumerable<IntervalRecord> intervals) => Sum(intervals.Select(i => i.EndsByCause));

    /// <summary>Counts by cause added up, most first (ties by name), zeros left out.</summary>
    private static Dictionary<string, long> Sum(IEnumerable<IReadOnlyDictionary<string, long>?> counts) =>
        counts.OfType<IReadOnlyDictionary<string, long>>().SelectMany(c => c)
            .GroupBy(kv => kv.Key, StringComparer.Ordinal)
            .Select(g => (g.Key, N: g.Sum(kv => kv.Value)))
            .Where(x => x.N > 0)
            .OrderByDescending(x => x.N).ThenBy(x => x.Key, StringComparer.Ordinal)
            .ToDictionary(x => x.Key, x => x.N, StringComparer.Ordinal);
}
