using LoadGen.Examples.CodeFirst;
using LoadGen.Lab.Backend;
using LoadGen.Tests.Integration;

namespace LoadGen.Tests.Workloads;

/// <summary>The example under scenarios/code-first: a C# scenario through the same engine, outcomes and reports.</summary>
[Collection(SerialLoad.Name)]
public class CodeFirstTests
{
    [Fact(Timeout = SerialLoad.TimeoutMs)]
    public async Task Example_RunsAgainstTheLabService_WithTheEnginesCountsOutcomesAndReports()
    {
        await using var backend = await LabBackend.StartAsync(new LabBackendOptions());
        var outDir = TestTemp.Path("run");

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
        // The declared threshold and the default one a code-first scenario gets as a YAML one does (nothing went unanswered).
        Assert.Equal(2, summary.Thresholds.Count);
        Assert.True(Assert.Single(summary.Thresholds, t => t.Expression == LoadGen.Results.Analysis.Thresholds.DefaultUnanswered).Passed);
        Assert.Contains("loadgen.lab.v1.LabService/Chat", await File.ReadAllTextAsync(reports.Markdown));
        Assert.True(new FileInfo(reports.Html).Length > 10_000);
        // The exit-code policy a code-first program shares with `loadgen run`: the target answered, so no error, and the
        // code is the threshold's verdict (its p99 bound can fail on a busy machine: 1, never 3 or 0 for a failed one).
        var (code, errors) = LoadGen.Results.Analysis.RunExit.Judge(summary, LoadGen.Results.RunFolder.Open(folder));
        Assert.Equal(summary.Verdict == LoadGen.Results.RunVerdict.Fail ? LoadGen.Results.Analysis.RunExit.ThresholdsFailed : LoadGen.Results.Analysis.RunExit.Ok, code);
        Assert.Empty(errors);
    }

    /// <summary>A code-first run against a port nobody listens on exits as `loadgen run` would: 3, naming the target — never 0.</summary>
    [Fact(Timeout = SerialLoad.TimeoutMs)]
    public async Task Example_AgainstNothing_ExitsThree_AsTheCliWould_NamingTheTarget()
    {
        var port = LabBackend.FreePort(System.Net.IPAddress.Loopback);
        var outDir = TestTemp.Path("run");

        var (summary, folder, _) = await LabChatScenario.RunAsync(new Uri($"http://127.0.0.1:{port}"), outDir, streams: 3, hold: TimeSpan.FromSeconds(1));
        var (code, errors) = LoadGen.Results.Analysis.RunExit.Judge(summary, LoadGen.Results.RunFolder.Open(folder));

        Assert.Equal(LoadGen.Results.Analysis.RunExit.RunFailed, code);
        Assert.Contains(summary.Topologies[0].Name, Assert.Single(errors), StringComparison.Ordinal);
        // A shard leaves thresholds to the merge, never an unreachable target.
        Assert.Equal(LoadGen.Results.Analysis.RunExit.RunFailed, LoadGen.Results.Analysis.RunExit.Judge(summary, LoadGen.Results.RunFolder.Open(folder), noGate: true).Code);
    }
}

/// <summary>A code-first workload whose own code throws: the stream ends as the workload's error, not the path's.</summary>
[Collection(SerialLoad.Name)]
public class WorkloadErrorTests
{
    /// <summary>The outcome records of 5 streams held for 3 s (ended streams are replaced to hold the population).</summary>
    private static async Task<List<System.Text.Json.JsonElement>> RunAsync(LabBackend backend, LoadGen.Core.Workloads.StreamWorkload workload)
    {
        var scenario = EngineHarness.Scenario(backend.GrpcAddress, streams: 5, hold: TimeSpan.FromSeconds(3));
        var (_, folder) = await EngineHarness.RunAsync(scenario with { Workload = workload });
        var ends = File.ReadAllLines(folder.OutcomesPath).Select(l => System.Text.Json.JsonDocument.Parse(l).RootElement).ToList();
        // Streams opened in the last moments close before their code fails; every other one ends on the code's exception.
        var failed = ends.Where(o => o.GetProperty("cause").GetString() != "client-closed").ToList();
        Assert.True(failed.Count >= 5, $"{failed.Count} failed of {ends.Count}");
        return failed;
    }

    private static LoadGen.Core.Workloads.BidiWorkload<LoadGen.Protos.Lab.ClientFrame, LoadGen.Protos.Lab.ServerFrame> Lab(Func<ulong, LoadGen.Protos.Lab.ClientFrame> message) =>
        new("loadgen.lab.v1.LabService/Chat", (invoker, options) => new LoadGen.Protos.Lab.LabService.LabServiceClient(invoker).Chat(options), (_, seq) => message(seq));

    [Fact(Timeout = SerialLoad.TimeoutMs)]
    public async Task MessageFunctionThrows_StreamEndsAsWorkloadError_AtOnce()
    {
        await using var backend = await LabBackend.StartAsync(new LabBackendOptions());

        var failed = await RunAsync(backend, Lab(seq => seq < 4 ? new LoadGen.Protos.Lab.ClientFrame { Seq = seq } : throw new InvalidOperationException("bad frame")));

        Assert.All(failed, o =>
        {
            Assert.Equal("workload-error:InvalidOperationException", o.GetProperty("cause").GetString());
            Assert.Equal("bad frame", o.GetProperty("detail").GetString());
            // Three messages went out; the fourth never existed, and the stream did not linger, quiet, after it.
            Assert.Equal(3, o.GetProperty("sent").GetInt64());
            Assert.True(o.GetProperty("ageS").GetDouble() < 2.5, o.ToString());
        });
    }

    [Fact(Timeout = SerialLoad.TimeoutMs)]
    public async Task ReplyHookThrows_StreamEndsAsWorkloadError()
    {
        await using var backend = await LabBackend.StartAsync(new LabBackendOptions());
        var workload = Lab(seq => new LoadGen.Protos.Lab.ClientFrame { Seq = seq })
            .OnReply((_, reply) =>
            {
                if (reply.Seq == 2)
                {
                    throw new FormatException("bad frame from the server");
                }
            });

        var failed = await RunAsync(backend, workload);

        Assert.All(failed, o =>
        {
            Assert.Equal("workload-error:FormatException", o.GetProperty("cause").GetString());
            Assert.Equal("bad frame from the server", o.GetProperty("detail").GetString());
            Assert.Equal(2, o.GetProperty("received").GetInt64());
        });
    }
}
