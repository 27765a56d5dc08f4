using System.Globalization;

namespace LoadGen.Reports;

/// <summary>The one sentence a reviewer quotes: first on every output, at most <see cref="SentenceLimit"/> characters with everyday labels.</summary>
public sealed partial record TopologyComparison
{
    /// <summary>The length the sentence keeps to (topology names and run ids of usual length).</summary>
    public const int SentenceLimit = 200;

    /// <summary>
    /// The headline in one sentence, the sides named by role: "gateway (candidate) is worse than direct-tls (baseline): p50 +7.7 ms
    /// [+7.1, +8.3]", "… is equivalent to …: no difference larger than the margins (p50, p99, unplanned-ends)", or "cannot tell
    /// … : the one reason". The figures, with every reading, follow it in <see cref="Verdict"/> and the tables.
    /// </summary>
    public string Sentence
    {
        get
        {
            var candidate = $"{Candidate.Label} (candidate)";
            var baseline = BaselineRuns > 1 ? $"{Baseline.Label} ({BaselineRuns} baseline runs)" : $"{Baseline.Label} (baseline)";
            if (Problem is not null)
            {
                return $"cannot compare {candidate} with {baseline}: {Problem}";
            }

            var primary = Primary.ToList();
            string Claims(ComparisonVerdict v)
            {
                var rows = primary.Where(f => f.Verdict == v).ToList();
                return Short(rows[0]) + (rows.Count > 1 ? $" (and {string.Join(", ", rows.Skip(1).Select(f => f.Figure))})" : "");
            }

            return Headline switch
            {
                ComparisonVerdict.Worse => $"{candidate} is worse than {baseline}: {Claims(ComparisonVerdict.Worse)}",
                ComparisonVerdict.Better => $"{candidate} is better than {baseline}: {Claims(ComparisonVerdict.Better)}",
                ComparisonVerdict.Equivalent => $"{candidate} is equivalent to {baseline}: no difference larger than the margins ({string.Join(", ", primary.Select(f => f.Figure))})",
                _ => $"cannot tell whether {candidate} is better or worse than {baseline}: {Reason(primary)}",
            };
        }
    }

    /// <summary>The one reason a headline is "cannot tell", and what the decided figures said.</summary>
    private static string Reason(List<FigureRow> primary)
    {
        var undecided = primary.Where(f => f.Verdict == ComparisonVerdict.Inconclusive).ToList();
        var decided = primary.Where(f => f.Verdict != ComparisonVerdict.Inconclusive)
            .Select(f => $"{f.Figure} {f.Verdict.ToString().ToLowerInvariant()}").ToList();
        // Each undecided figure under its own reason: the generator's lag (more data of it will not help), too little data
        // for an interval, or an interval that needs more data to clear its margin.
        static string Names(IEnumerable<FigureRow> rows) => string.Join(", ", rows.Select(f => f.Figure));
        var lagged = undecided.Where(f => f.GeneratorBound).ToList();
        var unbounded = undecided.Where(f => !f.GeneratorBound && f.Delta is { Bounded: false }).ToList();
        var wide = undecided.Except(lagged).Except(unbounded).ToList();
        var reasons = new List<string>();
        if (lagged.Count > 0)
        {
            reasons.Add($"LoadGen's own send lag hides {Names(lagged)}");
        }

        if (unbounded.Count > 0)
        {
            reasons.Add($"too little data for {Names(unbounded)}");
        }

        if (wide.Count > 0)
        {
            reasons.Add($"{Names(wide)} {(wide.Count == 1 ? "needs" : "need")} more data");
        }

        var reason = string.Join("; ", reasons);
        return reason + (decided.Count > 0 ? $"; {string.Join(", ", decided)}" : "");
    }

    /// <summary>A figure's claim in a few words: "p50 +7.7 ms [+7.1, +8.3]", "unplanned ends 3.2× [1.8×, 5.6×]".</summary>
    private static string Short(FigureRow f) => f.Delta is not { } d ? f.Figure
        : f.IsRate ? string.Create(CultureInfo.InvariantCulture, $"unplanned ends {Times(d.Value)} as often [{Times(d.Low)}, {Times(d.High)}]")
        : $"{f.Figure} {Delta(d.Value)} [{Delta(d.Low)}, {Delta(d.High)}]";
}
