using LoadGen.Examples.CodeFirst;
using LoadGen.Lab.Backend;
using LoadGen.Tests.Integration;

namespace LoadGen.Tests.Workloads;

/// <summary>The example under scenarios/code-first: a C# scenario through the same engine, outcomes and reports.</summary>
[Collection(SerialLoad.Name)]
public class CodeFirstTests
{
    [Fact]
    public async Task Example_RunsAgainstTheLabService_WithTheEnginesCountsOutcomesAndReports()
    {
        await using var backend = await LabBackend.StartAsync(new LabBackendOptions());
        var outDir = Path.Combine(Path.GetTempPath(), "loadgen-tests", Guid.NewGuid().ToString("N"));

        var (summary, folder, reports) = await LabChatScenario.RunAsync(backend.GrpcAddress, outDir, streams: 20, hold: TimeSpan.FromSeconds(3));

        var t = Assert.Single(summary.Topologies);
        Assert.Equal("loadgen.lab.v1.LabService/Chat", t.Method);
        Assert.Equal("by-field: request seq = reply seq", t.Matching);
        Assert.Equal(20, t.Streams.Opened);
        Assert.Equal(new Dictionary<string, long> { ["client-closed"] = 20 }, t.Outcomes);
        Assert.Equal(backend.Stats.MessagesReceived, t.Messages.Sent);
        Assert.Equal(t.Messages.Sent, t.Messages.Received);
        Assert.Equal(t.Messages.Sent - t.Streams.Opened, t.LatencyMs.Count);
        Assert.Equal(20, File.ReadAllLines(Path.Combine(folder, "outcomes.ndjson")).Length);
        Assert.Single(summary.Thresholds);
        Assert.Contains("loadgen.lab.v1.LabService/Chat", await File.ReadAllTextAsync(reports.Markdown));
        Assert.True(new FileInfo(reports.Html).Length > 10_000);
    }
}
