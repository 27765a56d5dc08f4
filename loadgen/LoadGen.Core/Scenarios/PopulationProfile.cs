namespace LoadGen.Core.Scenarios;

/// <summary>
/// How many streams should be open over time: phases run one after another, each either ramping
/// linearly from the previous level to <see cref="ProfilePhase.Streams"/> or holding the level.
/// </summary>
public sealed record PopulationProfile
{
    public IReadOnlyList<ProfilePhase> Phases { get; init; } =
    [
        new(PhaseKind.Ramp, 100, TimeSpan.FromSeconds(5)),
        new(PhaseKind.Hold, 100, TimeSpan.FromSeconds(20)),
        new(PhaseKind.Ramp, 0, TimeSpan.FromSeconds(2)),
    ];

    /// <summary>Cap on new streams per second (first opens and re-opens alike). Default 500.</summary>
    public double MaxOpensPerSecond { get; init; } = 500;

    public TimeSpan Duration => Phases.Aggregate(TimeSpan.Zero, (sum, p) => sum + p.During);

    /// <summary>When set, every level (<see cref="TargetAt"/>, <see cref="Peak"/>) is this shard's slice of the phases' levels.</summary>
    public ShardSlice? Shard { get; init; }

    /// <summary>
    /// The profile one shard runs: its slice of every level and of <see cref="MaxOpensPerSecond"/>; the
    /// phases (and so the timing) are the whole's.
    /// </summary>
    public PopulationProfile For(ShardSlice shard)
    {
        ArgumentNullException.ThrowIfNull(shard);
        return this with { Shard = shard, MaxOpensPerSecond = MaxOpensPerSecond / shard.Count };
    }

    /// <summary>The profile of one of <paramref name="rounds"/> interleaved rounds: ramps as they are, holds cut to 1/rounds.</summary>
    public PopulationProfile SplitHold(int rounds) => rounds <= 1 ? this : this with
    {
        Phases = Phases.Select(p => p.Kind == PhaseKind.Hold ? p with { During = p.During / rounds } : p).ToList(),
    };

    /// <summary>The highest level any phase reaches.</summary>
    public int Peak => Share(Phases.Count == 0 ? 0 : Phases.Max(p => p.Streams));

    private int Share(int whole) => Shard is { } s ? s.Of(whole) : whole;

    /// <summary>Target population at <paramref name="elapsed"/> since the start; 0 after the last phase.</summary>
    public int TargetAt(TimeSpan elapsed) => Share(WholeAt(elapsed));

    private int WholeAt(TimeSpan elapsed)
    {
        var level = 0;
        var start = TimeSpan.Zero;
        foreach (var phase in Phases)
        {
            var end = start + phase.During;
            if (elapsed < end)
            {
                if (phase.Kind == PhaseKind.Hold || phase.During <= TimeSpan.Zero)
                {
                    return phase.Kind == PhaseKind.Hold ? level : phase.Streams;
                }

                var fraction = (elapsed - start) / phase.During;
                return (int)Math.Round(level + ((phase.Streams - level) * fraction));
            }

            level = phase.Streams;
            start = end;
        }

        return 0;
    }

    /// <summary>Whether a hold phase runs at <paramref name="elapsed"/>: the population should be at its level.</summary>
    public bool IsHold(TimeSpan elapsed)
    {
        var start = TimeSpan.Zero;
        foreach (var phase in Phases)
        {
            start += phase.During;
            if (elapsed < start)
            {
                return phase.Kind == PhaseKind.Hold;
            }
        }

        return false;
    }

    /// <summary>The phase running at <paramref name="elapsed"/> as "ramp 2/3", for progress lines.</summary>
    public string PhaseAt(TimeSpan elapsed)
    {
        var start = TimeSpan.Zero;
        for (var i = 0; i < Phases.Count; i++)
        {
            start += Phases[i].During;
            if (elapsed < start)
            {
                return $"{Phases[i].Kind.ToString().ToLowerInvariant()} {i + 1}/{Phases.Count}";
            }
        }

        return "closing";
    }
}

public enum PhaseKind
{
    Ramp,
    Hold,
}

/// <summary>One phase. For a hold, <paramref name="Streams"/> is the level held (the previous level).</summary>
public sealed record ProfilePhase(PhaseKind Kind, int Streams, TimeSpan During);
