using System.Text.Json;
using LoadGen.Core.Scenarios;
using LoadGen.Core.Workloads;
using LoadGen.Lab.Backend;
using LoadGen.Results;
using LoadGen.Tests.Cli;
using LoadGen.Tests.Integration;

namespace LoadGen.Tests.Workloads;

/// <summary>Driving a service that is not the lab's, from a scenario's service: section.</summary>
[Collection(SerialLoad.Name)]
public class OwnServiceTests
{
    internal static readonly string Protos = Path.Combine(AppContext.BaseDirectory, "Workloads", "protos");

    internal static readonly string BenchmarkProto = Path.Combine(Protos, "grpc", "testing", "benchmark_service.proto");

    internal static string Yaml(Uri address, string service, string hold = "4s", int streams = 10) => $"""
        name: own-service
        targets:
          - name: bench
            address: {address}
        profile:
          phases:
            - ramp: {streams}
              over: 1s
            - hold: {hold}
            - ramp: 0
              over: 500ms
        messages:
          interval: 200ms
        interval: 1s
        closeTimeout: 5s
        {service}
        """;

    [Fact(Timeout = SerialLoad.TimeoutMs)]
    public async Task PingPong_BenchmarkService_CountsMatchTheServer_AndLatencyIsTheServersDelay()
    {
        // Each reply leaves 25 ms after its request, messages 200 ms apart: a pairing off by one
        // would read ~225 ms (or find no request), not ~25 ms.
        await using var server = await BenchmarkServer.StartAsync(TimeSpan.FromMilliseconds(25));
        var scenario = await TempScenario.WriteAsync("pingpong", Yaml(server.Address, $$"""
            service:
              proto: {{BenchmarkProto}}
              importPaths: [{{Protos}}]
              method: grpc.testing.BenchmarkService/StreamingCall
              message: |
                response_size: 16
                payload { body: "s${stream}-${random:12}" }
              match: ping-pong
            """));

        var (code, stdout, stderr) = await CliRunner.RunAsync("run", "--scenario", scenario.File, "--out", scenario.OutDir, "--quiet");

        Assert.True(code == 0, $"exit {code}\n{stdout}\n{stderr}");
        var t = Assert.Single(RunFolder.Open(scenario.RunFolder).ReadSummary().Topologies);
        Assert.Equal("grpc.testing.BenchmarkService/StreamingCall", t.Method);
        Assert.StartsWith("ping-pong", t.Matching);
        Assert.Equal(10, t.Streams.Opened);
        Assert.Equal(new Dictionary<string, long> { ["client-closed"] = 10 }, t.Outcomes);
        Assert.Equal(10, server.Seen.Streams);
        Assert.True(t.Messages.Sent > 10 * 15, $"sent {t.Messages.Sent}");
        Assert.Equal(server.Seen.Requests, t.Messages.Sent);
        Assert.Equal(server.Seen.Replies, t.Messages.Received);
        Assert.Equal(t.Messages.Sent, t.Messages.Received);
        // Every reply paired with its request; each stream's first counts as open latency.
        Assert.Equal(t.Messages.Received - t.Streams.Opened, t.LatencyMs.Count);
        Assert.InRange(t.LatencyMs.P50!.Value, 25, 180);
        Assert.True(t.LatencyUncorrectedMs.P50 >= 25, $"uncorrected p50 {t.LatencyUncorrectedMs.P50}");

        // The template reached the server as written, placeholders filled per stream and message.
        var bodies = server.Seen.Last.Select(r => r.Payload.Body.ToStringUtf8()).ToList();
        Assert.All(server.Seen.Last, r => Assert.Equal(16, r.ResponseSize));
        Assert.All(bodies, b => Assert.Matches("^s([1-9]|10)-[A-Za-z0-9]{12}$", b));
        Assert.True(bodies.Distinct().Count() > bodies.Count * 0.9, "random part not random");

        using var run = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(scenario.RunFolder, "run.json")));
        var settings = run.RootElement.GetProperty("scenarioSettings");
        Assert.Equal("grpc.testing.BenchmarkService/StreamingCall", settings.GetProperty("workload").GetProperty("method").GetString());
        // The lab's payload size and directives are not this workload's: run.json does not claim them.
        Assert.False(settings.GetProperty("messages").TryGetProperty("payloadBytes", out _), settings.GetProperty("messages").GetRawText());
        Assert.True(settings.GetProperty("messages").TryGetProperty("interval", out _));
    }

    [Fact(Timeout = SerialLoad.TimeoutMs)]
    public async Task ByField_LabService_DataDriven_CountsAsTheBuiltInDriver()
    {
        await using var backend = await LabBackend.StartAsync(new LabBackendOptions());
        var builtIn = EngineHarness.Scenario(backend.GrpcAddress, streams: 20, hold: TimeSpan.FromSeconds(3));
        var dataDriven = builtIn with
        {
            Workload = ScenarioLoader.CompileService(new ServiceSpec
            {
                Protos = [Path.Combine(AppContext.BaseDirectory, "protos", "lab.proto")],
                Method = "loadgen.lab.v1.LabService/Chat",
                Message = """seq: ${seq} payload: "${random:32}" """,
                Match = LoadGen.Core.Workloads.ReplyMatchKind.ByKey,
                RequestField = "seq",
            }),
        };

        // Side by side, at the same time: the same warm-up, the same machine load for both drivers.
        var both = await Task.WhenAll(EngineHarness.RunAsync(builtIn), EngineHarness.RunAsync(dataDriven));
        var (a, b) = (both[0].Summary, both[1].Summary);

        var x = Assert.Single(a.Topologies);
        var y = Assert.Single(b.Topologies);
        Assert.Equal("loadgen.lab.v1.LabService/Chat", y.Method);
        Assert.Equal("by-field: request seq = reply seq", y.Matching);
        foreach (var t in new[] { x, y })
        {
            Assert.Equal(20, t.Streams.Opened);
            Assert.Equal(new Dictionary<string, long> { ["client-closed"] = 20 }, t.Outcomes);
            Assert.Equal(t.Messages.Sent, t.Messages.Received);
            Assert.Equal(t.Messages.Sent - t.Streams.Opened, t.LatencyMs.Count);
        }

        Assert.Equal(x.Messages.Sent + y.Messages.Sent, backend.Stats.MessagesReceived);
        // Same schedule, same hold, same moment: the two drivers send as many messages, give or take the edges of a timed run.
        Assert.InRange(y.Messages.Sent, x.Messages.Sent * 0.93, x.Messages.Sent * 1.07);
    }

    [Fact(Timeout = SerialLoad.TimeoutMs)]
    public async Task CountOnly_ServerPushes_CountsEveryReply_AndMeasuresGaps_NotLatency()
    {
        await using var server = await BenchmarkServer.StartAsync(TimeSpan.Zero);
        var scenario = await TempScenario.WriteAsync("countonly", Yaml(server.Address, $$$"""
            service:
              proto: {{{BenchmarkProto}}}
              importPaths: [{{{Protos}}}]
              method: grpc.testing.BenchmarkService/StreamingBothWays
              message: '{"responseSize": "${seq}", "payload": {"body": "AAEC"}}'
              match: count-only
            """, hold: "3s", streams: 5));

        var (code, stdout, stderr) = await CliRunner.RunAsync("run", "--scenario", scenario.File, "--out", scenario.OutDir, "--quiet");

        Assert.True(code == 0, $"exit {code}\n{stdout}\n{stderr}");
        var t = Assert.Single(RunFolder.Open(scenario.RunFolder).ReadSummary().Topologies);
        Assert.StartsWith("count-only", t.Matching);
        Assert.Equal(new Dictionary<string, long> { ["client-closed"] = 5 }, t.Outcomes);
        Assert.Equal(server.Seen.Requests, t.Messages.Sent);
        Assert.Equal(server.Seen.Replies, t.Messages.Received);
        Assert.True(t.Messages.Received > 5 * 40, $"received {t.Messages.Received}");
        Assert.Equal(0, t.LatencyMs.Count);
        var gaps = Assert.IsType<LatencyStats>(t.ReplyGapMs);
        Assert.Equal(t.Messages.Received - t.Streams.Opened, gaps.Count);
        // The server pushes every 50 ms.
        Assert.InRange(gaps.P50!.Value, 45, 150);
        // The console's table says it too.
        Assert.Matches(@"reply gap p50 / p99 / max \(count-only\) *\| *\d", stdout + stderr);

        // A killed run (no summary) rebuilt from its files keeps the gaps and the workload.
        File.Delete(Path.Combine(scenario.RunFolder, "summary.json"));
        var rebuilt = Assert.Single(LoadGen.Reports.RunData.Load(scenario.RunFolder).Summary.Topologies);
        Assert.Equal(gaps, rebuilt.ReplyGapMs);
        Assert.Equal((t.Method, t.Matching), (rebuilt.Method, rebuilt.Matching));

        // JSON: responseSize as a string holding ${seq}, body as base64 (bytes 0, 1, 2).
        var first = server.Seen.Last.First();
        Assert.Equal([0, 1, 2], first.Payload.Body.ToByteArray());
        Assert.Contains(server.Seen.Last, r => r.ResponseSize > 1);
    }

    [Fact(Timeout = SerialLoad.TimeoutMs)]
    public async Task Reflect_TakesTheDescriptorsFromTheServer()
    {
        await using var server = await BenchmarkServer.StartAsync(TimeSpan.Zero, reflection: true);
        var scenario = await TempScenario.WriteAsync("reflect", Yaml(server.Address, """
            service:
              method: grpc.testing.BenchmarkService/StreamingCall
              reflect: true
              message: 'response_size: 8'
            """, hold: "2s", streams: 3));

        var (code, stdout, stderr) = await CliRunner.RunAsync("run", "--scenario", scenario.File, "--out", scenario.OutDir, "--quiet");

        Assert.True(code == 0, $"exit {code}\n{stdout}\n{stderr}");
        Assert.Contains("reflection", stderr);
        var t = Assert.Single(RunFolder.Open(scenario.RunFolder).ReadSummary().Topologies);
        Assert.Equal(server.Seen.Requests, t.Messages.Sent);
        Assert.Equal(t.Messages.Sent, t.Messages.Received);
        Assert.All(server.Seen.Last, r => Assert.Equal(8, r.ResponseSize));
    }

    [Fact(Timeout = SerialLoad.TimeoutMs)]
    public async Task Reflect_OnAServerWithoutIt_SaysSo_AndRunsNothing()
    {
        await using var server = await BenchmarkServer.StartAsync(TimeSpan.Zero, reflection: false);
        var scenario = await TempScenario.WriteAsync("noreflect", Yaml(server.Address, $$"""
            service:
              proto: {{BenchmarkProto}}
              importPaths: [{{Protos}}]
              method: grpc.testing.BenchmarkService/StreamingCall
              message: 'response_size: 8'
            """, hold: "1s", streams: 1));

        var (code, _, stderr) = await CliRunner.RunAsync("run", "--scenario", scenario.File, "--out", scenario.OutDir, "--quiet", "--reflect");

        Assert.Equal(2, code);
        Assert.True(stderr.Contains("does not offer reflection", StringComparison.Ordinal), stderr);
        Assert.Contains($"{scenario.File}:", stderr);
        Assert.Equal(0, server.Seen.Streams);
    }
}
