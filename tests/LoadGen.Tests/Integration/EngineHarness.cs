using LoadGen.Core.Engine;
using LoadGen.Core.Scenarios;
using LoadGen.Results;

namespace LoadGen.Tests.Integration;

/// <summary>Runs the real engine into a temporary run folder.</summary>
internal static class EngineHarness
{
    public static Scenario Scenario(Uri address, int streams, TimeSpan hold, Func<MessagePlan, MessagePlan>? messages = null) => new()
    {
        Name = "test",
        Targets = [new TargetOptions { Name = "backend-h2c", Address = address }],
        Profile = new PopulationProfile
        {
            Phases =
            [
                new ProfilePhase(PhaseKind.Ramp, streams, TimeSpan.FromSeconds(1)),
                new ProfilePhase(PhaseKind.Hold, streams, hold),
                new ProfilePhase(PhaseKind.Ramp, 0, TimeSpan.FromMilliseconds(500)),
            ],
            MaxOpensPerSecond = 5000,
        },
        Messages = (messages ?? (m => m))(new MessagePlan { Interval = TimeSpan.FromMilliseconds(200), PayloadBytes = 32 }),
        ReportingInterval = TimeSpan.FromSeconds(1),
        CloseTimeout = TimeSpan.FromSeconds(5),
    };

    /// <summary>The same workload against a lab topology (its TLS CA trusted).</summary>
    public static Scenario Scenario(LoadGen.Lab.LabEndpoint endpoint, int streams, TimeSpan hold, Func<MessagePlan, MessagePlan>? messages = null) =>
        Scenario(endpoint.Address, streams, hold, messages) with
        {
            Targets = [new TargetOptions { Name = endpoint.Name, Address = endpoint.Address, CaFile = endpoint.CaFile }],
        };

    public static async Task<(RunSummary Summary, RunFolder Folder)> RunAsync(Scenario scenario, IFaultInjector? faults = null, CancellationToken ct = default)
    {
        var dir = TestTemp.Path("run");
        var folder = RunFolder.Create(dir, scenario.Name, DateTimeOffset.UtcNow);
        // With a fault injector the targets are lab topologies the test stood up itself: say so as the CLI does
        // (run.json's address lab://NAME, resolved to the loopback one), so the scenario's lab-only rules see them as such.
        IReadOnlyList<RunTarget>? targets = faults is null ? null
            : [.. scenario.Targets.Select(t => new RunTarget(t.Name, $"lab://{t.Name}", t.Address.ToString(), null))];
        var summary = await new LoadEngine { Faults = faults }.RunAsync(scenario, folder, targets, ct);
        return (summary, folder);
    }
}
