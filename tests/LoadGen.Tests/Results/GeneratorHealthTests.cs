using LoadGen.Results;
using LoadGen.Results.Analysis;

namespace LoadGen.Tests.Results;

public class GeneratorHealthTests
{
    internal static TopologySummary Topology(string name, double sendLagP99) => new()
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
        var process = new ProcessStats(200, 10, 60, 2) { ThreadPoolQueueMax = 3 };
        var kept = GeneratorHealth.Stats([Topology("a", 8)], [Interval(0.3, 0.02)], process);
        // A busy second out of ten is not a saturated run; time-weighted, 5 s at 0.99 and 5 s at 0.91 is.
        var oneBusySecond = GeneratorHealth.Stats([Topology("a", 8)], [Interval(0.99, 0.02, 1), Interval(0.3, 0.02, 9)], process);
        var cpu = GeneratorHealth.Stats([Topology("a", 8)], [Interval(0.99, 0.02, 5), Interval(0.91, 0.02, 5)], process);
        var gc = GeneratorHealth.Stats([Topology("a", 8)], [Interval(0.3, 0.15)], process);
        var rebuilt = GeneratorHealth.Stats([Topology("a", 8), Topology("b", 33)], [], null);

        Assert.False(kept.Saturated);
        Assert.Equal(0.3, kept.CpuShareOfCores);
        Assert.StartsWith("LoadGen kept up: CPU 30% of the machine, send lag p99 8 ms", GeneratorHealth.Describe(kept), StringComparison.Ordinal);
        Assert.Equal(3, kept.ThreadPoolQueueMax);
        Assert.False(oneBusySecond.Saturated);
        Assert.Equal(0.369, oneBusySecond.CpuShareOfCores);
        Assert.True(cpu.Saturated);
        Assert.Contains("CPU 95% of all the machine's cores", cpu.Why, StringComparison.Ordinal);
        Assert.Contains("GC pauses 15.0% of the time", gc.Why, StringComparison.Ordinal);
        Assert.True(rebuilt.Saturated);
        Assert.Equal(33, rebuilt.SendLagP99Ms);
        Assert.Null(rebuilt.CpuShareOfCores);
        Assert.StartsWith("LoadGen was SATURATED (send lag p99 33 ms", GeneratorHealth.Describe(rebuilt), StringComparison.Ordinal);
    }

    [Fact]
    public void ASaturatedGenerator_NamesWhoTookTheMachine_LoadGenOrTheOtherProcesses()
    {
        // Send lag p99 45 ms both times; the machine was 95% busy both times: once LoadGen's doing, once another job's.
        var crowdedOut = GeneratorHealth.Stats([Topology("a", 45)], [Interval(0.30, 0.02, 10) with { MachineCpuShare = 0.95 }], null);
        var itself = GeneratorHealth.Stats([Topology("a", 45)], [Interval(0.85, 0.02, 10) with { MachineCpuShare = 0.95 }], null);
        var unmeasured = GeneratorHealth.Stats([Topology("a", 45)], [Interval(0.85, 0.02, 10)], null);

        Assert.Equal(0.65, crowdedOut.OthersCpuShare);
        Assert.Contains("other processes took 65% of the machine, LoadGen 30%: stop the other load", crowdedOut.Cause, StringComparison.Ordinal);
        Assert.Contains("CPU 30% of the machine (other processes 65%)", GeneratorHealth.Describe(crowdedOut), StringComparison.Ordinal);
        Assert.EndsWith(crowdedOut.Cause!, GeneratorHealth.Describe(crowdedOut), StringComparison.Ordinal);
        Assert.Contains("LoadGen itself took 85% of the machine, other processes 10%: fewer streams per LoadGen process", itself.Cause, StringComparison.Ordinal);
        // Not measured (a rebuilt run of an older version, or not Linux): no blame is laid.
        Assert.Null(unmeasured.Cause);
        Assert.DoesNotContain("other processes", GeneratorHealth.Describe(unmeasured), StringComparison.Ordinal);
    }

    private static IntervalRecord Interval(double cpu, double gc, double seconds = 1) => new()
    {
        Topology = "a",
        Start = DateTimeOffset.UnixEpoch,
        End = DateTimeOffset.UnixEpoch.AddSeconds(seconds),
        Phase = "hold",
        LoadGenCpuShare = cpu,
        LoadGenGcPauseShare = gc,
    };
}
