using LoadGen.Core.Scenarios;

namespace LoadGen.Tests.Engine;

public class PopulationProfileTests
{
    private static readonly PopulationProfile Profile = new()
    {
        Phases =
        [
            new ProfilePhase(PhaseKind.Ramp, 1000, TimeSpan.FromSeconds(10)),
            new ProfilePhase(PhaseKind.Hold, 1000, TimeSpan.FromSeconds(30)),
            new ProfilePhase(PhaseKind.Ramp, 200, TimeSpan.FromSeconds(4)),
        ],
    };

    [Theory]
    [InlineData(0, 0)]
    [InlineData(5, 500)]
    [InlineData(9.99, 999)]
    [InlineData(10, 1000)]
    [InlineData(39, 1000)]
    [InlineData(42, 600)]
    [InlineData(44, 0)]
    [InlineData(100, 0)]
    public void TargetAt_FollowsRampsAndHolds(double seconds, int expected) =>
        Assert.Equal(expected, Profile.TargetAt(TimeSpan.FromSeconds(seconds)));

    [Fact]
    public void DurationAndPeak_AddUpThePhases()
    {
        Assert.Equal(TimeSpan.FromSeconds(44), Profile.Duration);
        Assert.Equal(1000, Profile.Peak);
        Assert.Equal("hold 2/3", Profile.PhaseAt(TimeSpan.FromSeconds(20)));
        Assert.Equal("closing", Profile.PhaseAt(TimeSpan.FromSeconds(50)));
    }

    [Fact]
    public void ZeroLengthRamp_JumpsStraightToTheLevel()
    {
        var p = new PopulationProfile { Phases = [new(PhaseKind.Ramp, 50, TimeSpan.Zero), new(PhaseKind.Hold, 50, TimeSpan.FromSeconds(5))] };
        Assert.Equal(50, p.TargetAt(TimeSpan.Zero));
        Assert.Equal(50, p.TargetAt(TimeSpan.FromSeconds(4.9)));
    }
}
