using LoadGen.Core.Scenarios;
using LoadGen.Core.Scenarios.Lab;
using LoadGen.Lab.Backend;
using LoadGen.Results;
using LoadGen.Results.Analysis;

namespace LoadGen.Tests.Integration;

/// <summary>
/// Known-answer tests: each server-originated cause is produced on purpose by the lab backend, and
/// every unplanned end of the run must carry exactly that cause (none invented).
/// </summary>
[Collection(SerialLoad.Name)]
public class StreamEndTests
{
    /// <summary>
    /// The engine refills its opens-per-second bucket at each tick (20 ms) and cuts intervals at ticks too, so a refill can
    /// straddle a cut by one late tick: up to 0.2 s on a loaded machine (a clean CI clone with a CPU burner saw 1,002 starts
    /// in a 0.88 s interval at a cap of 1,000/s).
    /// </summary>
    private const double TickSlackS = 0.2;

    private static async Task<TopologySummary> RunAsync(LabBackend backend, StreamDirectives first, TimeSpan hold, Func<MessagePlan, MessagePlan>? plan = null, int streams = 20)
    {
        var scenario = EngineHarness.Scenario(backend.GrpcAddress, streams, hold, m => (plan ?? (x => x))(m with { First = first }));
        var (summary, _) = await EngineHarness.RunAsync(scenario);
        return Assert.Single(summary.Topologies);
    }

    private static void OnlyCause(TopologySummary t, string cause, long atLeast)
    {
        var unplanned = t.Outcomes.Where(kv => kv.Key is not ("client-closed" or "client-cancelled")).ToDictionary();
        Assert.True(unplanned.Count == 1 && unplanned.ContainsKey(cause), $"expected only {cause}, got {string.Join(", ", t.Outcomes)}");
        Assert.True(unplanned[cause] >= atLeast, $"{cause}: {unplanned[cause]} < {atLeast}");
    }

    [Fact(Timeout = SerialLoad.TimeoutMs)]
    public async Task MessageOverTheSendLimit_EndsItsStreamAtOnce_AsTheClientsOwnError_NotTheServers()
    {
        // The client's own size check refuses the message: the same ResourceExhausted status a server
        // could send, but nothing reached the server. Before, the stream sat quiet until the run closed it
        // (client-cancelled, a planned end) and the run passed.
        await using var backend = await LabBackend.StartAsync(new LabBackendOptions());
        var scenario = EngineHarness.Scenario(backend.GrpcAddress, streams: 5, TimeSpan.FromSeconds(2), m => m with { PayloadBytes = 100_000 });
        scenario = scenario with { Targets = [scenario.Targets[0] with { MaxSendMessageBytes = 1024 }] };

        // With the lab's own workload the size is known beforehand: the scenario is refused before any stream opens.
        var refused = await Assert.ThrowsAsync<LoadGen.Core.Inputs.ScenarioException>(() => EngineHarness.RunAsync(scenario));
        Assert.Equal("messages.payloadBytes", refused.Field);
        Assert.Equal(0, backend.Stats.TotalStreams);

        // A workload given in code (whose message sizes the scenario cannot know) meets the client's own check at run time.
        var (summary, folder) = await EngineHarness.RunAsync(scenario with { Workload = LoadGen.Core.Engine.LabWorkload.Create(scenario.Messages) });

        var t = Assert.Single(summary.Topologies);
        // Every stream, first opens and the ones that replaced them, ended so; none as the server's or a planned end.
        Assert.Equal([EndCauses.MessageTooLarge], t.Outcomes.Keys);
        Assert.True(t.Outcomes[EndCauses.MessageTooLarge] >= 5, string.Join(", ", t.Outcomes));
        Assert.Equal(0, t.Messages.Sent);
        Assert.Equal(0, t.Messages.Unanswered);
        Assert.Equal(0, backend.Stats.MessagesReceived);
        var o = Ndjson.Read<OutcomeRecord>(folder.OutcomesPath).Records;
        Assert.All(o, r => Assert.Equal("ResourceExhausted", r.GrpcStatus));
        Assert.All(o, r => Assert.Contains("exceeds the maximum", r.Detail, StringComparison.Ordinal));
    }

    [Fact(Timeout = SerialLoad.TimeoutMs)]
    public async Task ReplyOverTheReceiveLimit_IsTheClientsOwnError_NotTheServers()
    {
        // The backend answers with 100 kB replies; the client accepts at most 1 KiB. Grpc.Net.Client refuses the
        // reply with ResourceExhausted — the status a server could send too — but the server sent no trailers.
        await using var backend = await LabBackend.StartAsync(new LabBackendOptions());
        var scenario = EngineHarness.Scenario(backend.GrpcAddress, streams: 5, TimeSpan.FromSeconds(2),
            m => m with { Directives = new LabDirectives { ReplySize = 100_000 } });
        scenario = scenario with { Targets = [scenario.Targets[0] with { MaxReceiveMessageBytes = 1024 }] };

        var (summary, folder) = await EngineHarness.RunAsync(scenario);

        var t = Assert.Single(summary.Topologies);
        Assert.Equal([EndCauses.ReplyTooLarge], t.Outcomes.Keys);
        Assert.True(t.Outcomes[EndCauses.ReplyTooLarge] >= 5, string.Join(", ", t.Outcomes));
        Assert.Equal(0, t.Messages.Received);
        var o = Ndjson.Read<OutcomeRecord>(folder.OutcomesPath).Records;
        Assert.All(o, r => Assert.Contains("exceeds the maximum", r.Detail, StringComparison.Ordinal));
    }

    [Theory(Timeout = SerialLoad.TimeoutMs)]
    [InlineData(8, "server-status:ResourceExhausted")]
    [InlineData(14, "server-status:Unavailable")]
    [InlineData(7, "server-status:PermissionDenied")]
    [InlineData(0, "server-status:OK")]
    public async Task ServerEndsWithStatus_IsClassifiedAsThatStatus(int status, string cause)
    {
        await using var backend = await LabBackend.StartAsync(new LabBackendOptions());
        var t = await RunAsync(backend, new StreamDirectives { EndAfterMessages = 2, EndStatus = status }, TimeSpan.FromSeconds(3));

        OnlyCause(t, cause, 20);
        Assert.True(t.Reconnects!.Count >= 20, $"reconnects {t.Reconnects.Count}");
    }

    [Fact(Timeout = SerialLoad.TimeoutMs)]
    public async Task ServerAbortsTheStream_IsRstInternalError()
    {
        await using var backend = await LabBackend.StartAsync(new LabBackendOptions());
        var t = await RunAsync(backend, new StreamDirectives { Abort = true }, TimeSpan.FromSeconds(2));

        OnlyCause(t, "rst:INTERNAL_ERROR", 20);
    }

    [Fact(Timeout = SerialLoad.TimeoutMs)]
    public async Task ConnectionDropped_EveryStreamOnItIsConnectionLost()
    {
        await using var backend = await LabBackend.StartAsync(new LabBackendOptions());
        var t = await RunAsync(backend, new StreamDirectives { CloseConnection = ConnectionEndKind.Abort }, TimeSpan.FromSeconds(2));

        OnlyCause(t, "connection-lost", 20);
    }

    [Fact(Timeout = SerialLoad.TimeoutMs)]
    public async Task GracefulGoaway_OpenStreamsSurvive_NewOnesGoToANewConnection()
    {
        // Kestrel's GOAWAY(NO_ERROR) lets open streams finish, as NGINX's keepalive_requests does:
        // nothing ends, but the client must open fresh connections.
        await using var backend = await LabBackend.StartAsync(new LabBackendOptions());
        var t = await RunAsync(backend, new StreamDirectives { CloseConnection = ConnectionEndKind.Goaway }, TimeSpan.FromSeconds(2));

        Assert.Equal(new Dictionary<string, long> { ["client-closed"] = 20 }, t.Outcomes);
        Assert.True(t.Connections.Opened > t.Connections.Planned, $"connections opened {t.Connections.Opened}");
    }

    [Fact(Timeout = SerialLoad.TimeoutMs)]
    public async Task StreamsThatDoNotCloseWithinTheCloseTimeout_AreCancelled_APlannedEnd()
    {
        // The backend stalls before the ramp-down (each stream's next message puts it to sleep for 10 s), so no
        // stream gets its trailers after the client half-closes: after closeTimeout (1 s) LoadGen cancels them.
        await using var backend = await LabBackend.StartAsync(new LabBackendOptions());
        var scenario = EngineHarness.Scenario(backend.GrpcAddress, 10, TimeSpan.FromSeconds(3), m => m with { Interval = TimeSpan.FromMilliseconds(200) })
            with
        { CloseTimeout = TimeSpan.FromSeconds(1) };
        var stall = Task.Run(async () =>
        {
            await Task.Delay(TimeSpan.FromSeconds(3));
            backend.Control.Pause(TimeSpan.FromSeconds(10));
        });

        var (summary, _) = await EngineHarness.RunAsync(scenario);
        await stall;

        var t = Assert.Single(summary.Topologies);
        Assert.Equal(new Dictionary<string, long> { ["client-cancelled"] = 10 }, t.Outcomes);
        Assert.Equal(0, t.Reconnects!.Count);
    }

    [Fact(Timeout = SerialLoad.TimeoutMs)]
    public async Task ServerQuietCutoff_IsDetectedWithItsValueAndDirection()
    {
        await using var backend = await LabBackend.StartAsync(new LabBackendOptions());
        var first = new StreamDirectives { StopReplying = true, Cutoff = new CutoffDirective(CutoffWhen.ServerQuiet, TimeSpan.FromSeconds(2), Abort: true, Status: 0) };
        var t = await RunAsync(backend, first, TimeSpan.FromSeconds(5));

        OnlyCause(t, "rst:INTERNAL_ERROR", 20);
        var d = Assert.Single(t.DetectedTimeouts);
        Assert.Equal(("server-quiet", "rst:INTERNAL_ERROR"), (d.Direction, d.Cause));
        Assert.InRange(d.Seconds, 1, 3);
    }

    [Fact(Timeout = SerialLoad.TimeoutMs)]
    public async Task ClientQuietCutoff_IsDetectedWithItsValueAndDirection()
    {
        await using var backend = await LabBackend.StartAsync(new LabBackendOptions());
        var first = new StreamDirectives { PushEvery = TimeSpan.FromMilliseconds(200), Cutoff = new CutoffDirective(CutoffWhen.ClientQuiet, TimeSpan.FromSeconds(3), Abort: false, Status: 14) };
        var t = await RunAsync(backend, first, TimeSpan.FromSeconds(6), m => m with { ClientQuietAfter = TimeSpan.FromMilliseconds(500) });

        OnlyCause(t, "server-status:Unavailable", 20);
        var d = Assert.Single(t.DetectedTimeouts);
        Assert.Equal("client-quiet", d.Direction);
        Assert.InRange(d.Seconds, 2, 4);
    }

    [Fact(Timeout = SerialLoad.TimeoutMs)]
    public async Task BothQuietCutoff_IsDetectedAsBothQuiet()
    {
        await using var backend = await LabBackend.StartAsync(new LabBackendOptions());
        var first = new StreamDirectives { StopReplying = true, Cutoff = new CutoffDirective(CutoffWhen.BothQuiet, TimeSpan.FromSeconds(2), Abort: false, Status: 4) };
        var t = await RunAsync(backend, first, TimeSpan.FromSeconds(5), m => m with { Interval = TimeSpan.FromMilliseconds(100), ClientQuietAfter = TimeSpan.FromMilliseconds(300) });

        OnlyCause(t, "server-status:DeadlineExceeded", 20);
        var d = Assert.Single(t.DetectedTimeouts);
        Assert.Equal("both-quiet", d.Direction);
        Assert.InRange(d.Seconds, 1, 3);
    }

    [Fact(Timeout = SerialLoad.TimeoutMs)]
    public async Task MaxStreamAge_IsDetectedAsAge_AndSurvivalDropsThere()
    {
        await using var backend = await LabBackend.StartAsync(new LabBackendOptions());
        var first = new StreamDirectives { Cutoff = new CutoffDirective(CutoffWhen.Age, TimeSpan.FromSeconds(2.5), Abort: true, Status: 0) };
        // 250 ms between messages: each stream's phase puts its last send anywhere in the 250 ms before the cut.
        var t = await RunAsync(backend, first, TimeSpan.FromSeconds(5), m => m with { Interval = TimeSpan.FromMilliseconds(250) });

        var d = Assert.Single(t.DetectedTimeouts);
        Assert.Equal(("age", "rst:INTERNAL_ERROR"), (d.Direction, d.Cause));
        Assert.InRange(d.Seconds, 1.5, 3.5);
        Assert.InRange(t.Survival!.MedianS!.Value, 1.5, 3.5);
        Assert.True(t.Survival.Events >= 20);
        // Every stream sent about the same number of messages, but the ends do not follow a send: no message limit.
        Assert.Empty(t.DetectedLimits);
    }

    [Fact(Timeout = SerialLoad.TimeoutMs)]
    public async Task EndsAfterFiveMessages_IsAMessageLimit_NotAnAgeTimeout()
    {
        // The backend ends each stream with ResourceExhausted once it has read 5 messages (the first, then 4 more);
        // at 1 message a second their ages cluster at 3-4 s too — before, that was claimed as an age timeout. (At 2 a
        // second a loaded CI clone claimed age 1.5 s: a reply late by half an interval lets a 6th message out first.)
        await using var backend = await LabBackend.StartAsync(new LabBackendOptions());
        var first = new StreamDirectives { EndAfterMessages = 4, EndStatus = 8 };
        var t = await RunAsync(backend, first, TimeSpan.FromSeconds(6), m => m with { Interval = TimeSpan.FromSeconds(1) });

        OnlyCause(t, "server-status:ResourceExhausted", 20);
        Assert.Empty(t.DetectedTimeouts);
        var l = Assert.Single(t.DetectedLimits);
        Assert.Equal((DetectedLimit.Messages, "ends after 5 messages → server-status:ResourceExhausted"), (l.Kind, l.Text));
    }

    [Fact(Timeout = SerialLoad.TimeoutMs)]
    public async Task MassReset_PopulationRecovers_WithinTheOpensPerSecondCap()
    {
        await using var backend = await LabBackend.StartAsync(new LabBackendOptions());
        const int streams = 5000;
        const double cap = 1000;
        var scenario = EngineHarness.Scenario(backend.GrpcAddress, streams, TimeSpan.FromSeconds(16), m => m with { Interval = TimeSpan.FromSeconds(1) }) with
        {
            Profile = new PopulationProfile
            {
                Phases = [new(PhaseKind.Ramp, streams, TimeSpan.FromSeconds(6)), new(PhaseKind.Hold, streams, TimeSpan.FromSeconds(16)), new(PhaseKind.Ramp, 0, TimeSpan.FromSeconds(1))],
                MaxOpensPerSecond = cap,
            },
        };
        var reset = Task.Run(async () =>
        {
            // Wait for the whole population, then reset every stream at once.
            while (backend.Stats.ActiveStreams < streams)
            {
                await Task.Delay(100);
            }

            await Task.Delay(1000);
            return backend.Control.AbortAllStreams();
        });

        var (summary, folder) = await EngineHarness.RunAsync(scenario);
        var resetCount = await reset;

        var t = Assert.Single(summary.Topologies);
        Assert.Equal(streams, resetCount);
        Assert.Equal(streams, t.Outcomes["rst:INTERNAL_ERROR"]);
        Assert.Equal(streams, t.Reconnects!.Count);
        Assert.Equal(0, t.Reconnects.LostForGood);
        Assert.Empty(t.DetectedTimeouts); // a reset at one moment is no timeout: ages and quiet times are spread
        Assert.Equal(2 * streams, t.Streams.Opened);
        // Recovered: every lost stream came back before the ramp-down closed them all.
        Assert.Equal(streams, t.Outcomes["client-closed"]);
        // The cap, from the run's own records: streams started per interval in intervals.ndjson
        // (the bucket may hold a tenth of a second's worth on top).
        var intervals = Ndjson.Read<IntervalRecord>(folder.Intervals).Records;
        Assert.Equal(2 * streams, intervals.Sum(i => i.Attempted));
        Assert.All(intervals, i => Assert.True(
            i.Attempted <= (cap * ((i.End - i.Start).TotalSeconds + TickSlackS)) + (cap * 0.1) + 1,
            $"{i.Attempted} streams started in {(i.End - i.Start).TotalSeconds:0.00} s against a cap of {cap}/s"));
        var resetInterval = intervals.First(i => i.EndsByCause.ContainsKey("rst:INTERNAL_ERROR"));
        Assert.Equal(streams, intervals.Sum(i => i.EndsByCause.GetValueOrDefault("rst:INTERNAL_ERROR")));
        Assert.True(resetInterval.Active < streams);
        Assert.Contains(intervals.SkipWhile(i => i != resetInterval), i => i.Active == streams);
    }

    [Fact(Timeout = SerialLoad.TimeoutMs)]
    public async Task ConnectionAgedOutWithGrace_EveryStreamOnItEndsAsOneCause_NeverAResetNobodySent()
    {
        // gRPC servers in Go, C++ and Java: MAX_CONNECTION_AGE sends GOAWAY, and MAX_CONNECTION_AGE_GRACE
        // later the connection is closed with its streams still open. The lab backend does the same.
        await using var backend = await LabBackend.StartAsync(new LabBackendOptions { MaxConnectionAge = TimeSpan.FromSeconds(2), MaxConnectionAgeGrace = TimeSpan.FromSeconds(1) });

        // 8 s: two connections age out (the second opens once the first's streams come back from their backoff).
        var t = await RunAsync(backend, new StreamDirectives(), TimeSpan.FromSeconds(8));

        Assert.True(backend.Control.Aged.GoAways >= 1 && backend.Control.Aged.Closed >= 1, $"aged: {backend.Control.Aged}");
        // Every stream on an aged connection ended when the grace ran out, all as one cause, read on the wire:
        // the GOAWAY came, then the connection closed. No rst:* (no RST_STREAM was sent), no connection-lost.
        OnlyCause(t, EndCauses.ClosedAfterGoAway, atLeast: 20);
        Assert.DoesNotContain(t.Outcomes.Keys, k => k.StartsWith("rst:", StringComparison.Ordinal));
        // A connection limit — the server ends connections at ~3 s of age (2 s + 1 s grace) — not a stream timeout.
        Assert.Empty(t.DetectedTimeouts);
        var l = Assert.Single(t.DetectedLimits);
        Assert.Equal((DetectedLimit.Connection, EndCauses.ClosedAfterGoAway), (l.Kind, l.Cause));
        Assert.InRange(l.ConnectionAgeS!.Value, 2.5, 4.5);
        // Every drop leaves the population short while the streams wait out their backoff (~1 s of every 3 s):
        // the summary says how much was held and why, where before only the live console column showed it.
        var p = t.Population!;
        Assert.True(p.HeldShare is > 0.5 and < 0.95 && p.MinShare < 0.5, $"{p}");
        Assert.Contains("reconnect backoff", p.Hint, StringComparison.Ordinal);
    }
}
