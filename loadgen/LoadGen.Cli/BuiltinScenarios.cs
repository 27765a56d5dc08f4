using LoadGen.Core.Scenarios;

namespace LoadGen.Cli;

internal static class BuiltinScenarios
{
    /// <summary>The demo: ramp to N streams, hold, ramp down, 1 msg/s each, against the embedded lab.</summary>
    public static Scenario Demo(int streams, TimeSpan duration)
    {
        var ramp = TimeSpan.FromSeconds(Math.Min(10, duration.TotalSeconds / 6));
        var down = TimeSpan.FromSeconds(Math.Min(5, duration.TotalSeconds / 12));
        return new Scenario
        {
            Name = "demo",
            Source = "built-in:demo",
            Targets = [new TargetOptions { Name = "backend-h2c", Address = new Uri("lab://backend-h2c") }],
            Profile = new PopulationProfile
            {
                Phases =
                [
                    new ProfilePhase(PhaseKind.Ramp, streams, ramp),
                    new ProfilePhase(PhaseKind.Hold, streams, duration - ramp - down),
                    new ProfilePhase(PhaseKind.Ramp, 0, down),
                ],
                MaxOpensPerSecond = Math.Max(100, streams / ramp.TotalSeconds * 1.5),
            },
            Messages = new MessagePlan { Interval = TimeSpan.FromSeconds(1), PayloadBytes = 64 },
            Interval = TimeSpan.FromSeconds(5),
        };
    }
}
