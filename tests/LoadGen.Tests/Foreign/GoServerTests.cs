using LoadGen.Core.Scenarios;
using LoadGen.Lab;
using LoadGen.Results;
using LoadGen.Tests.Integration;

namespace LoadGen.Tests.Foreign;

/// <summary>A test that needs grpc-go: skipped with the reason where Go or grpc-go's source is missing, a failure where lab binaries are required (CI).</summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class GoFactAttribute : FactAttribute
{
    public GoFactAttribute()
    {
        Timeout = SerialLoad.TimeoutMs;
        Skip = SkipReason();
    }

    /// <summary>Why a grpc-go test is skipped here; null when it runs (or must: lab binaries required).</summary>
    internal static string? SkipReason() =>
        GoServer.Missing is { } missing && !LabBinaries.Required ? $"{missing}; set {LabBinaries.RequireVariable}=1 to make this a failure" : null;
}

/// <summary>A theory that needs grpc-go (see <see cref="GoFactAttribute"/>).</summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class GoTheoryAttribute : TheoryAttribute
{
    public GoTheoryAttribute()
    {
        Timeout = SerialLoad.TimeoutMs;
        Skip = GoFactAttribute.SkipReason();
    }
}

/// <summary>
/// LoadGen against a grpc-go server (1.33, Debian's), with grpc-go's own server options. grpc-go ends an aged
/// connection without ending its streams first: GOAWAY, then after the grace the connection closes under them; its
/// keepalive enforcement is GOAWAY ENHANCE_YOUR_CALM "too_many_pings" and a close. One server action, one cause.
/// </summary>
[Collection(SerialLoad.Name)]
public class GoServerTests
{
    private static async Task<TopologySummary> RunAsync(GoServer server, int streams, TimeSpan hold, TimeSpan interval, KeepAlivePings? pings = null) =>
        (await ForeignRun.RunAsync(server.Address, streams, hold, interval, pings)).Topology;

    [GoFact]
    public async Task MaxConnectionAge_IsOneCause_ConnectionClosedAfterGoAway_AndNoStreamTimeout()
    {
        using var server = await GoServer.StartAsync("-max-connection-age=3s", "-max-connection-age-grace=1s");

        var t = await RunAsync(server, 50, TimeSpan.FromSeconds(10), TimeSpan.FromMilliseconds(200));

        ForeignRun.AgedConnectionsAreOneCause(t, atLeast: 50);
    }

    [GoTheory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task KeepaliveEnforcement_IsGoAwayEnhanceYourCalm_ForEveryStream(bool permitWithoutStream)
    {
        // PermitWithoutStream only spares pings on a connection without streams; these connections carry streams, so
        // pings more often than MinTime are enforced either way — and read as one cause either way.
        using var server = await GoServer.StartAsync("-min-ping-interval=10s", $"-permit-without-stream={(permitWithoutStream ? "true" : "false")}");

        var t = await RunAsync(server, 2, TimeSpan.FromSeconds(15), TimeSpan.FromSeconds(60), new KeepAlivePings(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(5), KeepAlivePolicy.Always));

        var because = string.Join(", ", t.Outcomes);
        Assert.True(t.Outcomes.GetValueOrDefault(EndCauses.GoAway(0xb)) >= 2, because);
        Assert.All(t.Outcomes.Keys, k => Assert.True(k == EndCauses.GoAway(0xb) || k == EndCauses.ClientClosed, because));
        Assert.Empty(t.DetectedTimeouts);
        Assert.All(t.DetectedLimits, l => Assert.Contains("keepalive.delay", l.Text, StringComparison.Ordinal));
    }

    [GoFact]
    public async Task PingsWithinTheServersAllowance_AreNeverEnforced_AndNothingIsClaimed()
    {
        // Pings every 2 s against a 1 s minimum, PermitWithoutStream on: the settings a user fixes keepalive with. Nothing
        // ends but by the plan, on the one connection planned.
        using var server = await GoServer.StartAsync("-min-ping-interval=1s", "-permit-without-stream=true");

        var t = await RunAsync(server, 4, TimeSpan.FromSeconds(8), TimeSpan.FromSeconds(60), new KeepAlivePings(TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(5), KeepAlivePolicy.Always));

        ForeignRun.OnlyThePlan(t, 4);
    }

    [GoFact]
    public async Task MaxConnectionIdle_NeverEndsAConnectionThatCarriesStreams_AndNothingIsClaimed()
    {
        // grpc-go counts a connection idle from when its last stream ended: quiet streams are not idleness.
        using var server = await GoServer.StartAsync("-max-connection-idle=1s");

        var t = await RunAsync(server, 20, TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(2));

        ForeignRun.OnlyThePlan(t, 20);
    }

    [GoFact]
    public async Task MaxConcurrentStreams_BelowThePlan_IsDetected_AsTheServersLimit()
    {
        using var server = await GoServer.StartAsync("-max-concurrent-streams=10");

        ForeignRun.ConcurrentStreamsLimitIs(await RunAsync(server, 50, TimeSpan.FromSeconds(4), TimeSpan.FromMilliseconds(200)), 10);
    }

    [GoFact]
    public async Task AHandlerThatStopsReplying_IsWarned()
    {
        using var server = await GoServer.StartAsync("-stop-replying-after=3");

        var t = await RunAsync(server, 20, TimeSpan.FromSeconds(4), TimeSpan.FromMilliseconds(200));

        Assert.True(t.Messages.Unanswered > 0.5 * t.Messages.Sent, $"unanswered {t.Messages.Unanswered} of {t.Messages.Sent}");
        Assert.Contains(LoadGen.Results.Analysis.RunWarnings.For([t]), w => w.Contains("of the messages sent on backend-h2c were never answered", StringComparison.Ordinal));
    }

    [GoFact]
    public async Task AHandlerThatEndsWithOk_AfterTwoSeconds_IsThatAge_AndThatStatus()
    {
        using var server = await GoServer.StartAsync("-end-ok-after=2s");

        var t = await RunAsync(server, 20, TimeSpan.FromSeconds(6), TimeSpan.FromMilliseconds(200));

        Assert.True(t.Outcomes.GetValueOrDefault(EndCauses.ServerStatus("OK")) >= 20, string.Join(", ", t.Outcomes));
        var age = Assert.Single(t.DetectedTimeouts);
        Assert.Equal(("age", EndCauses.ServerStatus("OK")), (age.Direction, age.Cause));
        Assert.InRange(age.Seconds, 1.8, 2.6);
    }
}
