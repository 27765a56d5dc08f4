namespace LoadGen.Results.Analysis;

/// <summary>
/// The exit-code policy, in one place the CLI and code-first programs share: what a finished run says about who failed.
/// 0 all good; 1 a threshold (or a comparison gate) failed; 2 bad input; 3 the target (no stream ever opened, or not one
/// message answered); 4 LoadGen itself; 130 interrupted. LoadGen's own failure is never confused with a failed gate,
/// and a run that measured nothing is never 0.
/// </summary>
public static class RunExit
{
    public const int Ok = 0;
    public const int ThresholdsFailed = 1;
    public const int BadInput = 2;
    public const int RunFailed = 3;

    /// <summary>LoadGen itself failed (its own I/O, an internal error): never a gate's verdict nor the target's doing.</summary>
    public const int LoadGenFailed = 4;
    public const int Interrupted = 130;

    /// <summary>
    /// The code for a run that wrote its summary into <paramref name="folder"/>, and the errors to say first (one sentence
    /// each, naming the target and what to check).
    /// </summary>
    /// <param name="gateFailed">A comparison gate failed (judged by the reports).</param>
    /// <param name="noGate">Thresholds and gates are reported but do not set the code (a shard's slice: the merge judges).</param>
    public static (int Code, IReadOnlyList<string> Errors) Judge(RunSummary summary, RunFolder folder, bool gateFailed = false, bool noGate = false)
    {
        ArgumentNullException.ThrowIfNull(summary);
        ArgumentNullException.ThrowIfNull(folder);
        if (summary.Completion == RunCompletion.Interrupted)
        {
            return (Interrupted, []);
        }

        var errors = new List<string>();
        var unreachable = summary.Topologies.Where(t => t.Streams.Opened == 0).ToList();
        var outcomes = unreachable.Count > 0 ? Ndjson.Read<OutcomeRecord>(folder.OutcomesPath).Records : [];
        errors.AddRange(unreachable.Select(t => TargetDiagnosis.NeverOpened(t, outcomes)));

        // A run that sent and got nothing back measured nothing: never a pass.
        var silent = summary.Topologies.Where(t => t.Streams.Opened > 0 && t.Messages.Sent > 0 && t.Messages.Received == 0).ToList();
        errors.AddRange(silent.Select(TargetDiagnosis.NeverAnswered));

        // Nothing came back only because the scenario's own client limits refused it: bad input, not the target's failure.
        var code = unreachable.Count > 0 || silent.Any(t => !TargetDiagnosis.ClientRefusedEverything(t)) ? RunFailed
            : silent.Count > 0 ? BadInput
            : (summary.Verdict == RunVerdict.Fail || gateFailed) && !noGate ? ThresholdsFailed
            : Ok;
        return (code, errors);
    }
}
