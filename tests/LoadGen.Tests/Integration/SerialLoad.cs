namespace LoadGen.Tests.Integration;

/// <summary>
/// Tests that put real load on the machine run one at a time, so two of them never share the
/// 2 cores and distort each other's timing.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class SerialLoad
{
    public const string Name = "load";
}
