using LoadGen.History;
using LoadGen.Results;
using Microsoft.Data.Sqlite;

namespace LoadGen.Tests.History;

/// <summary>The history store on real SQLite and real PostgreSQL: one schema, the same answers from both.</summary>
public class HistoryStoreTests
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 1, 9, 0, 0, TimeSpan.Zero);

    private static HistoryRun Run(string id, int day, string? release, string service = "chat.v1.Chat", string topology = "gateway", double p99 = 20, string folder = "/runs/x", string? label = null) => new()
    {
        RunId = id,
        Folder = folder,
        Scenario = "soak",
        ScenarioHash = "abc",
        Service = service,
        Release = release,
        Label = label,
        StartedAt = T0.AddDays(day),
        EndedAt = T0.AddDays(day).AddHours(4),
        Completion = "completed",
        Verdict = "pass",
        LoadGenVersion = "1.0",
        AddedAt = T0.AddDays(day + 1),
        Topologies =
        [
            new HistoryTopology
            {
                Topology = topology,
                Address = "https://127.0.0.1:1",
                PathFingerprint = "0123456789ab",
                StreamHours = 8000,
                P50 = new Interval(3, 2.9, 3.1),
                P99 = new Interval(p99, p99 - 1, p99 + 1),
                UnplannedEnds = 4,
                UnplannedRate = new Interval(0.5, 0.136, 1.28),
                SendLagP99 = 1.5,
                Drift = [new DriftEntry("p99", DriftTrend.Rising, "p99 rose 0.8 ms per hour [+0.5, +1.1] over 4 h"), new DriftEntry("p50", DriftTrend.Stable, "p50 stable")],
            },
        ],
    };

    [Fact]
    public async Task Sqlite_AddAcceptList_RoundTrip()
    {
        var file = Path.Combine(TestTemp.Path("history"), "history.db");
        await RoundTrip(HistoryLocation.Parse(file));
        SqliteConnection.ClearAllPools();
    }

    [PostgresFact]
    public async Task Postgres_AddAcceptList_RoundTrip()
    {
        await using var db = await PostgresDatabase.CreateAsync();
        await RoundTrip(HistoryLocation.Parse(db.Url, environment: v => v == HistoryLocation.PasswordVariable ? PostgresDatabase.Password : null));
    }

    [Fact]
    public async Task Sqlite_AHistoryFromANewerLoadGen_IsRefused_NotGuessedAt()
    {
        var location = HistoryLocation.Parse(Path.Combine(TestTemp.Path("history"), "history.db"));
        await using (var store = await HistoryStore.OpenAsync(location))
        {
            Assert.Equal(HistoryStore.SchemaVersion, await store.VersionAsync());
        }

        await using (var c = new SqliteConnection($"Data Source={location.Display};Pooling=false"))
        {
            await c.OpenAsync();
            await using var cmd = c.CreateCommand();
            cmd.CommandText = "INSERT INTO loadgen_schema (version, applied_at) VALUES (99, 'later')";
            await cmd.ExecuteNonQueryAsync();
        }

        var e = await Assert.ThrowsAsync<InvalidDataException>(() => HistoryStore.OpenAsync(location));
        Assert.Contains("schema version 99", e.Message, StringComparison.Ordinal);
        Assert.Contains("newer LoadGen", e.Message, StringComparison.Ordinal);
    }

    private static async Task RoundTrip(HistoryLocation location)
    {
        await using (var store = await HistoryStore.OpenAsync(location))
        {
            Assert.Equal(HistoryStore.SchemaVersion, await store.VersionAsync());
            Assert.True(await store.AddAsync(Run("a", 0, "1.40", label: "baseline")));
            // The same run again — re-read from a moved folder, no release given: one record, its folder and figures updated, its release kept.
            Assert.False(await store.AddAsync(Run("a", 0, null, p99: 21, folder: "/moved/a")));
            Assert.True(await store.AddAsync(Run("b", 7, "1.41")));
            Assert.True(await store.AddAsync(Run("c", 3, "1.41", service: "other.v1.Other", topology: "direct-tls", label: "soak")));
            await store.AcceptAsync(new HistoryBaseline("pre", "a", T0.AddDays(2), "alice", "release 1.40 review"));
            await store.AcceptAsync(new HistoryBaseline("pre", "b", T0.AddDays(9), "bob", "release 1.41 review"));
            await Assert.ThrowsAsync<KeyNotFoundException>(() => store.AcceptAsync(new HistoryBaseline("pre", "nope", T0, "x", "y")));
        }

        // Reopened: what was written is what is read.
        await using (var store = await HistoryStore.OpenAsync(location))
        {
            var all = await store.ListAsync(new HistoryFilter());
            Assert.Equal(["a", "c", "b"], all.Select(r => r.RunId));
            var a = all[0];
            Assert.Equal(("/moved/a", "1.40", "baseline"), (a.Folder, a.Release, a.Label));
            Assert.Equal(T0, a.StartedAt);
            var t = Assert.Single(a.Topologies);
            Assert.Equal((21.0, 20.0, 22.0), (t.P99!.Value, t.P99.Low, t.P99.High));
            Assert.Equal((4L, 0.5, "0123456789ab"), (t.UnplannedEnds, t.UnplannedRate!.Value, t.PathFingerprint));
            Assert.Equal(DriftTrend.Rising, t.Drift[0].Trend);
            Assert.Equal("p99 rose 0.8 ms per hour [+0.5, +1.1] over 4 h", t.DriftSummary);
            Assert.Equal(["pre"], a.AcceptedAs);
            Assert.False(a.FolderExists);

            Assert.Equal(["a", "b"], (await store.ListAsync(new HistoryFilter { Service = "chat.v1.Chat" })).Select(r => r.RunId));
            Assert.Equal(["a", "c", "b"], (await store.ListAsync(new HistoryFilter { Service = "soak" })).Select(r => r.RunId));
            var direct = Assert.Single(await store.ListAsync(new HistoryFilter { Topology = "direct-tls" }));
            Assert.Equal("c", direct.RunId);
            Assert.Equal(["c"], (await store.ListAsync(new HistoryFilter { Label = "soak" })).Select(r => r.RunId));
            Assert.Equal(["c", "b"], (await store.ListAsync(new HistoryFilter { Release = "1.41" })).Select(r => r.RunId));
            Assert.Equal(["a", "b"], (await store.ListAsync(new HistoryFilter { Baseline = "pre" })).Select(r => r.RunId));
            var pre = await store.BaselinesAsync("pre");
            Assert.Equal([("a", "alice", "release 1.40 review"), ("b", "bob", "release 1.41 review")], pre.Select(b => (b.RunId, b.By, b.Why)));
            Assert.Empty(await store.BaselinesAsync("other"));
            Assert.Null(await store.GetAsync("nope"));
        }
    }
}
