namespace LoadGen.Cli;

/// <summary>Process exit codes, as documented in README and `loadgen --help`.</summary>
internal static class ExitCodes
{
    public const int Ok = 0;
    public const int ThresholdsFailed = 1;
    public const int BadInput = 2;
    public const int RunFailed = 3;

    /// <summary>LoadGen itself failed (its own I/O, an internal error): never a gate's verdict nor the target's doing.</summary>
    public const int LoadGenFailed = 4;
    public const int Interrupted = 130;
}
