using LoadGen.Results.Analysis;

namespace LoadGen.Cli;

/// <summary>Process exit codes, as documented in README and `loadgen --help`: the policy shared with code-first programs (<see cref="RunExit"/>).</summary>
internal static class ExitCodes
{
    public const int Ok = RunExit.Ok;
    public const int ThresholdsFailed = RunExit.ThresholdsFailed;
    public const int BadInput = RunExit.BadInput;
    public const int RunFailed = RunExit.RunFailed;

    /// <summary>LoadGen itself failed (its own I/O, an internal error): never a gate's verdict nor the target's doing.</summary>
    public const int LoadGenFailed = RunExit.LoadGenFailed;
    public const int Interrupted = RunExit.Interrupted;
}
