using LoadGen.Core.Scenarios;
using LoadGen.Core.Scenarios.Lab;
using LoadGen.Lab;
using LoadGen.Lab.Embedded;
using LoadGen.Results;
using LoadGen.Tests.Integration;

namespace LoadGen.Tests.Lab;

/// <summary>
/// The embedded .NET proxy (YARP): the gateway with Envoy's knobs, and the whole lab's fallback when
/// NGINX or HAProxy is missing. These run everywhere (no binary needed).
/// </summary>
[Collection(SerialLoad.Name)]
public class EmbeddedProxyTests
{
    private static readonly LabOptions AllEmbedded = new() { Esp = LabPart.Embedded, Gateway = LabPart.Embedded };

    [Fact(Timeout = SerialLoad.TimeoutMs)]
    public async Task EmbeddedLab_CarriesEveryStreamOnBothTopologies_AndSaysItIsEmbedded()
    {
        await using var lab = new LabTopologies(AllEmbedded);
        foreach (var name in new[] { "direct-tls", "gateway" })
        {
            var endpoint = await lab.EnsureAsync(name);
            var (summary, _) = await EngineHarness.RunAsync(EngineHarness.Scenario(endpoint, streams: 100, hold: TimeSpan.FromSeconds(2)));

            var t = Assert.Single(summary.Topologies);
            Assert.Equal(100, t.Streams.PeakActive);
            Assert.Equal(new Dictionary<string, long> { ["client-closed"] = 100 }, t.Outcomes);
            Assert.Equal(t.Messages.Sent, t.Messages.Received);
            Assert.True(t.Messages.Sent > 500, $"{name}: sent {t.Messages.Sent}");
            Assert.StartsWith("https://127.0.0.1:", endpoint.Address.ToString(), StringComparison.Ordinal);
            Assert.Contains("embedded .NET proxy (YARP)", endpoint.Components, StringComparison.Ordinal);
            // Asked for explicitly: not a fallback.
            Assert.Empty(endpoint.Fallbacks);
        }

        Assert.Equal(200, lab.EmbeddedEsp!.Stats.Proxied);
        Assert.Equal(100, lab.EmbeddedGateway!.Stats.Proxied);
        using var http = new HttpClient();
        Assert.Equal("ok\n", await http.GetStringAsync(lab.EspHealthAddress));
    }

    private static async Task<TopologySummary> QuietStreamsThroughGatewayAsync(LabOptions options, Func<MessagePlan, MessagePlan> messages, int streams = 20)
    {
        await using var lab = new LabTopologies(options with { Esp = LabPart.Embedded, Gateway = LabPart.Embedded });
        var endpoint = await lab.EnsureAsync("gateway");
        var (summary, _) = await EngineHarness.RunAsync(EngineHarness.Scenario(endpoint, streams, TimeSpan.FromSeconds(5), messages));
        return Assert.Single(summary.Topologies);
    }

    /// <summary>Every unplanned end has <paramref name="cause"/>, at least one per stream; replacements end planned.</summary>
    private static void AssertOnlyUnplannedCause(TopologySummary t, string cause, int streams)
    {
        var unplanned = t.Outcomes.Where(kv => kv.Key != "client-closed").ToDictionary();
        Assert.True(unplanned.Keys.SequenceEqual([cause]), string.Join(", ", t.Outcomes));
        Assert.True(unplanned[cause] >= streams, string.Join(", ", t.Outcomes));
        // The engine holds the population: streams cut are re-opened, and those still open at the end close as planned.
        Assert.InRange(t.Outcomes.GetValueOrDefault("client-closed"), 0, streams);
    }

    [Fact(Timeout = SerialLoad.TimeoutMs)]
    public async Task GatewayStreamIdleTimeout_EnvoyStyle_IsRstNoError_DetectedAtItsValue()
    {
        // Envoy's stream_idle_timeout resets with NO_ERROR (STREAM-FAULTS.md): the client records rst:NO_ERROR.
        var t = await QuietStreamsThroughGatewayAsync(
            new LabOptions { GatewayStreamIdleTimeout = TimeSpan.FromSeconds(2) },
            m => m with { Interval = TimeSpan.FromMilliseconds(100), ClientQuietAfter = TimeSpan.FromMilliseconds(300) });

        AssertOnlyUnplannedCause(t, "rst:NO_ERROR", 20);
        var d = Assert.Single(t.DetectedTimeouts);
        Assert.Equal(("both-quiet", "rst:NO_ERROR"), (d.Direction, d.Cause));
        Assert.InRange(d.Seconds, 1.8, 2.6);
    }

    [Fact(Timeout = SerialLoad.TimeoutMs)]
    public async Task GatewayStreamIdleTimeout_DoesNotCutAStreamWhereOneSideStillSends()
    {
        // Idle means no DATA either way: a quiet client with a pushing server is not idle.
        var t = await QuietStreamsThroughGatewayAsync(
            new LabOptions { GatewayStreamIdleTimeout = TimeSpan.FromSeconds(2) },
            m => m with
            {
                Interval = TimeSpan.FromMilliseconds(100),
                ClientQuietAfter = TimeSpan.FromMilliseconds(300),
                First = new StreamDirectives { PushEvery = TimeSpan.FromMilliseconds(250) },
            });

        Assert.Equal(new Dictionary<string, long> { ["client-closed"] = 20 }, t.Outcomes);
        Assert.Empty(t.DetectedTimeouts);
    }

    [Fact(Timeout = SerialLoad.TimeoutMs)]
    public async Task GatewayIdleCut_YarpStyle_IsRstCancel()
    {
        var t = await QuietStreamsThroughGatewayAsync(
            new LabOptions { GatewayStreamIdleTimeout = TimeSpan.FromSeconds(2), GatewayCutStyle = StreamCutStyle.Yarp },
            m => m with { Interval = TimeSpan.FromMilliseconds(100), ClientQuietAfter = TimeSpan.FromMilliseconds(300) });

        AssertOnlyUnplannedCause(t, "rst:CANCEL", 20);
    }

    [Fact(Timeout = SerialLoad.TimeoutMs)]
    public async Task GatewayMaxStreamDuration_CutsBusyStreams_DetectedAsAge()
    {
        var t = await QuietStreamsThroughGatewayAsync(
            new LabOptions { GatewayMaxStreamDuration = TimeSpan.FromSeconds(2) },
            m => m with { Interval = TimeSpan.FromMilliseconds(100) });

        AssertOnlyUnplannedCause(t, "rst:NO_ERROR", 20);
        Assert.True(t.DetectedTimeouts.Count == 1, $"timeouts: {string.Join(", ", t.DetectedTimeouts)}; limits: {string.Join(", ", t.DetectedLimits.Select(l => l.Text))}");
        var d = t.DetectedTimeouts[0];
        Assert.Equal(("age", "rst:NO_ERROR"), (d.Direction, d.Cause));
        Assert.InRange(d.Seconds, 1.8, 2.6);
    }

    [Fact(Timeout = SerialLoad.TimeoutMs)]
    public async Task GatewayFaultAbort_AnswersTheGivenShareWithTheGivenStatus()
    {
        var t = await QuietStreamsThroughGatewayAsync(
            new LabOptions { GatewayFaults = new FaultRules { AbortShare = 0.5, AbortStatus = 14 } },
            m => m with { Interval = TimeSpan.FromMilliseconds(100) },
            streams: 200);

        var aborted = t.Outcomes.GetValueOrDefault("server-status:Unavailable");
        // Every aborted open is retried; about half of all attempts are aborted (n ≈ 400: sd of the share 0.025, ±0.1 is 4 sd).
        Assert.InRange((double)aborted / t.Streams.Attempted, 0.4, 0.6);
        Assert.InRange(t.Outcomes.GetValueOrDefault("client-closed"), 180, 200);
        Assert.Equal(t.Outcomes.Count, t.Outcomes.Keys.Intersect(["server-status:Unavailable", "client-closed"]).Count());
    }

    [Fact(Timeout = SerialLoad.TimeoutMs)]
    public async Task GatewayDrain_SendsGoawayThenClosesAfterTheGrace_OpenStreamsAreLost_NewOnesComeBack()
    {
        await using var lab = new LabTopologies(AllEmbedded);
        var endpoint = await lab.EnsureAsync("gateway");
        var scenario = EngineHarness.Scenario(endpoint, 50, TimeSpan.FromSeconds(6), m => m with { Interval = TimeSpan.FromMilliseconds(100) }) with
        {
            Reconnect = new ReconnectPolicy { Initial = TimeSpan.FromMilliseconds(200), Jitter = 0 },
        };
        var run = EngineHarness.RunAsync(scenario);
        await Task.Delay(TimeSpan.FromSeconds(2.5));
        var drained = await lab.EmbeddedGateway!.DrainAsync(TimeSpan.FromSeconds(1));
        var (summary, _) = await run;

        Assert.True(drained >= 1, $"drained {drained}");
        var t = Assert.Single(summary.Topologies);
        // GOAWAY alone ends nothing; the close after the grace ends every stream still open on the drained
        // connections — one cause, read on the wire above the TLS LoadGen makes itself (split between connection-lost and
        // goaway:NO_ERROR while TLS frames went unread).
        var unplanned = t.Outcomes.Where(kv => kv.Key != "client-closed").ToDictionary();
        Assert.True(unplanned.Keys.SequenceEqual(["connection-closed-after-goaway"]), string.Join(", ", t.Outcomes));
        Assert.Equal(50, unplanned.Values.Sum());
        Assert.Equal(50, t.Reconnects!.Count);
        // …and the population came back on new connections.
        Assert.Equal(100, t.Outcomes.Values.Sum());
        Assert.Equal(50, t.Outcomes.GetValueOrDefault("client-closed"));
    }
}
