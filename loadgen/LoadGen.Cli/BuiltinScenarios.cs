using LoadGen.Core.Scenarios;

namespace LoadGen.Cli;

internal static class BuiltinScenarios
{
    /// <summary>
    /// The built-in comparison workload: every target ramps to N streams, holds them, ramps down;
    /// 1 msg/s per stream, 64-byte payloads. <paramref name="hold"/> is each target's total hold,
    /// shared out over <paramref name="rounds"/> interleaved rounds.
    /// </summary>
    /// <summary>compare's and demo's warm-up per target, unless the scenario or --warmup says otherwise.</summary>
    public static readonly TimeSpan CompareWarmUp = TimeSpan.FromSeconds(4);

    public static Scenario Compare(IReadOnlyList<TargetOptions> targets, int streams, TimeSpan hold, int rounds, string name = "compare")
    {
        // About 400 opens/s: a 2,000-stream ramp takes 5 s, and no proxy sees a connection storm.
        var ramp = TimeSpan.FromSeconds(Math.Clamp(streams / 400.0, 1, 30));
        var down = TimeSpan.FromSeconds(Math.Clamp(streams / 800.0, 1, 10));
        return new Scenario
        {
            Name = name,
            Source = $"built-in:{name}",
            Targets = targets,
            Profile = new PopulationProfile
            {
                Phases =
                [
                    new ProfilePhase(PhaseKind.Ramp, streams, ramp),
                    new ProfilePhase(PhaseKind.Hold, streams, hold),
                    new ProfilePhase(PhaseKind.Ramp, 0, down),
                ],
                MaxOpensPerSecond = Math.Max(100, streams / ramp.TotalSeconds * 1.5),
            },
            Messages = new MessagePlan { Interval = TimeSpan.FromSeconds(1), PayloadBytes = 64 },
            ReportingInterval = TimeSpan.FromSeconds(5),
            Rounds = rounds,
            WarmUp = CompareWarmUp,
        };
    }
}
