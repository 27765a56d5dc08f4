using LoadGen.Cli;
using LoadGen.Core.Scenarios;
using LoadGen.Core.Scenarios.Lab;
using LoadGen.Lab;
using LoadGen.Lab.Esp;
using LoadGen.Results;
using LoadGen.Results.Analysis;
using LoadGen.Tests.Integration;

namespace LoadGen.Tests.Lab;

/// <summary>
/// STREAM-FAULTS.md, row by row, on the real proxies: each test makes the hop end streams the way the
/// row says and pins the cause LoadGen records (and, for timeouts, the value it detects). Where NGINX
/// or HAProxy behaves differently from the doc, the test pins what they really do.
/// </summary>
[Collection(SerialLoad.Name)]
public class StreamFaultsLabTests
{
    /// <summary>
    /// The engine refills its opens-per-second bucket at each tick (20 ms) and cuts intervals at ticks too, so a refill can
    /// straddle a cut by one late tick: up to 0.2 s on a loaded machine (a clean CI clone with a CPU burner saw 1,002 starts
    /// in a 0.88 s interval at a cap of 1,000/s).
    /// </summary>
    private const double TickSlackS = 0.2;

    private static async Task<(TopologySummary Topology, RunSummary Summary)> RunAsync(
        LabOptions options, string topology, int streams, TimeSpan hold, Func<MessagePlan, MessagePlan> messages,
        Func<Scenario, Scenario>? scenario = null)
    {
        await using var lab = new LabTopologies(options);
        var endpoint = await lab.EnsureAsync(topology);
        var s = EngineHarness.Scenario(endpoint, streams, hold, messages);
        s = scenario?.Invoke(s) ?? s;
        var (summary, folder) = await EngineHarness.RunAsync(s, faults: new LabFaultInjector(lab));
        LastFolder = folder;
        return (Assert.Single(summary.Topologies), summary);
    }

    private static RunFolder? LastFolder { get; set; }

    /// <summary>outcomes.ndjson lines of the last run with one of <paramref name="causes"/>, for failure messages.</summary>
    private static string Lines(params string[] causes) => LastFolder is null ? "" : string.Join('\n',
        File.ReadLines(LastFolder.OutcomesPath).Where(l => causes.Any(c => l.Contains($"\"cause\":\"{c}\"", StringComparison.Ordinal))).Take(5));

    /// <summary>For failure messages: the last run's ends of <paramref name="cause"/> — sent counts, and the 10th–90th percentiles of both clocks.</summary>
    private static string Clocks(string cause)
    {
        if (LastFolder is null)
        {
            return "";
        }

        var ends = LoadGen.Results.Ndjson.Read<LoadGen.Results.OutcomeRecord>(LastFolder.OutcomesPath).Records.Where(o => o.Cause == cause && o.LifetimeS is not null).ToList();
        static string Range(IEnumerable<double> v)
        {
            var o = v.Order().ToList();
            return o.Count == 0 ? "-" : string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{o[(int)(0.1 * (o.Count - 1))]:0.000}–{o[(int)Math.Ceiling(0.9 * (o.Count - 1))]:0.000} s");
        }

        return $"{cause}: {ends.Count} ends, sent {string.Join(" ", ends.GroupBy(e => e.Sent).OrderBy(g => g.Key).Select(g => $"{g.Key}×{g.Count()}"))}; " +
            $"last send → end {Range(ends.Select(e => e.SinceLastSendS ?? double.NaN).Where(double.IsFinite))}; lifetime {Range(ends.Select(e => e.LifetimeS!.Value))}";
    }

    private static Dictionary<string, long> Unplanned(TopologySummary t) =>
        t.Outcomes.Where(kv => kv.Key != "client-closed").ToDictionary();

    /// <summary>Ramp over 3 s: the streams a mass event hits have ages spread over seconds, as in a soak.</summary>
    private static Scenario SlowRamp(Scenario s, int streams) => s with
    {
        Profile = s.Profile with
        {
            Phases =
            [
                new ProfilePhase(PhaseKind.Ramp, streams, TimeSpan.FromSeconds(3)),
                .. s.Profile.Phases.Skip(1),
            ],
        },
    };

    private static LabOptions Real(Func<EspOptions, EspOptions>? esp = null) =>
        new() { Esp = LabPart.Real, Gateway = LabPart.Real, ConfigureEsp = esp };

    [LabFact("nginx", "haproxy")]
    public async Task GrpcReadTimeout_ServerQuietAfterHeaders_WhileTheClientSends_IsRstInternalError_HaproxyRelaysItAsCancel()
    {
        // On NGINX's h2c port (the gateway's upstream): its TLS port does not pass the backend's response
        // headers on until there is response DATA (see LabTopologiesTests), so there the cut would come
        // "before headers".
        await using var lab = new LabTopologies(Real(o => o with { GrpcReadTimeout = TimeSpan.FromSeconds(2) }));
        var gateway = await lab.EnsureAsync("gateway");
        var h2c = new LabEndpoint("esp-h2c", lab.EspH2cAddress!, null, "", []);
        async Task<TopologySummary> Quiet(LabEndpoint endpoint)
        {
            var scenario = EngineHarness.Scenario(endpoint, 20, TimeSpan.FromSeconds(5),
                m => m with { Interval = TimeSpan.FromMilliseconds(100), First = new StreamDirectives { StopReplying = true } });
            var (summary, _) = await EngineHarness.RunAsync(scenario);
            return Assert.Single(summary.Topologies);
        }

        var t = await Quiet(h2c);
        var unplanned = Unplanned(t);
        Assert.True(unplanned.Keys.SequenceEqual(["rst:INTERNAL_ERROR"]), string.Join(", ", t.Outcomes));
        Assert.True(unplanned["rst:INTERNAL_ERROR"] >= 20);
        var d = Assert.Single(t.DetectedTimeouts);
        Assert.Equal(("server-quiet", "rst:INTERNAL_ERROR"), (d.Direction, d.Cause));
        Assert.InRange(d.Seconds, 1.8, 3.5);

        // Through HAProxy the same cut arrives as RST_STREAM CANCEL (→ Cancelled); the value is the same.
        var g = await Quiet(gateway);
        var viaGateway = Unplanned(g);
        Assert.True(viaGateway.GetValueOrDefault("rst:CANCEL") >= 20, string.Join(", ", g.Outcomes));
        var dg = Assert.Single(g.DetectedTimeouts, x => x.Cause == "rst:CANCEL");
        Assert.Equal("server-quiet", dg.Direction);
        Assert.InRange(dg.Seconds, 1.8, 3.5);
    }

    [LabFact("nginx")]
    public async Task Reload_WithWorkerShutdownTimeout_EndsTheOldWorkersStreamsAfterIt_NewStreamsLive()
    {
        var (t, summary) = await RunAsync(Real(o => o with { WorkerShutdownTimeout = TimeSpan.FromSeconds(2) }), "direct-tls", 30, TimeSpan.FromSeconds(7),
            m => m with { Interval = TimeSpan.FromMilliseconds(100) },
            s => SlowRamp(s, 30) with
            {
                Faults = [new FaultStep { At = TimeSpan.FromSeconds(3.5), Kind = FaultKind.ReloadEsp }],
                Reconnect = new ReconnectPolicy { Initial = TimeSpan.FromMilliseconds(200), Jitter = 0 },
            });

        // Every stream open at the reload dies once worker_shutdown_timeout has passed; re-opened
        // streams land on the new worker and end as planned.
        Assert.Equal(["done", "fired"], summary.Events.Select(e => e.State).Order());
        Assert.Contains("worker_shutdown_timeout (2s)", summary.Events.Single(e => e.State == "done").Detail, StringComparison.Ordinal);
        var unplanned = Unplanned(t);
        // NGINX's GOAWAY, then the close once worker_shutdown_timeout has passed: one server action, one cause, read on the
        // wire above the TLS LoadGen makes itself. (Before LoadGen read TLS connections' frames, the client's own reading
        // split it between goaway:NO_ERROR and connection-lost, whichever won the race.)
        Assert.True(unplanned.Keys.SequenceEqual(["connection-closed-after-goaway"]), string.Join(", ", t.Outcomes));
        Assert.Equal(30, unplanned.Values.Sum());
        Assert.Equal(30, t.Outcomes["client-closed"]);
        Assert.Equal(30, t.Reconnects!.Count);
        // All died at one moment (reload + 2 s) whatever their age: a mass event, not an age timeout.
        Assert.Empty(t.DetectedTimeouts);
    }

    [LabFact("nginx")]
    public async Task KeepaliveRequests_UnderChurn_ForcesNewConnections_AndCostsAFewStreams()
    {
        // Streams that the server ends after 4 messages, re-opened at once: 50 of them churn through
        // hundreds of streams, and NGINX sends GOAWAY after every 20 streams on a connection. (300 ms between
        // messages: each stream's phase spreads its lifetime over 240 ms, far more than the round trip that
        // separates its last send from its end — what tells a message limit from an age limit.)
        var (t, _) = await RunAsync(Real(o => o with { KeepaliveRequests = 20 }), "direct-tls", 50, TimeSpan.FromSeconds(4),
            m => m with { Interval = TimeSpan.FromMilliseconds(300), First = new StreamDirectives { EndAfterMessages = 3, EndStatus = 0 } },
            s => s with
            {
                Reconnect = new ReconnectPolicy { Initial = TimeSpan.FromMilliseconds(50), Jitter = 0 },
                Connections = s.Connections with { OpenTimeout = TimeSpan.FromSeconds(1) },
            });

        Assert.True(t.Streams.Attempted >= 150, $"attempted {t.Streams.Attempted}: " + string.Join(", ", t.Outcomes));
        // The budget forced a new connection at least every 20 streams NGINX took: a not-processed stream (sent as the
        // GOAWAY came, refused) is re-opened and is not one of a connection's 20.
        var taken = t.Streams.Attempted - t.Outcomes.GetValueOrDefault("not-processed");
        Assert.True(t.Connections.Opened >= taken / 20, $"connections {t.Connections.Opened} for {taken} streams taken ({t.Streams.Attempted} attempted): {string.Join(", ", t.Outcomes)}");
        // Observed on NGINX 1.22 (not what STREAM-FAULTS.md's "open streams survive" suggests): most
        // streams end as the server ended them, but some are lost at each connection's end —
        // connection-closed-after-goaway (NGINX closed the spent connection, after its GOAWAY, before the client read
        // the stream's trailers; goaway:NO_ERROR while LoadGen did not read TLS frames) and not-processed (a stream sent as the GOAWAY came; SocketsHttpHandler would
        // re-send it without its first message and hang — LoadGen ends it and re-opens).
        var causes = t.Outcomes.Keys.ToHashSet();
        // open-stalled: on a loaded machine the first TLS handshake can outlast the 1 s open timeout this test
        // uses to re-open quickly the streams SocketsHttpHandler would otherwise leave hanging.
        causes.ExceptWith(["server-status:OK", "client-closed", "client-cancelled", "connection-closed-after-goaway", "not-processed", "open-stalled"]);
        Assert.True(causes.Count == 0, string.Join(", ", t.Outcomes) + "\n" + Lines([.. causes]));
        // How many is machine timing: loaded runs (a CPU burner beside the suite) measured 45% and 57% ending as the
        // server ended them, the rest lost at connection ends; at least a third, or the churn is more than "a few".
        Assert.True(t.Outcomes["server-status:OK"] >= t.Outcomes.Values.Sum() / 3.0, string.Join(", ", t.Outcomes));
        // The server's own ends (after the first message and 3 more) are a message limit, never an age timeout;
        // the GOAWAY ends are the connection limit (about 20 streams per connection), never a stream timeout.
        Assert.True(t.DetectedTimeouts.Count == 0, $"{string.Join(", ", t.DetectedTimeouts)}\n{Clocks("server-status:OK")}");
        Assert.Contains(t.DetectedLimits, l => l.Text == "ends after 4 messages → server-status:OK");
        if (t.Outcomes.GetValueOrDefault("connection-closed-after-goaway") >= 3)
        {
            var c = Assert.Single(t.DetectedLimits, l => l.Kind == DetectedLimit.Connection);
            Assert.InRange(c.Value, 10, 25);
        }
    }

    [LabFact("nginx")]
    public async Task NginxStreamCap_BelowThePools_ExtraConnectionsOpen_RefusedStreamsAreCountedAndReopened()
    {
        // http2_max_concurrent_streams 10, the pool places 100 per connection: nothing may queue silently.
        var (t, _) = await RunAsync(Real(o => o with { Http2MaxConcurrentStreams = 10 }), "direct-tls", 50, TimeSpan.FromSeconds(4),
            m => m with { Interval = TimeSpan.FromMilliseconds(200) },
            s => s with
            {
                Connections = new ConnectionOptions { Count = 1, MaxStreamsPerConnection = 100, OpenTimeout = TimeSpan.FromSeconds(3) },
                Reconnect = new ReconnectPolicy { Initial = TimeSpan.FromMilliseconds(200), Jitter = 0 },
            });

        var because = $"{t.Streams} {t.Connections} {string.Join(", ", t.Outcomes)}";
        Assert.True(t.Streams.PeakActive == 50, because);
        Assert.True(t.Connections.Opened >= 5, because);
        Assert.Equal(50, t.Outcomes["client-closed"]);
        Assert.True(t.Outcomes.Keys.All(k => k is "client-closed" or "not-processed"), because);
    }

    [LabFact("nginx", "haproxy")]
    public async Task BackendKilled_ThroughTheGateway_StreamsEndAndComeBackWhenItReturns()
    {
        var (t, summary) = await RunAsync(Real(), "gateway", 30, TimeSpan.FromSeconds(7),
            m => m with { Interval = TimeSpan.FromMilliseconds(100) },
            s => SlowRamp(s, 30) with
            {
                Faults = [new FaultStep { At = TimeSpan.FromSeconds(3.5), Kind = FaultKind.KillBackend, For = TimeSpan.FromSeconds(2) }],
                Reconnect = new ReconnectPolicy { Initial = TimeSpan.FromMilliseconds(200), Multiplier = 1.6, Jitter = 0, Max = TimeSpan.FromSeconds(1) },
            });

        Assert.Contains("connections dropped", summary.Events.Single(e => e.State == "done").Detail, StringComparison.Ordinal);
        var unplanned = Unplanned(t);
        // Observed: every open stream is reset with CANCEL by HAProxy when NGINX loses the backend
        // (Envoy would reset with NO_ERROR → Internal); re-opens while the backend is down get NGINX's
        // 502 (Bad Gateway).
        // A clean CI clone once saw 29 resets and 1 server-status:Cancelled: that stream got the dying backend's own
        // Cancelled trailers through NGINX before HAProxy's reset — the same event, told by the backend first.
        Assert.True(unplanned.Keys.All(k => k is "rst:CANCEL" or "server-status:Cancelled" || k.StartsWith("http-status:", StringComparison.Ordinal)), string.Join(", ", t.Outcomes));
        Assert.Equal(30, unplanned["rst:CANCEL"] + unplanned.GetValueOrDefault("server-status:Cancelled"));
        Assert.True(unplanned["rst:CANCEL"] >= 25, string.Join(", ", t.Outcomes));
        Assert.True(unplanned.GetValueOrDefault("http-status:502") >= 1, string.Join(", ", t.Outcomes));
        Assert.Empty(t.DetectedTimeouts);
        // The population came back once the backend did.
        Assert.Equal(30, t.Outcomes["client-closed"]);
    }

    [LabFact("nginx")]
    public async Task BackendDownFor30s_ReopensStayWithinTheCap_AndThePopulationReturns()
    {
        const int streams = 100;
        const double cap = 20;
        var (t, summary) = await RunAsync(Real(), "direct-tls", streams, TimeSpan.FromSeconds(42),
            m => m with { Interval = TimeSpan.FromMilliseconds(200) },
            s => s with
            {
                Profile = s.Profile with { MaxOpensPerSecond = cap, Phases = [new ProfilePhase(PhaseKind.Ramp, streams, TimeSpan.FromSeconds(5)), .. s.Profile.Phases.Skip(1)] },
                Faults = [new FaultStep { At = TimeSpan.FromSeconds(8), Kind = FaultKind.KillBackend, For = TimeSpan.FromSeconds(30) }],
                // Retry fast: the opens-per-second cap, not the backoff, must be what holds the storm back.
                Reconnect = new ReconnectPolicy { Initial = TimeSpan.FromMilliseconds(100), Multiplier = 1.5, Jitter = 0, Max = TimeSpan.FromMilliseconds(500) },
            });

        var because = string.Join(", ", t.Outcomes);
        Assert.Contains("down 30 s", summary.Events.Single(e => e.State == "done").Detail, StringComparison.Ordinal);
        // Observed through NGINX's TLS port: every stream open when the backend died ends at once as a
        // reset, and every re-open while it is down is refused with NGINX's 502 (Bad Gateway).
        // (HAProxy in front relays the same reset as CANCEL: see the gateway test above.)
        var unplanned = Unplanned(t);
        Assert.True(unplanned.Keys.All(k => k is "rst:INTERNAL_ERROR" or "http-status:502"), because);
        Assert.Equal(streams, unplanned["rst:INTERNAL_ERROR"]);
        Assert.True(unplanned.GetValueOrDefault("http-status:502") > 100, because);
        // Re-opens ran into the cap, never past it.
        var intervals = Ndjson.Read<IntervalRecord>(LastFolder!.Intervals).Records;
        Assert.All(intervals, i => Assert.True(
            i.Attempted <= (cap * ((i.End - i.Start).TotalSeconds + TickSlackS)) + (cap * 0.1) + 1,
            $"{i.Attempted} streams started in {(i.End - i.Start).TotalSeconds:0.00} s against a cap of {cap}/s"));
        Assert.True(intervals.Where(i => i.EndsByCause.ContainsKey("http-status:502")).Sum(i => i.Attempted) > 20 * cap, "the cap was reached while the backend was down");
        // Back: the whole population again once the backend returned, and nothing lost for good.
        var lastDown = intervals.Last(i => i.EndsByCause.ContainsKey("http-status:502"));
        Assert.Contains(intervals.SkipWhile(i => i != lastDown), i => i.Active == streams);
        Assert.Equal(0, t.Reconnects!.LostForGood);
        Assert.Equal(streams, t.Outcomes["client-closed"]);
        Assert.Empty(t.DetectedTimeouts);
    }

    [LabFact("nginx")]
    public async Task EspRestarted_OpenStreamsEnd_AndAllComeBackOnTheNewNginx()
    {
        var (t, summary) = await RunAsync(Real(), "direct-tls", 30, TimeSpan.FromSeconds(6),
            m => m with { Interval = TimeSpan.FromMilliseconds(100) },
            s => SlowRamp(s, 30) with
            {
                Faults = [new FaultStep { At = TimeSpan.FromSeconds(3.5), Kind = FaultKind.RestartEsp }],
                Reconnect = new ReconnectPolicy { Initial = TimeSpan.FromMilliseconds(200), Jitter = 0, Max = TimeSpan.FromSeconds(1) },
            });

        Assert.Contains("started again on the same ports", summary.Events.Single(e => e.State == "done").Detail, StringComparison.Ordinal);
        // NGINX's fast shutdown closes every connection: each open stream ends once, and comes back.
        Assert.True(Unplanned(t).Values.Sum() >= 30, string.Join(", ", t.Outcomes));
        Assert.Equal(30, t.Outcomes["client-closed"]);
        Assert.Empty(t.DetectedTimeouts);
    }

    [LabFact("nginx")]
    public async Task EspFrozen_SilentBlackHole_WithoutKeepalivePings_EndsNoStream_LatencyShowsTheStall()
    {
        var (t, summary) = await RunAsync(Real(), "direct-tls", 30, TimeSpan.FromSeconds(6),
            m => m with { Interval = TimeSpan.FromMilliseconds(100) },
            s => s with { Faults = [new FaultStep { At = TimeSpan.FromSeconds(2), Kind = FaultKind.StopEsp, For = TimeSpan.FromSeconds(2) }] });

        Assert.Contains("SIGSTOP", summary.Events.Single(e => e.State == "done").Detail, StringComparison.Ordinal);
        // Nothing notices a frozen proxy: no stream ends, every message is answered late.
        Assert.Equal(new Dictionary<string, long> { ["client-closed"] = 30 }, t.Outcomes);
        Assert.Equal(t.Messages.Sent, t.Messages.Received);
        Assert.InRange(t.LatencyMs.Max!.Value, 1800, 4000);
    }

    [LabFact("nginx")]
    public async Task EspFrozen_KeepalivePingsUnanswered_EndStreamsAsKeepaliveTimeout_AndTheyComeBack()
    {
        // The same freeze, but the client pings (delay 1 s, timeout 1 s): what a dead-but-connected
        // proxy looks like to a client that asks. Without pings nothing notices (test above).
        var (t, _) = await RunAsync(Real(), "direct-tls", 30, TimeSpan.FromSeconds(10),
            m => m with { Interval = TimeSpan.FromMilliseconds(100) },
            s => s with
            {
                Targets = [s.Targets[0] with { KeepAlive = new KeepAlivePings(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1), KeepAlivePolicy.WithActiveRequests) }],
                Faults = [new FaultStep { At = TimeSpan.FromSeconds(2), Kind = FaultKind.StopEsp, For = TimeSpan.FromSeconds(5) }],
                Reconnect = new ReconnectPolicy { Initial = TimeSpan.FromMilliseconds(200), Jitter = 0, Max = TimeSpan.FromSeconds(1) },
            });

        var because = string.Join(", ", t.Outcomes);
        Assert.Equal(30, Unplanned(t).GetValueOrDefault("keepalive-timeout"));
        Assert.Equal(30, t.Outcomes["client-closed"]);
        Assert.Equal(0, t.Reconnects!.LostForGood);
        Assert.True(t.Connections.Opened >= 2, because);
    }

    [LabFact("nginx", "haproxy")]
    public async Task HaproxyDrain_GoawayThenHardStop_StreamsEndAndReconnectToTheNewGateway()
    {
        var (t, summary) = await RunAsync(Real(), "gateway", 30, TimeSpan.FromSeconds(6),
            m => m with { Interval = TimeSpan.FromMilliseconds(100) },
            s => SlowRamp(s, 30) with
            {
                // 2 s after the 3 s ramp: every stream is open when the drain starts, on a busy machine too (the soft stop
                // closes HAProxy's listener, so an open still on its way then fails to connect until the new one is up).
                Faults = [new FaultStep { At = TimeSpan.FromSeconds(5), Kind = FaultKind.DrainGateway, CloseAfter = TimeSpan.FromSeconds(1) }],
                Reconnect = new ReconnectPolicy { Initial = TimeSpan.FromMilliseconds(200), Jitter = 0, Max = TimeSpan.FromSeconds(1) },
            });

        Assert.Contains("HAProxy soft stop", summary.Events.Single(e => e.State == "done").Detail, StringComparison.Ordinal);
        // Observed on HAProxy 2.6: the soft stop's GOAWAY ends nothing; the hard stop after the grace drops every open
        // stream's connection — read on the wire as the close after the GOAWAY, one cause for all (it was split between
        // connection-lost and goaway:NO_ERROR while TLS frames went unread) — and all reconnect to the new HAProxy.
        var unplanned = Unplanned(t);
        var because = string.Join(", ", t.Outcomes);
        // A stream still opening when the listener closed fails to connect until the new HAProxy listens (a busy CI clone
        // saw 4 of 30 with the drain 0.5 s after the ramp); every stream that was open ends with the close, one cause.
        Assert.True(unplanned.Keys.All(k => k is "connection-closed-after-goaway" or "connect-failed"), because);
        var late = unplanned.ContainsKey("connect-failed");
        Assert.True(late ? unplanned.GetValueOrDefault("connection-closed-after-goaway") >= 20 : unplanned.Values.Sum() == 30, because);
        Assert.Equal(30, t.Outcomes["client-closed"]);
        Assert.Empty(t.DetectedTimeouts);
    }
}
