namespace LoadGen.Tests.Integration;

/// <summary>
/// Tests that put real load on the machine run one at a time, so two of them never share the
/// 2 cores and distort each other's timing.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class SerialLoad
{
    public const string Name = "load";

    /// <summary>
    /// Every async test here fails by itself after 8 minutes (xunit's Timeout, honoured in a collection without
    /// parallelization): the longest takes about one on a quiet machine, and a test that waits on the machine (a
    /// publish) stretches its own deadline with the load (<see cref="MachineLoad.Deadline"/>). Below the blame
    /// collector's 9-minute hang guard, so a stuck test is named and the suite goes on.
    /// </summary>
    public const int TimeoutMs = 480_000;
}
