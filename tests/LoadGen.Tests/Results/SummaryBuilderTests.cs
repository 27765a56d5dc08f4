using System.Text.Json;
using System.Text.Json.Nodes;
using LoadGen.Core.Scenarios;
using LoadGen.Core.Scenarios.Lab;
using LoadGen.Lab.Backend;
using LoadGen.Reports;
using LoadGen.Results;
using LoadGen.Results.Analysis;
using LoadGen.Tests.Integration;

namespace LoadGen.Tests.Results;

/// <summary>
/// One summary builder: what the engine writes at the end, what it writes mid-run, and what a killed
/// run's folder is rebuilt into must agree.
/// </summary>
[Collection(SerialLoad.Name)]
public class SummaryBuilderTests
{
    [Fact(Timeout = SerialLoad.TimeoutMs)]
    public async Task RebuiltSummary_EqualsTheCompletedRunsSummary_FieldByField()
    {
        // Two topologies in interleaved rounds, streams cut by the backend at 1.5 s of age (unplanned,
        // re-opened: survival events, a detected timeout, reconnects) and a threshold to judge.
        await using var backend = await LabBackend.StartAsync(new LabBackendOptions());
        var scenario = EngineHarness.Scenario(backend.GrpcAddress, streams: 40, hold: TimeSpan.FromSeconds(4),
            m => m with { First = new StreamDirectives { Cutoff = new CutoffDirective(CutoffWhen.Age, TimeSpan.FromSeconds(1.5), false, 8) } }) with
        {
            Targets =
            [
                new TargetOptions { Name = "a", Address = backend.GrpcAddress },
                new TargetOptions { Name = "b", Address = backend.GrpcAddress },
            ],
            Rounds = 2,
            Thresholds = [Thresholds.Parse("p99 < 10s")!, Thresholds.Parse("survival(1s) > 0.5")!],
        };

        var (summary, folder) = await EngineHarness.RunAsync(scenario);

        Assert.All(summary.Topologies, t => Assert.True(t.Outcomes.ContainsKey("server-status:ResourceExhausted"), string.Join(", ", t.Outcomes.Keys)));
        Assert.Equal(4, summary.Rounds.Count);
        var written = JsonNode.Parse(File.ReadAllText(folder.Summary))!.AsObject();
        File.Delete(folder.Summary);

        var rebuilt = RunData.Load(folder.Path);

        Assert.True(rebuilt.Damage.Count == 0, string.Join("\n", rebuilt.Damage));
        var again = JsonNode.Parse(JsonSerializer.Serialize(rebuilt.Summary, RunSummary.JsonOptions))!.AsObject();
        // Known to the live process alone, and nothing else: its own CPU seconds, memory and allocations (loadGen) and the
        // thread pool's longest queue (sampled every 250 ms, never written per interval). Whether the generator was
        // saturated — which can change a verdict — is rebuilt: send lag from the histograms, CPU and GC from intervals.ndjson.
        string[] liveOnly = ["loadGen", "generator.threadPoolQueueMax"];
        Assert.NotNull(written["loadGen"]);
        Assert.NotNull(written["generator"]!["threadPoolQueueMax"]);
        Assert.NotNull(written["generator"]!["cpuShareOfCores"]);
        Assert.NotNull(written["generator"]!["saturated"]);
        foreach (var field in liveOnly)
        {
            var (parent, name) = field.Contains('.', StringComparison.Ordinal) ? (field.Split('.')[0], field.Split('.')[1]) : ((string?)null, field);
            (parent is null ? written : written[parent]!.AsObject()).Remove(name);
            (parent is null ? again : again[parent]!.AsObject()).Remove(name);
        }

        Assert.Equal(written.ToJsonString(), again.ToJsonString());
        Assert.Equal(EndCauses.VocabularyVersion, (int)written["vocabularyVersion"]!);
    }

    [Fact(Timeout = SerialLoad.TimeoutMs)]
    public async Task MidRunSummary_CountsOpenStreamsAsAlive_SurvivalMatchesTheFinalOne()
    {
        // Nothing ends unplanned: the rolling summary's survival must say what the final one says (1.0),
        // with every open stream in it, censored at its age.
        await using var backend = await LabBackend.StartAsync(new LabBackendOptions());
        var scenario = EngineHarness.Scenario(backend.GrpcAddress, streams: 30, hold: TimeSpan.FromSeconds(3)) with
        {
            ReportingInterval = TimeSpan.FromMilliseconds(500),
        };
        var partials = new List<RunSummary>();
        var engine = new LoadGen.Core.Engine.LoadEngine
        {
            Progress = _ => { },
        };
        var folder = RunFolder.Create(TestTemp.Path("run"), scenario.Name, DateTimeOffset.UtcNow);
        using var watch = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var run = engine.RunAsync(scenario, folder, cancellationToken: watch.Token);
        while (!run.IsCompleted)
        {
            if (File.Exists(folder.PartialSummary))
            {
                try
                {
                    partials.Add(folder.ReadSummary(folder.PartialSummary));
                }
                catch (Exception e) when (e is IOException or JsonException)
                {
                    // Replaced while being read: the next look gets it.
                }
            }

            await Task.Delay(200);
        }

        var final = Assert.Single((await run).Topologies);

        var mid = partials.Select(p => p.Topologies.Single()).Where(t => t.Streams.PeakActive == 30 && t.Streams.Ended == 0).ToList();
        Assert.NotEmpty(mid);
        Assert.All(mid, t =>
        {
            Assert.Equal(30, t.Survival!.Streams);
            Assert.Equal(0, t.Survival.Events);
            Assert.Equal(final.Survival!.Points, t.Survival.Points);
            Assert.True(t.StreamHours > 0, "open streams are exposure too");
        });
    }

    [Fact]
    public void Survival_LiveStreamsPastTheAge_AreCensoredNotMissing()
    {
        // A soak an hour in: 2,000 streams alive past 1 h, and 5 unplanned ends in the first minute
        // among 10 short-lived ones. Counting only the ended streams would put survival(1h) at 0.5.
        var ended = Enumerable.Range(0, 10).Select(i => new EndSample("rst:CANCEL", 30 + i, 1, 1, Planned: i >= 5)).ToList();
        var inputs = new TopologyInputs
        {
            Name = "gateway",
            Address = "https://gw:443",
            Intervals = [new IntervalRecord { Topology = "gateway", Start = DateTimeOffset.UnixEpoch, End = DateTimeOffset.UnixEpoch.AddHours(1.1), Phase = "hold", Active = 2000 }],
            Histograms = new Dictionary<string, HdrHistogram.HistogramBase>(),
            Ends = ended,
            EndsSeen = ended.Count,
            LiveAgesS = [.. Enumerable.Repeat(3900.0, 2000)],
        };

        var t = TopologySummaryBuilder.Build(inputs);

        Assert.Equal(2010, t.Survival!.Streams);
        Assert.Equal(5, t.Survival.Events);
        var at1h = SurvivalSummary.At(t.Survival.Points, 3600);
        Assert.InRange(at1h, 0.997, 0.998);
        Assert.True(at1h > 0.99, $"survival(1h) {at1h}");
        // Without the live streams (what mid-run summaries did before), the same ends read 0.5.
        var endedOnly = TopologySummaryBuilder.Build(inputs with { LiveAgesS = [] });
        Assert.Equal(0.5, SurvivalSummary.At(endedOnly.Survival!.Points, 3600));
    }
}
