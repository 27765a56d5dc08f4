using System.Globalization;
using HdrHistogram;
using LoadGen.Results;

namespace LoadGen.Reports;

/// <summary>One side of a comparison: a topology of a run.</summary>
public sealed record Side(string Label, RunData Run, TopologySummary Topology);

/// <summary>A latency figure on both sides and the candidate's delta with its interval, in words.</summary>
public sealed record DeltaRow(string Metric, double? Baseline, double? Candidate, Estimate? Delta, string Reading);

/// <summary>A stream-end cause's rate per 1,000 stream-hours on both sides and their ratio, in words.</summary>
public sealed record RateRow(string Cause, long BaselineCount, long CandidateCount, double BaselineRate, double CandidateRate, Estimate Ratio, string Reading);

/// <summary>Baseline against candidate, with the statistics that say whether a difference is real.</summary>
public sealed record TopologyComparison(
    Side Baseline,
    Side Candidate,
    IReadOnlyList<DeltaRow> Latency,
    IReadOnlyList<RateRow> Causes,
    double BaselineStreamHours,
    double CandidateStreamHours,
    IReadOnlyList<string> NewCauses,
    IReadOnlyList<string> Worse,
    IReadOnlyList<string> Better)
{
    /// <summary>Why the two sides cannot be compared at all (one never opened a stream); null when they can.</summary>
    public string? Problem { get; init; }

    /// <summary>Interleaved rounds paired the latency differences (else they are over the whole run): see <see cref="DeltaMethod"/>.</summary>
    public int PairedRounds { get; init; }

    /// <summary>How the latency differences and their intervals were made, for the reader of the tables.</summary>
    public string DeltaMethod => PairedRounds > 0
        ? $"Latency differences are the mean over the {PairedRounds} interleaved rounds of each round's candidate − baseline (the two ran back to back, so drift cancels), with a 95% bootstrap interval over rounds; the two columns pool the whole run, so a round that stands out moves them more than the difference. Stream-end rates: the candidate's over the baseline's, with a Poisson interval."
        : "Latency differences are candidate − baseline over the whole of each, with a 95% bootstrap interval from resampling their interval histograms. Stream-end rates: the candidate's over the baseline's, with a Poisson interval.";

    /// <summary>The one-line answer for a release review.</summary>
    public string Verdict => Problem is not null ? $"cannot compare {Candidate.Label} with {Baseline.Label}: {Problem}" : Worse.Count == 0
        ? $"{Candidate.Label} is at least as good as {Baseline.Label}" + (Better.Count > 0 ? $" (better: {string.Join("; ", Better)})" : ": no detectable difference")
        : $"{Candidate.Label} is worse than {Baseline.Label}: {string.Join("; ", Worse)}";

    /// <summary>True when the candidate is worse, or when nothing could be compared (a review must not pass on that).</summary>
    public bool CandidateWorse => Worse.Count > 0 || Problem is not null;

    private static string? NeverOpened(Side side) => side.Topology.Streams.Opened > 0 ? null :
        $"{side.Label} never opened a stream ({side.Topology.Streams.Attempted:#,0} attempts{(side.Topology.Outcomes.OrderByDescending(kv => kv.Value).FirstOrDefault() is { Key: not null } top ? $", most ended {top.Key}" : "")})";

    private static readonly (string Name, double P)[] Percentiles = [("p50", 50), ("p90", 90), ("p99", 99), ("p99.9", 99.9)];

    /// <summary>Compares two topologies, of one run (interleaved rounds) or of two runs (compare-runs).</summary>
    public static TopologyComparison Compare(Side baseline, Side candidate)
    {
        ArgumentNullException.ThrowIfNull(baseline);
        ArgumentNullException.ThrowIfNull(candidate);
        if ((NeverOpened(baseline) ?? NeverOpened(candidate)) is { } problem)
        {
            return new TopologyComparison(baseline, candidate, [], [], 0, 0, [], [], []) { Problem = problem };
        }

        var worse = new List<string>();
        var better = new List<string>();
        var deltas = Deltas(baseline, candidate, "rtt", Percentiles.Select(p => p.P).ToList());
        var latency = new List<DeltaRow>();
        for (var i = 0; i < Percentiles.Length; i++)
        {
            var (name, _) = Percentiles[i];
            double? Pick(TopologySummary t) => name switch { "p50" => t.LatencyMs.P50, "p90" => t.LatencyMs.P90, "p99" => t.LatencyMs.P99, _ => t.LatencyMs.P999 };
            var d = deltas[i];
            var reading = Read(name, d, worse, better, Pick(baseline.Topology));
            latency.Add(new DeltaRow($"latency {name}", Pick(baseline.Topology), Pick(candidate.Topology), d, reading));
        }

        var open = Deltas(baseline, candidate, "open", [99])[0];
        latency.Add(new DeltaRow("stream open p99", baseline.Topology.OpenLatencyMs.P99, candidate.Topology.OpenLatencyMs.P99, open, Read("open p99", open, worse, better, baseline.Topology.OpenLatencyMs.P99)));
        var reconnect = Deltas(baseline, candidate, "reconnect", [99])[0];
        latency.Add(new DeltaRow("reconnect time p99", baseline.Topology.Reconnects?.TimeToReestablishMs.P99, candidate.Topology.Reconnects?.TimeToReestablishMs.P99, reconnect, Read("reconnect p99", reconnect, worse, better, baseline.Topology.Reconnects?.TimeToReestablishMs.P99)));

        var ha = baseline.Run.StreamHours(baseline.Topology.Name);
        var hb = candidate.Run.StreamHours(candidate.Topology.Name);
        var causes = new List<RateRow>();
        var unplanned = baseline.Topology.Outcomes.Keys.Concat(candidate.Topology.Outcomes.Keys)
            .Where(c => !EndCauses.IsPlanned(c))
            .Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
        if (ha > 0 && hb > 0)
        {
            foreach (var cause in unplanned)
            {
                var na = baseline.Topology.Outcomes.GetValueOrDefault(cause);
                var nb = candidate.Topology.Outcomes.GetValueOrDefault(cause);
                var (ra, rb, ratio) = Statistics.RateRatio(na, ha, nb, hb);
                string reading;
                if (!ratio.Significant(1))
                {
                    reading = "no detectable difference";
                }
                else if (ratio.Value > 1)
                {
                    reading = string.Create(CultureInfo.InvariantCulture, $"{Times(ratio.Value)} as often [{Times(ratio.Low)}, {Times(ratio.High)}], significant");
                    worse.Add($"{cause} {Times(ratio.Value)} as often");
                }
                else
                {
                    reading = string.Create(CultureInfo.InvariantCulture, $"{Times(ratio.Value)} as often [{Times(ratio.Low)}, {Times(ratio.High)}], significant");
                    better.Add($"{cause} {Times(ratio.Value)} as often");
                }

                causes.Add(new RateRow(cause, na, nb, ra, rb, ratio, reading));
            }
        }

        var newCauses = unplanned.Where(c => !baseline.Topology.Outcomes.ContainsKey(c) && candidate.Topology.Outcomes.ContainsKey(c)).ToList();
        return new TopologyComparison(baseline, candidate, latency, causes, ha, hb, newCauses, worse, better) { PairedRounds = CountPairedRounds(baseline, candidate) };
    }

    private static string Times(double x) => x switch
    {
        >= 100 => x.ToString("0", CultureInfo.InvariantCulture) + "×",
        >= 10 => x.ToString("0.#", CultureInfo.InvariantCulture) + "×",
        _ => x.ToString("0.##", CultureInfo.InvariantCulture) + "×",
    };

    /// <summary>
    /// Below this a difference is negligible however certain: 0.1 ms or 1% of the baseline value — the
    /// histograms keep 3 significant digits and a message's timers are good to about a millisecond.
    /// </summary>
    public static double Negligible(double? baseline) => Math.Max(0.1, 0.01 * Math.Abs(baseline ?? 0));

    private static string Read(string name, Estimate? d, List<string> worse, List<string> better, double? baseline)
    {
        if (d is null)
        {
            return "not measured on both sides";
        }

        if (double.IsInfinity(d.Low) || double.IsInfinity(d.High))
        {
            return string.Create(CultureInfo.InvariantCulture, $"{name} {Delta(d.Value)}, too few intervals to tell (fewer than {Statistics.MinUnits} per side): no detectable difference");
        }

        var text = string.Create(CultureInfo.InvariantCulture, $"{name} {Delta(d.Value)} [{Delta(d.Low)}, {Delta(d.High)}]");
        if (!d.Significant(0))
        {
            return $"{text}, no detectable difference";
        }

        if (Math.Abs(d.Value) < Negligible(baseline))
        {
            return $"{text}, negligible (below {Delta(Negligible(baseline))[1..]}): no detectable difference";
        }

        (d.Value > 0 ? worse : better).Add(text);
        return $"{text}, significant";
    }

    public static string Delta(double ms) => ms switch
    {
        >= 1000 or <= -1000 => string.Create(CultureInfo.InvariantCulture, $"{(ms > 0 ? "+" : "")}{ms / 1000:0.00} s"),
        >= 10 or <= -10 => string.Create(CultureInfo.InvariantCulture, $"{(ms > 0 ? "+" : "")}{ms:0.0} ms"),
        _ => string.Create(CultureInfo.InvariantCulture, $"{(ms > 0 ? "+" : "")}{ms:0.00} ms"),
    };

    /// <summary>
    /// Two topologies of one run with at least <see cref="Statistics.MinRounds"/> interleaved rounds: a
    /// bootstrap over rounds (paired). Otherwise (two runs, or too few rounds): over interval histograms.
    /// </summary>
    private static Estimate?[] Deltas(Side baseline, Side candidate, string kind, IReadOnlyList<double> percentiles)
    {
        if (CountPairedRounds(baseline, candidate) > 0)
        {
            return Statistics.RoundDeltas(Rounds(baseline, kind).Zip(Rounds(candidate, kind), (x, y) => (x, y)).ToList(), percentiles);
        }

        return Statistics.PercentileDeltas(Strata(baseline, kind), Strata(candidate, kind), percentiles);
    }

    /// <summary>The number of interleaved rounds the two sides pair up in (one run, equal rounds, enough of them); 0 when they do not.</summary>
    private static int CountPairedRounds(Side baseline, Side candidate)
    {
        if (!ReferenceEquals(baseline.Run, candidate.Run))
        {
            return 0;
        }

        int Count(Side side) => side.Run.Summary.Rounds.Count(r => r.Topology == side.Topology.Name);
        var n = Count(baseline);
        return n >= Statistics.MinRounds && n == Count(candidate) ? n : 0;
    }

    /// <summary>A topology's interval histograms per interleaved round, in round order (empty without rounds).</summary>
    private static List<IReadOnlyList<HistogramBase>> Rounds(Side side, string kind)
    {
        var intervals = side.Run.Histograms(side.Topology.Name, kind);
        return side.Run.Summary.Rounds.Where(r => r.Topology == side.Topology.Name).OrderBy(r => r.Round)
            .Select(r => (IReadOnlyList<HistogramBase>)intervals
                .Where(i => i.Start >= r.StartedAt.AddSeconds(-1) && i.Start < r.StartedAt.AddSeconds(r.DurationS + 1))
                .Select(i => i.Histogram).ToList())
            .ToList();
    }

    /// <summary>A topology's interval histograms of one kind (rtt, open, reconnect), one stratum per interleaved round (or one for the whole run).</summary>
    private static List<IReadOnlyList<HistogramBase>> Strata(Side side, string kind)
    {
        var rounds = Rounds(side, kind).Where(s => s.Count > 0).ToList();
        return rounds.Count >= 2 ? rounds : [side.Run.Histograms(side.Topology.Name, kind).Select(i => i.Histogram).ToList()];
    }
}
