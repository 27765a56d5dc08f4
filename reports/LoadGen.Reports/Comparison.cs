// Over 400 lines: one reason to change — how two runs are compared figure by figure and how the result is worded; the statistics live in Statistics.cs and the rules in Comparison.Rules.cs, and the verdict work (issue 27) rewrites the rest.
using System.Globalization;
using HdrHistogram;
using LoadGen.Results;
using LoadGen.Results.Analysis;

namespace LoadGen.Reports;

/// <summary>One side of a comparison: a topology of a run.</summary>
public sealed record Side(string Label, RunData Run, TopologySummary Topology);

/// <summary>What a comparison says of a figure, and of the whole.</summary>
public enum ComparisonVerdict
{
    /// <summary>The interval lies on the better side (beyond zero with paired rounds or repeated runs; beyond the margin otherwise).</summary>
    Better,

    /// <summary>The interval lies on the worse side (as for <see cref="Better"/>).</summary>
    Worse,

    /// <summary>The whole interval lies inside the equivalence margin.</summary>
    Equivalent,

    /// <summary>None of the above: this run cannot tell.</summary>
    Inconclusive,
}

/// <summary>How the intervals were made, which decides what they can claim.</summary>
public enum DeltaBasis
{
    /// <summary>Interleaved rounds of one run, paired: drift cancels; a difference beyond zero is a claim.</summary>
    PairedRounds,

    /// <summary>Batches of interval histograms on each side: variation within each run only, so a claim must clear the margin too.</summary>
    Batches,

    /// <summary>Several baseline runs: between-run variation measured; a difference beyond zero is a claim.</summary>
    RepeatedRuns,
}

/// <summary>
/// One figure on both sides: latency in ms (delta = candidate − baseline) or unplanned ends per 1,000
/// stream-hours (delta = the candidate's rate over the baseline's).
/// </summary>
public sealed record FigureRow(
    string Figure,
    string Meaning,
    bool Primary,
    double? Baseline,
    double? Candidate,
    Estimate? Delta,
    Margin Margin,
    double MarginValue,
    ComparisonVerdict Verdict,
    string Reading)
{
    public bool IsRate => Margin.IsRatio;

    /// <summary>For an inconclusive figure: roughly what would resolve it; null otherwise.</summary>
    public string? Resolve { get; init; }

    /// <summary>The interval's worse end lies inside the margin (the gate <c>not-worse</c>).</summary>
    public bool NotWorse { get; init; }

    /// <summary>Undecided because of the generator's own send lag at the figure's quantile, not for want of data.</summary>
    public bool GeneratorBound { get; init; }
}

/// <summary>A stream-end cause's rate per 1,000 stream-hours on both sides and their ratio, in words (secondary, informational).</summary>
public sealed record RateRow(string Cause, long BaselineCount, long CandidateCount, double BaselineRate, double CandidateRate, Estimate Ratio, string Reading);

/// <summary>The comparison gate's outcome: whether it passed and why, in one line.</summary>
public sealed record GateResult(ComparisonGate Gate, bool Passed, string Text);

/// <summary>Baseline against candidate: per-figure verdicts, a headline resting on the primary figures, and the gate.</summary>
public sealed partial record TopologyComparison(
    Side Baseline,
    Side Candidate,
    IReadOnlyList<FigureRow> Figures,
    IReadOnlyList<RateRow> Causes,
    double BaselineStreamHours,
    double CandidateStreamHours,
    IReadOnlyList<string> NewCauses,
    ComparisonSettings Settings)
{
    /// <summary>The family-wise error rate the headline holds over its primary figures.</summary>
    public const double FamilyError = 0.05;

    /// <summary>Why the two sides cannot be compared at all (one never opened a stream); null when they can.</summary>
    public string? Problem { get; init; }

    /// <summary>The sides whose generator was saturated (<see cref="SaturatedSides"/>): such a comparison never passes a gate.</summary>
    public string? Saturation { get; init; }

    public DeltaBasis Basis { get; init; }

    /// <summary>Units the latency intervals rest on: paired rounds, batches per side, or baseline runs.</summary>
    public int Units { get; init; }

    /// <summary>The baseline runs, when more than one was given (compare-runs BASE1 BASE2 … CANDIDATE).</summary>
    public int BaselineRuns { get; init; } = 1;

    public IEnumerable<FigureRow> Primary => Figures.Where(f => f.Primary);

    /// <summary>The headline: worse if any primary figure is worse, else better if any is better, else equivalent if all are, else inconclusive.</summary>
    public ComparisonVerdict Headline
    {
        get
        {
            return Problem is not null ? ComparisonVerdict.Inconclusive : HeadlineOf(Primary.Select(f => f.Verdict).ToList());
        }
    }

    /// <summary>The one sentence for a release review.</summary>
    public string Verdict
    {
        get
        {
            if (Problem is not null)
            {
                return $"cannot compare {Candidate.Label} with {Baseline.Label}: {Problem}";
            }

            string List(ComparisonVerdict v) => string.Join("; ", Primary.Where(f => f.Verdict == v).Select(f => f.Reading));
            var undecided = Primary.Where(f => f.Verdict == ComparisonVerdict.Inconclusive).Select(f => f.Figure).ToList();
            var rest = undecided.Count > 0 ? $" ({string.Join(", ", undecided)}: this run cannot tell)" : "";
            return Headline switch
            {
                ComparisonVerdict.Worse => $"{Candidate.Label} is worse than {Baseline.Label}: {List(ComparisonVerdict.Worse)}" +
                    (Primary.Any(f => f.Verdict == ComparisonVerdict.Better) ? $"; better: {List(ComparisonVerdict.Better)}" : "") + rest,
                ComparisonVerdict.Better => $"{Candidate.Label} is better than {Baseline.Label}: {List(ComparisonVerdict.Better)}" + rest,
                ComparisonVerdict.Equivalent => $"{Candidate.Label} is equivalent to {Baseline.Label} within the margins: {List(ComparisonVerdict.Equivalent)}",
                _ => $"this run cannot tell whether {Candidate.Label} is better or worse than {Baseline.Label}: " +
                    string.Join("; ", Primary.Where(f => f.Verdict == ComparisonVerdict.Inconclusive).Select(f => f.Reading + (f.Resolve is { } r ? $" — {r}" : ""))),
            };
        }
    }

    /// <summary>The gate's outcome (always passed when the comparison is not gated).</summary>
    public GateResult Gate
    {
        get
        {
            var gate = Settings.Gate;
            var name = ComparisonSettings.GateName(gate);
            if (gate == ComparisonGate.None)
            {
                return new GateResult(gate, true, "the comparison is not a gate (comparison.gate: none)");
            }

            if (Problem is not null)
            {
                return new GateResult(gate, false, $"gate {name} failed: {Problem}");
            }

            if (Saturation is not null)
            {
                return new GateResult(gate, false, $"gate {name} failed: cannot tell — {Saturation}, and a gate is never passed on a saturated generator's numbers (fewer streams per LoadGen process, more shards, or stop the other load)");
            }

            var failing = Primary.Where(f => gate == ComparisonGate.Equivalent ? f.Verdict != ComparisonVerdict.Equivalent : !f.NotWorse).ToList();
            return failing.Count == 0
                ? new GateResult(gate, true, $"gate {name} passed: every primary figure ({string.Join(", ", Primary.Select(f => f.Figure))}) {(gate == ComparisonGate.Equivalent ? "shown within its margin" : "shown no worse than its margin")}")
                : new GateResult(gate, false, $"gate {name} failed: " + string.Join("; ", failing.Select(f =>
                    $"{f.Figure} {(f.Verdict == ComparisonVerdict.Inconclusive ? "could not be shown " + (gate == ComparisonGate.Equivalent ? "within" : "no worse than") + " its margin" : "is " + f.Verdict.ToString().ToLowerInvariant())} ({f.Reading})")));
        }
    }

    /// <summary>True when a gate is set and did not pass, or the paths are not what <see cref="ComparisonSettings.ExpectPath"/> says.</summary>
    public bool GateFailed => !Gate.Passed || !PathCheck.Passed;

    /// <summary>The path expectation's outcome (always passed when the comparison expects nothing of the paths).</summary>
    public (bool Passed, string Text) PathCheck => PathCard.Check(this);

    /// <summary>How the differences and their intervals were made, for the reader of the tables.</summary>
    public string DeltaMethod
    {
        get
        {
            var level = PrimaryLevel(Settings).ToString("0.#%", CultureInfo.InvariantCulture);
            var head = $"The headline rests on the primary figures ({string.Join(", ", Settings.Primary)}) with {level} intervals each, so the chance of a false 'better' or 'worse' over all of them stays under {FamilyError:0%} (Bonferroni); other figures are secondary, with 95% intervals, and never move the headline. " +
                "A figure is equivalent when its whole interval lies inside its margin. ";
            var how = Basis switch
            {
                DeltaBasis.PairedRounds => $"Latency differences are the mean over the {Units} interleaved rounds of each round's candidate − baseline (the two ran back to back, so drift cancels), with a Student-t interval over rounds; the two columns pool the whole run. A difference whose interval excludes zero is better or worse. ",
                DeltaBasis.RepeatedRuns => $"Latency differences are the candidate run against the mean of {BaselineRuns} baseline runs, with a prediction interval from the spread between the baseline runs (t on {BaselineRuns - 1} degrees of freedom). A difference whose interval excludes zero is better or worse. ",
                _ => $"Latency differences are candidate − baseline over {Units} batches of consecutive interval histograms per side (batch means), with Welch's t interval. That interval holds the variation within each run only: variation between runs is not in it (only repeated runs can estimate it: give several baseline runs), so better or worse is claimed only when the whole interval lies beyond the margin. ",
            };
            return head + how + "Unplanned ends: the candidate's rate over the baseline's, a quasi-Poisson interval over incidents (ends of one cause within a second count once).";
        }
    }

    /// <summary>Compares two topologies, of one run (interleaved rounds) or of two runs (compare-runs).</summary>
    public static TopologyComparison Compare(Side baseline, Side candidate, ComparisonSettings? settings = null) =>
        Compare([baseline], candidate, settings);

    /// <summary>
    /// Compares a candidate with one baseline or several runs of it (then between-run variation is
    /// measured: <see cref="DeltaBasis.RepeatedRuns"/>). The first baseline labels the tables.
    /// </summary>
    public static TopologyComparison Compare(IReadOnlyList<Side> baselines, Side candidate, ComparisonSettings? settings = null)
    {
        ArgumentNullException.ThrowIfNull(baselines);
        ArgumentNullException.ThrowIfNull(candidate);
        settings ??= new ComparisonSettings();
        var baseline = baselines[0];
        var problem = baselines.Select(NeverOpened).FirstOrDefault(p => p is not null) ?? NeverOpened(candidate);
        if (problem is not null)
        {
            return new TopologyComparison(baseline, candidate, [], [], 0, 0, [], settings) { Problem = problem };
        }

        var basis = baselines.Count > 1 ? DeltaBasis.RepeatedRuns : CountPairedRounds(baseline, candidate) > 0 ? DeltaBasis.PairedRounds : DeltaBasis.Batches;
        var figures = new List<FigureRow>();
        var units = 0;
        // compare (both sides in one run: rounds are possible) or compare-runs (a before/after pair: they are not).
        var oneRun = baselines.Count == 1 && ReferenceEquals(baseline.Run, candidate.Run);
        foreach (var (figure, _, meaning) in ComparisonSettings.Figures)
        {
            var primary = settings.Primary.Contains(figure, StringComparer.Ordinal);
            var level = primary ? PrimaryLevel(settings) : 0.95;
            var margin = settings.MarginOf(figure);
            if (figure == ComparisonSettings.UnplannedEnds)
            {
                figures.Add(RateFigure(baselines, candidate, figure, meaning, primary, level, margin, basis));
                continue;
            }

            var (kind, p) = figure switch
            {
                ComparisonSettings.OpenP99 => ("open", 99.0),
                ComparisonSettings.ReconnectP99 => ("reconnect", 99.0),
                ComparisonSettings.P50 => ("rtt", 50.0),
                ComparisonSettings.P90 => ("rtt", 90.0),
                ComparisonSettings.P95 => ("rtt", 95.0),
                ComparisonSettings.P99 => ("rtt", 99.0),
                _ => ("rtt", 99.9),
            };
            var a = Statistics.Pct(Statistics.Merge(baselines.SelectMany(b => b.Run.Histograms(b.Topology.Name, kind).Select(i => i.Histogram))), p);
            var b = Statistics.Pct(Statistics.Merge(candidate.Run.Histograms(candidate.Topology.Name, kind).Select(i => i.Histogram)), p);
            Estimate? delta = null;
            if (a is not null && b is not null)
            {
                var resolution = Statistics.Resolution(a.Value);
                delta = basis switch
                {
                    DeltaBasis.PairedRounds => Statistics.Paired(RoundValues(baseline, candidate, kind, p), level, resolution),
                    DeltaBasis.RepeatedRuns => Statistics.Repeated(baselines.Select(x => Statistics.Pct(Statistics.Merge(x.Run.Histograms(x.Topology.Name, kind).Select(i => i.Histogram)), p) ?? double.NaN).Where(v => !double.IsNaN(v)).ToList(), b.Value, level, resolution),
                    _ => Statistics.Welch(BatchValues(baseline, kind, p), BatchValues(candidate, kind, p), level, resolution),
                };
                if (figure == ComparisonSettings.P50)
                {
                    units = delta.Units;
                }
            }

            // What the generator's own lag explains at this quantile, in either run: a round-trip difference no larger is
            // not the path's (an A/A repeat whose generator lagged 8.3 ms at p99 — under the 20 ms saturation line — read
            // p99 "worse" by +7.9 ms [+2.7, +13.1] before). Open and re-open times are not paced by the send clock.
            // Only the lag at that quantile: a p50 shift far above the generator's p50 lag is the path's even while its p99 lag
            // is high (a +7.7 ms p50 was refused at send-lag p99 20 ms, p50 0.3 ms). Open and re-open times keep the p99 line.
            // Equivalence: equal lags cancel in the difference, so the gap between the sides' lags is what could hide one; but a
            // saturated generator's lag is bursty, not a constant that cancels — then its level at q counts.
            var sides = baselines.Select(x => x.Topology).Append(candidate.Topology).ToList();
            var lags = sides.Select(t => kind == "rtt" ? LagAt(t.SendLagMs, p) : GeneratorHealth.Lateness(t)).ToList();
            var saturatedSide = sides.Any(t => GeneratorHealth.Lateness(t) > 0);
            figures.Add(LatencyFigure(figure, meaning, primary, a, b, delta, margin, basis, (lags.Max(), saturatedSide ? lags.Max() : lags.Max() - lags.Min(), saturatedSide), oneRun));
        }

        var ha = baselines.Sum(x => x.Run.StreamHours(x.Topology.Name));
        var hb = candidate.Run.StreamHours(candidate.Topology.Name);
        var unplanned = baselines.SelectMany(x => x.Topology.Outcomes.Keys).Concat(candidate.Topology.Outcomes.Keys)
            .Where(c => !EndCauses.IsPlanned(c))
            .Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
        var causes = new List<RateRow>();
        if (ha > 0 && hb > 0)
        {
            foreach (var cause in unplanned)
            {
                var na = baselines.Sum(x => x.Topology.Outcomes.GetValueOrDefault(cause));
                var nb = candidate.Topology.Outcomes.GetValueOrDefault(cause);
                var ratio = Statistics.RateRatio(na, baselines.Sum(x => Incidents(x, c => c == cause, na)), ha, nb, Incidents(candidate, c => c == cause, nb), hb, 0.95);
                var reading = ratio.Significant(1)
                    ? string.Create(CultureInfo.InvariantCulture, $"{Times(ratio.Value)} as often [{Times(ratio.Low)}, {Times(ratio.High)}], beyond chance")
                    : string.Create(CultureInfo.InvariantCulture, $"{Times(ratio.Value)} as often [{Times(ratio.Low)}, {Times(ratio.High)}], cannot tell apart");
                causes.Add(new RateRow(cause, na, nb, na / ha * 1000, nb / hb * 1000, ratio, reading));
            }
        }

        var newCauses = unplanned.Where(c => !baselines.Any(x => x.Topology.Outcomes.ContainsKey(c)) && candidate.Topology.Outcomes.ContainsKey(c)).ToList();
        return new TopologyComparison(baseline, candidate, figures, causes, ha, hb, newCauses, settings)
        {
            Saturation = SaturatedSides([.. baselines, candidate]),
            Basis = basis,
            Units = basis == DeltaBasis.RepeatedRuns ? baselines.Count : units,
            BaselineRuns = baselines.Count,
        };
    }

    /// <summary>The send lag at the round-trip figure's quantile (ms; 0 when not measured).</summary>
    private static double LagAt(LatencyStats lag, double p) => (p switch
    {
        50.0 => lag.P50,
        90.0 => lag.P90,
        95.0 => lag.P95,
        99.0 => lag.P99,
        _ => lag.P999,
    }) ?? 0;

    private static FigureRow LatencyFigure(string figure, string meaning, bool primary, double? a, double? b, Estimate? d, Margin margin, DeltaBasis basis, (double Level, double Gap, bool Saturated) lag, bool oneRun)
    {
        var m = MarginFor(margin, a, b);
        var name = figure;
        if (d is null)
        {
            return new FigureRow(figure, meaning, primary, a, b, null, margin, m, ComparisonVerdict.Inconclusive, $"{name}: not measured on both sides");
        }

        var claimAt = basis == DeltaBasis.Batches ? m : 0;
        var marginText = $"margin ±{Delta(m)[1..]}";
        if (!d.Bounded)
        {
            return new FigureRow(figure, meaning, primary, a, b, d, margin, m, ComparisonVerdict.Inconclusive,
                $"{name} {Delta(d.Value)}, not enough data ({d.Shortfall})")
            { Resolve = basis == DeltaBasis.PairedRounds || d.Units < Statistics.MinRounds ? $"at least {Statistics.MinRounds} interleaved rounds, or a run of {Statistics.MinBatches}+ reporting intervals" : null };
        }

        var (lateness, gap, saturatedRun) = lag;
        var verdict = Decide(d, m, basis, lateness, gap);
        var unguarded = Decide(d, m, basis);
        // The lag decided it, or it is larger than the margin: no more data of this generator settles the figure.
        var saturated = verdict == ComparisonVerdict.Inconclusive && lateness > 0 && (unguarded != ComparisonVerdict.Inconclusive || gap > m);
        var text = $"{name} {Delta(d.Value)} [{Delta(d.Low)}, {Delta(d.High)}] ({marginText})";
        var reading = verdict switch
        {
            ComparisonVerdict.Equivalent => $"{text}, equivalent",
            ComparisonVerdict.Worse => $"{text}, worse",
            ComparisonVerdict.Better => $"{text}, better",
            _ when saturated && (unguarded == ComparisonVerdict.Equivalent || gap > m) => saturatedRun
                ? $"{text}, cannot tell (generator lag: LoadGen was saturated, its send lag at this quantile {Delta(gap)[1..]}, more than the margin, and could hide a difference)"
                : $"{text}, cannot tell (generator lag: LoadGen's own send lag at this quantile differs by {Delta(gap)[1..]} between the sides, more than the margin, and could hide a difference)",
            _ when saturated => $"{text}, cannot tell (generator lag: within LoadGen's own send lag at this quantile, {Delta(lateness)[1..]})",
            _ => $"{text}, cannot tell",
        };
        return new FigureRow(figure, meaning, primary, a, b, d, margin, m, verdict, reading)
        {
            Resolve = verdict == ComparisonVerdict.Inconclusive && !saturated ? ResolveHint(d, m, claimAt, basis, oneRun) : saturated ? "a generator that keeps up: fewer streams per LoadGen process, more shards, or stop the machine's other load — a longer run of this generator will not settle it" : null,
            NotWorse = d.High <= m && gap <= m,
            GeneratorBound = saturated,
        };
    }

    /// <summary>
    /// Unplanned ends per 1,000 stream-hours: the ratio's interval against [1/r, r], or both rates shown
    /// below the margin's floor (then equally rare, whatever their ratio).
    /// </summary>
    private static FigureRow RateFigure(IReadOnlyList<Side> baselines, Side candidate, string figure, string meaning, bool primary, double level, Margin margin, DeltaBasis basis)
    {
        var ha = baselines.Sum(x => x.Run.StreamHours(x.Topology.Name));
        var hb = candidate.Run.StreamHours(candidate.Topology.Name);
        if (ha <= 0 || hb <= 0)
        {
            return new FigureRow(figure, meaning, primary, null, null, null, margin, margin.Ratio, ComparisonVerdict.Inconclusive, "unplanned ends: no stream-hours on one side");
        }

        var na = baselines.Sum(x => x.Topology.Outcomes.Where(kv => !EndCauses.IsPlanned(kv.Key)).Sum(kv => kv.Value));
        var nb = candidate.Topology.Outcomes.Where(kv => !EndCauses.IsPlanned(kv.Key)).Sum(kv => kv.Value);
        var ia = baselines.Sum(x => Incidents(x, c => !EndCauses.IsPlanned(c), x.Topology.Outcomes.Where(kv => !EndCauses.IsPlanned(kv.Key)).Sum(kv => kv.Value)));
        var ib = Incidents(candidate, c => !EndCauses.IsPlanned(c), nb);
        var ratio = Statistics.RateRatio(na, ia, ha, nb, ib, hb, level);
        var (ra, rb) = (na / ha * 1000, nb / hb * 1000);
        var (ua, ub) = (Statistics.RateUpperBound(na, ia, ha, level), Statistics.RateUpperBound(nb, ib, hb, level));
        var r = margin.Ratio;
        var bothRare = ua < margin.FloorPer1000h && ub < margin.FloorPer1000h;
        // Between-run variation of rates is not measured even with several baseline runs (they are pooled): claims must clear the margin then too.
        var verdict = DecideRate(ratio, r, bothRare, basis == DeltaBasis.PairedRounds ? basis : DeltaBasis.Batches);
        var counts = string.Create(CultureInfo.InvariantCulture, $"{na:#,0} vs {nb:#,0} in {ha:0.#} / {hb:0.#} stream-hours");
        var text = na == 0 && nb == 0
            // A ratio of nothing to nothing is no figure: say what happened, and the verdict below says what it proves.
            ? string.Create(CultureInfo.InvariantCulture, $"unplanned ends: none on either side in {ha:0.#} / {hb:0.#} stream-hours")
            : bothRare
            ? string.Create(CultureInfo.InvariantCulture, $"unplanned ends {ra:0.#} vs {rb:0.#} per 1,000 stream-hours ({counts}), both shown below {margin.FloorPer1000h:0.#}")
            : string.Create(CultureInfo.InvariantCulture, $"unplanned ends {Times(ratio.Value)} [{Times(ratio.Low)}, {Times(ratio.High)}] ({counts}; margin {Times(1 / r)}–{Times(r)})");
        var reading = verdict switch
        {
            ComparisonVerdict.Equivalent => $"{text}, equivalent",
            ComparisonVerdict.Worse => $"{text}, worse",
            ComparisonVerdict.Better => $"{text}, better",
            _ => $"{text}, cannot tell",
        };
        string? resolve = null;
        if (verdict == ComparisonVerdict.Inconclusive)
        {
            // Rare on both sides: exposure would bound them under the floor; else more incidents narrow the ratio.
            var need = Math.Max(ha, hb) * Math.Max(ua, ub) / margin.FloorPer1000h;
            resolve = na + nb < 10
                ? string.Create(CultureInfo.InvariantCulture, $"about {need:#,0} stream-hours a side would show both below {margin.FloorPer1000h:0.#} per 1,000 stream-hours if they stay this rare")
                : "more stream-hours (a longer run or more streams) narrow the ratio's interval";
        }

        return new FigureRow(figure, meaning, primary, ra, rb, ratio, margin, r, verdict, reading)
        {
            Resolve = resolve,
            NotWorse = bothRare || ratio.High <= r,
        };
    }

    /// <summary>Roughly how much more data would move an inconclusive figure to a verdict, from the observed spread.</summary>
    /// <param name="oneRun">Both sides in one run (compare): interleaved rounds can be asked for; a before/after pair cannot be interleaved.</param>
    private static string? ResolveHint(Estimate d, double margin, double claimAt, DeltaBasis basis, bool oneRun)
    {
        var half = (d.High - d.Low) / 2;
        var distance = Math.Abs(d.Value);
        // Inside the margin: narrow enough to fit in it; outside: narrow enough to clear the claim line.
        var target = distance < margin ? margin - distance : distance - claimAt;
        if (target <= 0 || half <= 0)
        {
            return "the difference sits on the margin: no amount of data will settle it";
        }

        var factor = Math.Pow(half / target, 2);
        if (factor > 100)
        {
            return "more than 100× the data: the difference sits close to the margin";
        }

        return basis switch
        {
            // --duration is the whole run, split among the rounds: more rounds of today's length need a longer --duration too.
            DeltaBasis.PairedRounds => string.Create(CultureInfo.InvariantCulture,
                $"about {Math.Ceiling(d.Units * factor) + 1:0} interleaved rounds of this length (this run had {d.Units}: --rounds {Math.Ceiling(d.Units * factor) + 1:0} with --duration {(Math.Ceiling(d.Units * factor) + 1) / d.Units:0.#}× this run's, as the duration is split among the rounds) would resolve it at {Delta(margin)[1..]}"),
            DeltaBasis.RepeatedRuns => string.Create(CultureInfo.InvariantCulture, $"about {Math.Ceiling(d.Units * factor) + 1:0} baseline runs would resolve it"),
            _ when oneRun => string.Create(CultureInfo.InvariantCulture, $"a run about {Math.Max(1.5, factor):0.#}× as long (--duration), or 3+ interleaved rounds (--rounds 3, --duration the same or longer), would resolve it at {Delta(margin)[1..]}"),
            _ => string.Create(CultureInfo.InvariantCulture, $"more baseline runs (compare-runs BASE1 BASE2 BASE3 CANDIDATE: their spread is measured), or both runs about {Math.Max(1.5, factor):0.#}× as long, would resolve it at {Delta(margin)[1..]}"),
        };
    }

    /// <summary>
    /// Incidents among a side's ends matching <paramref name="cause"/>: ends of one cause within the same
    /// second count once. Without outcome records, every end is its own incident (<paramref name="ends"/>).
    /// </summary>
    private static long Incidents(Side side, Func<string, bool> cause, long ends)
    {
        var records = side.Run.Outcomes.Where(o => o.Topology == side.Topology.Name && cause(o.Cause)).ToList();
        return records.Count == 0 ? ends : records.Select(o => (o.Cause, o.Time.ToUnixTimeSeconds())).Distinct().LongCount();
    }

    private static string? NeverOpened(Side side) => side.Topology.Streams.Opened > 0 ? null :
        $"{side.Label} never opened a stream ({side.Topology.Streams.Attempted:#,0} attempts{(side.Topology.Outcomes.OrderByDescending(kv => kv.Value).FirstOrDefault() is { Key: not null } top ? $", most ended {top.Key}" : "")})";

    public static string Times(double x) => x switch
    {
        >= 100 => x.ToString("0", CultureInfo.InvariantCulture) + "×",
        >= 10 => x.ToString("0.#", CultureInfo.InvariantCulture) + "×",
        _ => x.ToString("0.##", CultureInfo.InvariantCulture) + "×",
    };

    public static string Delta(double ms) => ms switch
    {
        >= 1000 or <= -1000 => string.Create(CultureInfo.InvariantCulture, $"{(ms > 0 ? "+" : "")}{ms / 1000:0.00} s"),
        >= 10 or <= -10 => string.Create(CultureInfo.InvariantCulture, $"{(ms > 0 ? "+" : "")}{ms:0.0} ms"),
        _ => string.Create(CultureInfo.InvariantCulture, $"{(ms > 0 ? "+" : ms < 0 ? "" : "±")}{ms:0.00} ms"),
    };

    /// <summary>Per-round percentile differences (candidate − baseline), for rounds where both sides measured.</summary>
    private static List<double> RoundValues(Side baseline, Side candidate, string kind, double p) =>
        Rounds(baseline, kind).Zip(Rounds(candidate, kind), (x, y) => (A: Statistics.Pct(Statistics.Merge(x), p), B: Statistics.Pct(Statistics.Merge(y), p)))
            .Where(r => r.A is not null && r.B is not null)
            .Select(r => r.B!.Value - r.A!.Value)
            .ToList();

    /// <summary>A side's percentile per batch of consecutive interval histograms (empty batches skipped).</summary>
    private static List<double> BatchValues(Side side, string kind, double p) =>
        Statistics.Batch(side.Run.Histograms(side.Topology.Name, kind).Where(i => i.Histogram.TotalCount > 0).Select(i => i.Histogram).ToList())
            .Select(h => Statistics.Pct(h, p))
            .Where(v => v is not null)
            .Select(v => v!.Value)
            .ToList();

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
}
