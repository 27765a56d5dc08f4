using LoadGen.Core.Engine;
using LoadGen.Core.Inputs;
using LoadGen.Core.Scenarios;
using LoadGen.Core.Scenarios.Lab;
using LoadGen.Results;

namespace LoadGen.Tests.Scenarios;

/// <summary>
/// The scenario validates itself: the rules across fields run on the model, so the YAML loader (which names the line)
/// and a scenario built in code refuse the same scenarios with the same words, before any stream opens; and what
/// `validate` accepts, `run` can run.
/// </summary>
public class ScenarioValidationTests
{
    private const string Profile = "profile:\n  phases:\n    - ramp: 1\n      over: 1s\n    - hold: 1s\n";

    /// <summary>Inputs that `validate` accepted and `run` then failed on (or crashed on): each now fails at its line.</summary>
    [Theory]
    [InlineData("targets:\n  - name: x\n    address: lab://nonexistent\n" + Profile, 3, "targets[0].address", "lab://nonexistent is not a lab topology")]
    [InlineData("targets:\n  - name: x\n    address: http://127.0.0.1:1\n    authority: \"user:s3cr3t@host\"\n" + Profile, 4, "targets[0].authority", "has a user name or password")]
    [InlineData("targets:\n  - name: x\n    address: lab://backend-h2c\nprofile:\n  phases:\n    - ramp: 1\n      over: 1s\n    - hold: 100000000000h\n", 8, "profile.phases[1].hold", "100000000000h is out of range")]
    public void ValidateOkRunFails_NowFailsAtValidate_AtItsLine(string yaml, int line, string field, string problem)
    {
        var e = Assert.Throws<ScenarioException>(() => ScenarioLoader.Load(yaml, "v.yaml"));

        Assert.Equal((line, field), ((int)e.Line, e.Field));
        Assert.Contains(problem, e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("s3cr3t", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ANameOfTenMegabytes_IsRefusedAtItsLine_WithoutEchoingIt()
    {
        var yaml = "name: " + new string('n', 10_000_000) + "\ntargets:\n  - name: x\n    address: lab://backend-h2c\n" + Profile;

        var e = Assert.Throws<ScenarioException>(() => ScenarioLoader.Load(yaml, "v.yaml"));

        Assert.Equal((1, "name"), ((int)e.Line, e.Field));
        Assert.True(e.Message.Length < 300, $"the message is {e.Message.Length} characters long");
    }

    /// <summary>A code-first scenario with a fault on a non-lab target: refused by the engine before any file or stream, in the YAML path's words.</summary>
    [Fact]
    public async Task CodeFirst_AFaultOnANonLabTarget_FailsBeforeAnyStream_WithTheYamlPathsWords()
    {
        var yamlError = Assert.Throws<ScenarioException>(() => ScenarioLoader.Load(
            "targets:\n  - name: mine\n    address: http://127.0.0.1:9\n" + Profile + "faults:\n  - at: 500ms\n    action: kill-backend\n    for: 1s\n", "f.yaml"));
        var scenario = new Scenario
        {
            Name = "code",
            Source = "code:test",
            Targets = [new TargetOptions { Name = "mine", Address = new Uri("http://127.0.0.1:9") }],
            Profile = new PopulationProfile { Phases = [new ProfilePhase(PhaseKind.Ramp, 1, TimeSpan.FromSeconds(1)), new ProfilePhase(PhaseKind.Hold, 1, TimeSpan.FromSeconds(1))] },
            Faults = [new FaultStep { At = TimeSpan.FromMilliseconds(500), Kind = FaultKind.KillBackend, For = TimeSpan.FromSeconds(1) }],
        };
        var outDir = TestTemp.Folder("code-first");
        var folder = RunFolder.Create(outDir, scenario.Name, DateTimeOffset.UtcNow);

        var e = await Assert.ThrowsAsync<ScenarioException>(() => new LoadEngine().RunAsync(scenario, folder));

        Assert.Equal("faults", e.Field);
        Assert.Equal(yamlError.Problem, e.Problem);
        Assert.StartsWith("code:test:0:0: faults: faults on cue act on the lab's own parts", e.Message, StringComparison.Ordinal);
        Assert.False(File.Exists(folder.RunJson), "run.json was written for a scenario that cannot run");
    }

    /// <summary>Every problem at once, not the first: a code-first user fixes them in one go.</summary>
    [Fact]
    public void Validate_ListsEveryProblem()
    {
        var scenario = new Scenario
        {
            Name = "",
            Targets = [new TargetOptions { Name = "a", Address = new Uri("lab://nope") }, new TargetOptions { Name = "b", Address = new Uri("http://127.0.0.1:9"), Authority = "u:p@h" }],
            Profile = new PopulationProfile { Phases = [new ProfilePhase(PhaseKind.Hold, 1, TimeSpan.FromDays(40))] },
        };

        Assert.Equal(["name", "targets[0].address", "targets[1].authority", "profile"], scenario.Validate().Select(p => p.Field));
    }

    [Fact]
    public void TheModelsLabTopologies_AreTheLabs()
    {
        Assert.Equal(LoadGen.Lab.LabTopologies.Names, Scenario.LabTopologies);
    }
}
