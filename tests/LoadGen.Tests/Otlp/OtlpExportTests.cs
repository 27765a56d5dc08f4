using Google.Protobuf.Collections;
using LoadGen.Core.Engine;
using LoadGen.Lab.Backend;
using LoadGen.Results;
using LoadGen.Tests.Cli;
using LoadGen.Tests.Otlp.Wire;

namespace LoadGen.Tests.Otlp;

/// <summary>A short run exporting to an OTLP receiver: the instruments arrive, agreeing with summary.json.</summary>
/// <remarks>Serial with the load tests: its loadgen processes (protoc included) once starved a lab test's first opens.</remarks>
[Collection(LoadGen.Tests.Integration.SerialLoad.Name)]
public class OtlpExportTests
{
    private static Task<TempScenario> ScenarioAsync(Uri backend) =>
        TempScenario.WriteAsync("otlp", $"""
            name: otlp
            targets:
              - name: backend-h2c
                address: {backend}
            profile:
              phases:
                - ramp: 20
                  over: 1s
                - hold: 3s
            messages:
              interval: 100ms
            interval: 1s
            """);

    private static string? Attr(RepeatedField<KeyValue> attributes, string key) =>
        attributes.FirstOrDefault(a => a.Key == key)?.Value.StringValue;

    [Fact]
    public async Task Instruments_ArriveWithNamesAttributesAndValues_ThatMatchTheSummary()
    {
        await using var backend = await LabBackend.StartAsync(new LabBackendOptions());
        await using var receiver = await OtlpReceiver.StartAsync();
        var scenario = await ScenarioAsync(backend.GrpcAddress);

        var (code, stdout, stderr) = await CliRunner.RunAsync("run", "--scenario", scenario.File, "--out", scenario.OutDir, "--otlp-endpoint", receiver.Address.ToString());

        Assert.True(code == 0, $"exit {code}\n{stdout}\n{stderr}");
        Assert.DoesNotContain("failed", stderr, StringComparison.Ordinal);
        var folder = scenario.RunFolder;
        var summary = RunFolder.Open(folder).ReadSummary();
        var t = Assert.Single(summary.Topologies);
        var metrics = receiver.Metrics().ToList();
        Assert.True(receiver.Requests.Count >= 2, $"{receiver.Requests.Count} exports: one per interval and a last one at the end");

        var resource = metrics.Last().Resource.Attributes;
        Assert.Equal("loadgen", Attr(resource, "service.name"));
        Assert.Equal(Path.GetFileName(folder), Attr(resource, "loadgen.run_id"));
        Assert.Equal("otlp", Attr(resource, "loadgen.scenario"));
        Assert.Equal("0", Attr(resource, "loadgen.shard"));
        Assert.Equal("backend-h2c", Attr(resource, "loadgen.topology"));

        // Cumulative temporality: the last data point of each series holds the run's total.
        Metric Last(string name) => metrics.Last(m => m.Metric.Name == name).Metric;
        long Total(string name) => Last(name).Sum.DataPoints.Sum(p => p.AsInt);
        Assert.Equal(t.Streams.Opened, Total("loadgen.streams.opened"));
        Assert.Equal(t.Messages.Sent, Total("loadgen.messages.sent"));
        Assert.Equal(t.Messages.Received, Total("loadgen.messages.received"));
        var ended = Last("loadgen.streams.ended").Sum.DataPoints.ToDictionary(p => Attr(p.Attributes, "loadgen.end.cause")!, p => p.AsInt);
        Assert.Equal(t.Outcomes.OrderBy(kv => kv.Key), ended.OrderBy(kv => kv.Key));
        var rtt = Assert.Single(Last("loadgen.message.round_trip").Histogram.DataPoints);
        Assert.Equal(t.LatencyMs.Count, (long)rtt.Count);
        Assert.Equal("s", Last("loadgen.message.round_trip").Unit);
        // The values agree with the HdrHistogram's: the bucket where the median falls holds summary.json's p50.
        var (below, i) = (0UL, 0);
        while (below + rtt.BucketCounts[i] < (rtt.Count + 1) / 2)
        {
            below += rtt.BucketCounts[i++];
        }

        var (lower, upper) = (i == 0 ? 0 : rtt.ExplicitBounds[i - 1], i < rtt.ExplicitBounds.Count ? rtt.ExplicitBounds[i] : double.PositiveInfinity);
        Assert.InRange(t.LatencyMs.P50!.Value / 1000, lower, upper);
        Assert.Equal(t.Streams.Opened, (long)Assert.Single(Last("loadgen.stream.open.duration").Histogram.DataPoints).Count);
        var active = Assert.Single(Last("loadgen.streams.active").Sum.DataPoints);
        Assert.Equal(0, active.AsInt);
        Assert.Contains(metrics, m => m.Metric.Name == "loadgen.streams.active" && m.Metric.Sum.DataPoints.Any(p => p.AsInt == 20));

        var point = Last("loadgen.messages.sent").Sum.DataPoints.Single();
        Assert.Equal(("backend-h2c", "grpc", "loadgen.lab.v1.LabService", "Chat"),
            (Attr(point.Attributes, "loadgen.topology"), Attr(point.Attributes, "rpc.system"), Attr(point.Attributes, "rpc.service"), Attr(point.Attributes, "rpc.method")));
    }

    [Fact]
    public async Task CountOnlyWorkload_ExportsReplyGaps_AndNoRoundTrips()
    {
        await using var backend = await LabBackend.StartAsync(new LabBackendOptions());
        await using var receiver = await OtlpReceiver.StartAsync();
        var proto = Path.Combine(AppContext.BaseDirectory, "protos", "lab.proto");
        var scenario = await TempScenario.WriteAsync("otlp-count-only", $$"""
            name: otlp-count-only
            targets:
              - name: backend-h2c
                address: {{backend.GrpcAddress}}
            profile:
              phases:
                - ramp: 10
                  over: 500ms
                - hold: 2s
            messages:
              interval: 100ms
            service:
              proto: {{proto}}
              method: loadgen.lab.v1.LabService/Chat
              message: "seq: ${seq}"
              match: count-only
            interval: 1s
            """);

        var (code, stdout, stderr) = await CliRunner.RunAsync("run", "--scenario", scenario.File, "--out", scenario.OutDir, "--otlp-endpoint", receiver.Address.ToString());

        Assert.True(code == 0, $"exit {code}\n{stdout}\n{stderr}");
        var t = Assert.Single(RunFolder.Open(scenario.RunFolder).ReadSummary().Topologies);
        var metrics = receiver.Metrics().ToList();
        var gaps = Assert.Single(metrics.Last(m => m.Metric.Name == "loadgen.message.reply_gap").Metric.Histogram.DataPoints);
        Assert.True(t.ReplyGapMs is { Count: > 100 }, $"reply gaps in summary.json: {t.ReplyGapMs?.Count}");
        Assert.Equal(t.ReplyGapMs!.Count, (long)gaps.Count);
        Assert.DoesNotContain(metrics, m => m.Metric.Name == "loadgen.message.round_trip" && m.Metric.Histogram.DataPoints.Any(p => p.Count > 0));
        // The progress lines show the gaps too, said to be gaps.
        Assert.Matches(@"\[backend-h2c\] .*\n  msgs/s .* reply gap p50 [0-9.]+ ms p99 [0-9.]+ ms", stderr);
    }

    [Fact]
    public async Task DeadCollector_TheRunCompletes_SaysSoOnce_AndItsResultsAreWhole()
    {
        await using var backend = await LabBackend.StartAsync(new LabBackendOptions());
        var scenario = await ScenarioAsync(backend.GrpcAddress);

        var (code, stdout, stderr) = await CliRunner.RunAsync("run", "--scenario", scenario.File, "--out", scenario.OutDir, "--otlp-endpoint", "http://127.0.0.1:1");

        Assert.True(code == 0, $"exit {code}\n{stdout}\n{stderr}");
        Assert.Single(stderr.Split('\n'), l => l.Contains("OTLP export to http://127.0.0.1:1", StringComparison.Ordinal) && l.Contains("failed", StringComparison.Ordinal));
        var t = Assert.Single(RunFolder.Open(scenario.RunFolder).ReadSummary().Topologies);
        Assert.Equal(20, t.Streams.PeakActive);
        Assert.Equal(20, t.Outcomes["client-closed"]);
        Assert.True(t.LatencyMs.Count > 500);
    }

    [Fact]
    public void PlainProgressLine_OnePerTopologyPerInterval_SaysRatesAndEnds()
    {
        var start = DateTimeOffset.Parse("2026-11-26T01:00:00Z", System.Globalization.CultureInfo.InvariantCulture);
        var p = new ProgressSnapshot("gateway round 2/4", "hold", TimeSpan.FromSeconds(75), TimeSpan.FromMinutes(10), 2000, 1994, 3.2, 41.5)
        {
            Interval = new IntervalRecord
            {
                Topology = "gateway",
                Start = start,
                End = start.AddSeconds(5),
                Phase = "hold",
                Opened = 10,
                Sent = 10_000,
                Received = 9_995,
                EndsByCause = new Dictionary<string, long> { ["rst:CANCEL"] = 6 },
            },
            TotalEnds = new Dictionary<string, long> { ["rst:CANCEL"] = 12, ["goaway:NO_ERROR"] = 4 },
        };

        Assert.Equal(
            "[gateway round 2/4] hold      01:15/10:00  streams 1,994/2,000  opens/s 2\n" +
            "  msgs/s out 2,000 in 1,999  p50 3.200 ms p99 41.5 ms\n" +
            "  ends rst:CANCEL 6 (total rst:CANCEL 12, goaway:NO_ERROR 4)",
            LoadGen.Cli.LiveView.FormatLine(p));
        // An 80-column terminal holds every line; the ends join the figures' line when they fit.
        Assert.All(LoadGen.Cli.LiveView.FormatLine(p).Split('\n'), l => Assert.True(l.Length <= LoadGen.Cli.LiveView.Columns, l));
        var quiet = p with { Interval = p.Interval! with { EndsByCause = new Dictionary<string, long>() }, TotalEnds = new Dictionary<string, long>() };
        Assert.EndsWith("p99 41.5 ms  ends 0 (total 0)", LoadGen.Cli.LiveView.FormatLine(quiet), StringComparison.Ordinal);
        // A count-only workload has no round trips: its line says the figures are reply gaps.
        Assert.Contains("reply gap p50 3.200 ms p99 41.5 ms", LoadGen.Cli.LiveView.FormatLine(p with { ReplyGaps = true }), StringComparison.Ordinal);
    }
}
