namespace LoadGen.Core.Scenarios;

public enum ProbeDirection
{
    ClientQuiet,
    ServerQuiet,
    BothQuiet,
}

/// <summary>Bounds of an idle-timeout search. Defaults find a cut-off between 1 s and 2 min to ±0.5 s in about 3 min.</summary>
public sealed record ProbeOptions
{
    public TimeSpan Min { get; init; } = TimeSpan.FromSeconds(1);

    public TimeSpan Max { get; init; } = TimeSpan.FromMinutes(2);

    /// <summary>Stop once the cut-off is bracketed this tightly.</summary>
    public TimeSpan Resolution { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>The whole probe stops by itself after this, reporting the bracket it reached.</summary>
    public TimeSpan Budget { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>Quiet intervals tried at once per direction (each on its own connection).</summary>
    public int Parallel { get; init; } = 6;

    public IReadOnlyList<ProbeDirection> Directions { get; init; } = [ProbeDirection.ClientQuiet, ProbeDirection.ServerQuiet, ProbeDirection.BothQuiet];

    /// <summary>How long a reply may take once the quiet interval is over.</summary>
    public TimeSpan ReplyTimeout { get; init; } = TimeSpan.FromSeconds(5);
}
