using Google.Protobuf;
using LoadGen.Core.Engine;
using LoadGen.Core.Scenarios;
using LoadGen.Core.Workloads;
using LoadGen.Protos.Lab;
using LoadGen.Reports;
using LoadGen.Results;
using LoadGen.Results.Analysis;

namespace LoadGen.Examples.CodeFirst;

/// <summary>
/// A load test written in C# against generated client code: each stream opens the lab service's
/// Chat with its generated client, sends ClientFrames carrying a per-stream id, and pairs each reply
/// with its request by that id. Everything else — population, schedule, reconnects, outcomes,
/// latency histograms, reports — is LoadGen's engine, as for a scenario file.
/// </summary>
public static class LabChatScenario
{
    /// <summary>The workload: open, send, correlate. This is the part you write for your own service.</summary>
    public static BidiWorkload<ClientFrame, ServerFrame> Workload(int payloadBytes)
    {
        var payload = ByteString.CopyFrom(new byte[payloadBytes]);
        return new BidiWorkload<ClientFrame, ServerFrame>(
                "loadgen.lab.v1.LabService/Chat",
                // Open: the generated client on LoadGen's connection; the options carry metadata and cancellation.
                (invoker, options) => new LabService.LabServiceClient(invoker).Chat(options),
                // Send: message number seq of a stream.
                (stream, seq) => new ClientFrame { Seq = seq, Payload = payload })
            // Correlate: a reply answers the request whose seq it carries (fan-out copies, index > 0, answer none).
            .MatchByKey(request => request.Seq, reply => reply.ReplyIndex == 0 ? reply.Seq : 0UL, "request seq = reply seq");
    }

    /// <summary>The scenario: a target, a population profile, a send schedule, and the workload.</summary>
    public static Scenario Scenario(Uri target, int streams, TimeSpan hold) => new()
    {
        Name = "code-first-lab-chat",
        Source = "code:" + typeof(LabChatScenario).FullName,
        Targets = [new TargetOptions { Name = "lab-backend", Address = target }],
        Profile = new PopulationProfile
        {
            Phases =
            [
                new ProfilePhase(PhaseKind.Ramp, streams, TimeSpan.FromSeconds(2)),
                new ProfilePhase(PhaseKind.Hold, streams, hold),
                new ProfilePhase(PhaseKind.Ramp, 0, TimeSpan.FromSeconds(1)),
            ],
        },
        Messages = new MessagePlan { Interval = TimeSpan.FromMilliseconds(250) },
        ReportingInterval = TimeSpan.FromSeconds(1),
        Thresholds = [Thresholds.Parse("p99 < 250ms")!],
        Workload = Workload(payloadBytes: 64),
    };

    /// <summary>Runs the scenario into a new run folder under <paramref name="outDir"/> and writes its reports.</summary>
    public static async Task<(RunSummary Summary, string Folder, ReportWriter.Written Reports)> RunAsync(
        Uri target, string outDir, int streams, TimeSpan hold, Action<ProgressSnapshot>? progress = null, CancellationToken cancellationToken = default)
    {
        var scenario = Scenario(target, streams, hold);
        var folder = RunFolder.Create(outDir, scenario.Name, DateTimeOffset.UtcNow);
        var summary = await new LoadEngine { Progress = progress }.RunAsync(scenario, folder, cancellationToken: cancellationToken);
        return (summary, folder.Path, ReportWriter.WriteRun(folder.Path));
    }
}
