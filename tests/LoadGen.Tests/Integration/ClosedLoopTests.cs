using LoadGen.Core.Scenarios;
using LoadGen.Core.Scenarios.Lab;
using LoadGen.Lab.Backend;
using LoadGen.Reports;

namespace LoadGen.Tests.Integration;

/// <summary>`schedule: closed`: as fast as the path allows, a known answer against a backend that holds every reply 20 ms.</summary>
[Collection(SerialLoad.Name)]
public class ClosedLoopTests
{
    [Fact(Timeout = SerialLoad.TimeoutMs)]
    public async Task AClosedLoop_SendsWhenEachReplyComes_SoA20msBackendSetsTheRate_AndLatencyIsFromTheSend()
    {
        await using var backend = await LabBackend.StartAsync(new LabBackendOptions());
        var scenario = EngineHarness.Scenario(backend.GrpcAddress, streams: 10, hold: TimeSpan.FromSeconds(3),
            m => m with { Schedule = ScheduleKind.Closed, Directives = new LabDirectives { Delay = TimeSpan.FromMilliseconds(20) } });

        var (summary, _) = await EngineHarness.RunAsync(scenario);

        var t = Assert.Single(summary.Topologies);
        // One message in flight per stream, each held 20 ms: at most 50 per stream-second of open streams, and close to it.
        var streamSeconds = t.StreamHours * 3600;
        var perStreamSecond = t.Messages.Received / streamSeconds;
        Assert.True(perStreamSecond <= 50.5, $"{perStreamSecond:0.0} messages per stream-second: more than one in flight");
        Assert.True(perStreamSecond >= 30, $"{perStreamSecond:0.0} messages per stream-second: the loop waited for more than the replies");
        Assert.InRange(t.LatencyMs.P50!.Value, 20, 30);
        // No schedule to fall behind: latency from the send is all there is.
        Assert.InRange(t.LatencyMs.P50!.Value - t.LatencyUncorrectedMs.P50!.Value, 0, 0.1);
        Assert.Equal("closed", summary.Schedule);
        Assert.Contains(SummaryTable.Notes(summary), n => n.StartsWith("closed loop: each stream kept 1 message in flight", StringComparison.Ordinal));
    }
}
