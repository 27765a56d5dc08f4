namespace LoadGen.Results.Analysis;

/// <summary>
/// The one place a <see cref="RunSummary"/> is assembled from its topologies: thresholds judged by
/// <see cref="ThresholdEvaluator"/>, the verdict, warnings and rounds — for the engine's final and
/// rolling summaries and for a killed run's rebuild alike.
/// </summary>
public static class RunSummaryBuilder
{
    /// <param name="info">run.json as written (scenario, start, warnings; end and completion when it finished).</param>
    /// <param name="thresholds">The scenario's thresholds; judged here against <paramref name="topologies"/>.</param>
    /// <param name="abort">The interval check that stopped the run, if one did: that threshold stays failed.</param>
    /// <param name="intervals">Every interval record of the run: the generator's CPU and GC share come from them, so a rebuild judges saturation as the run did.</param>
    /// <param name="loadGen">This process's CPU and memory, known only to the run itself (null in a rebuild).</param>
    /// <param name="expected">run.json's targets, in a rebuild: one without data gets its thresholds "nothing measured", failed.</param>
    public static RunSummary Build(
        RunInfo info,
        RunCompletion completion,
        DateTimeOffset endedAt,
        IReadOnlyList<TopologySummary> topologies,
        IReadOnlyList<RoundSummary> rounds,
        IReadOnlyList<Threshold> thresholds,
        IReadOnlyList<FaultEvent> events,
        IReadOnlyList<IntervalRecord> intervals,
        ThresholdAbort? abort = null,
        ProcessStats? loadGen = null,
        IReadOnlyList<string>? expected = null)
    {
        ArgumentNullException.ThrowIfNull(info);
        ArgumentNullException.ThrowIfNull(topologies);
        ArgumentNullException.ThrowIfNull(intervals);
        // Drift is judged on the whole run's intervals: the rolling summary's is the run so far.
        topologies = [.. topologies.Select(t => t with { Drift = DriftAnalysis.For(t.Name, intervals, info.Comparison) })];
        var results = ThresholdEvaluator.Evaluate(thresholds, topologies, expected);
        if (abort is { Threshold: var stopped })
        {
            // The check that stopped the run stays failed, whatever the last seconds of closing did to the figure.
            results = [.. results.Select(r => r.Passed && (r.Expression, r.Topology) == (stopped.Expression, stopped.Topology) ? stopped : r)];
        }

        return new RunSummary
        {
            RunId = info.RunId,
            Scenario = info.Scenario,
            StartedAt = info.StartedAt,
            EndedAt = endedAt,
            Completion = completion,
            Verdict = RunVerdict.From(results, abort is not null),
            AbortedBy = abort,
            Topologies = topologies,
            Rounds = rounds,
            Thresholds = results,
            Events = events,
            Warnings = [.. info.Warnings, .. RunWarnings.For(topologies)],
            LoadGen = loadGen,
            Generator = GeneratorHealth.Stats(topologies, intervals, loadGen),
            Schedule = info.ScenarioSettings.MessageSchedule(),
            InFlight = info.ScenarioSettings.MessageSchedule() == "closed" ? Math.Max(1, info.ScenarioSettings.MessageInt("maxInFlight") ?? 1) : null,
        };
    }
}
