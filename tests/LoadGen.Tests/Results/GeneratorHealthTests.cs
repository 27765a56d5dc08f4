using LoadGen.Results;
using LoadGen.Results.Analysis;

namespace LoadGen.Tests.Results;

public class GeneratorHealthTests
{
    private static TopologySummary Topology(string name, double sendLagP99) => new()
    {
        Name = name,
        Address = "http://127.0.0.1:1",
        Streams = new StreamCounts(10, 10, 10, 10, 0),
        Messages = new MessageCounts(100, 100),
        LatencyMs = new LatencyStats(100, 1, 2, 3, 4, 5, 1),
        LatencyUncorrectedMs = new LatencyStats(100, 1, 2, 3, 4, 5, 1),
        OpenLatencyMs = new LatencyStats(10, 1, 2, 3, 4, 5, 1),
        SendLagMs = new LatencyStats(100, 0.5, 1, sendLagP99, sendLagP99, sendLagP99, 1),
        Outcomes = new Dictionary<string, long>(),
        Connections = new ConnectionCounts(1, 10, 1),
    };

    [Fact]
    public void ASaturatedGenerator_IsWarnedOfByName_AKeptUpOneIsNot()
    {
        var warnings = GeneratorHealth.Warnings([Topology("direct-tls", 8.3), Topology("gateway", 41.5)]).ToList();

        var w = Assert.Single(warnings);
        Assert.Contains("LoadGen was saturated on gateway: send lag p99 41.5 ms", w, StringComparison.Ordinal);
        Assert.Equal(0, GeneratorHealth.Lateness(Topology("a", 19.9)));
        Assert.Equal(20, GeneratorHealth.Lateness(Topology("a", 20)));
    }

    [Fact]
    public void Stats_SayWhichFigureMadeTheGeneratorSaturated()
    {
        var kept = GeneratorHealth.Stats([Topology("a", 8)], new ProcessStats(200, 10, 60, 2) { GcPauseShare = 0.02, ThreadPoolQueueMax = 3 });
        var cpu = GeneratorHealth.Stats([Topology("a", 8)], new ProcessStats(200, 10, 190, 2) { GcPauseShare = 0.02, ThreadPoolQueueMax = 3 });
        var gc = GeneratorHealth.Stats([Topology("a", 8)], new ProcessStats(200, 10, 60, 2) { GcPauseShare = 0.15 });
        var rebuilt = GeneratorHealth.Stats([Topology("a", 8), Topology("b", 33)], null);

        Assert.False(kept.Saturated);
        Assert.Equal(0.3, kept.CpuShareOfCores);
        Assert.StartsWith("LoadGen kept up: CPU 30% of the machine, send lag p99 8 ms", GeneratorHealth.Describe(kept), StringComparison.Ordinal);
        Assert.True(cpu.Saturated);
        Assert.Contains("CPU 95% of all 2 cores", cpu.Why, StringComparison.Ordinal);
        Assert.Contains("GC pauses 15.0% of the time", gc.Why, StringComparison.Ordinal);
        Assert.True(rebuilt.Saturated);
        Assert.Equal(33, rebuilt.SendLagP99Ms);
        Assert.Null(rebuilt.CpuShareOfCores);
        Assert.StartsWith("LoadGen was SATURATED (send lag p99 33 ms", GeneratorHealth.Describe(rebuilt), StringComparison.Ordinal);
    }
}
