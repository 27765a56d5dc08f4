using System.Data.Common;
using System.Globalization;
using System.Text.Json;

namespace LoadGen.History;

/// <summary>
/// The history of runs, on SQLite or PostgreSQL with one schema (plain SQL both understand) and numbered migrations
/// recorded in <c>loadgen_schema</c>. Runs are keyed by run id: adding a run again re-reads its folder and updates
/// the one record (a moved folder's new place included). A history written by a newer LoadGen is refused, not
/// guessed at.
/// </summary>
public sealed class HistoryStore : IAsyncDisposable
{
    /// <summary>The migrations in order; the schema version is their count. Never edit one that shipped: add the next.</summary>
    private static readonly string[][] Migrations =
    [
        [
            """
            CREATE TABLE loadgen_runs (
                run_id TEXT PRIMARY KEY,
                folder TEXT NOT NULL,
                scenario TEXT NOT NULL,
                scenario_hash TEXT,
                service TEXT,
                release_label TEXT,
                label TEXT,
                started_at TEXT NOT NULL,
                ended_at TEXT NOT NULL,
                completion TEXT NOT NULL,
                verdict TEXT NOT NULL,
                loadgen_version TEXT,
                added_at TEXT NOT NULL,
                updated_at TEXT NOT NULL)
            """,
            """
            CREATE TABLE loadgen_run_topologies (
                run_id TEXT NOT NULL REFERENCES loadgen_runs (run_id) ON DELETE CASCADE,
                topology TEXT NOT NULL,
                address TEXT,
                path_fingerprint TEXT,
                stream_hours DOUBLE PRECISION NOT NULL,
                p50 DOUBLE PRECISION, p50_low DOUBLE PRECISION, p50_high DOUBLE PRECISION,
                p99 DOUBLE PRECISION, p99_low DOUBLE PRECISION, p99_high DOUBLE PRECISION,
                unplanned_ends BIGINT NOT NULL,
                unplanned_rate DOUBLE PRECISION, unplanned_low DOUBLE PRECISION, unplanned_high DOUBLE PRECISION,
                send_lag_p99 DOUBLE PRECISION,
                saturated INTEGER NOT NULL,
                drift TEXT NOT NULL,
                PRIMARY KEY (run_id, topology))
            """,
            """
            CREATE TABLE loadgen_baselines (
                name TEXT NOT NULL,
                run_id TEXT NOT NULL REFERENCES loadgen_runs (run_id) ON DELETE CASCADE,
                accepted_at TEXT NOT NULL,
                accepted_by TEXT NOT NULL,
                reason TEXT NOT NULL,
                PRIMARY KEY (name, run_id))
            """,
            "CREATE INDEX loadgen_runs_started ON loadgen_runs (started_at)",
        ],
    ];

    private readonly DbConnection connection;

    private HistoryStore(DbConnection connection, HistoryLocation location)
    {
        this.connection = connection;
        Location = location;
    }

    /// <summary>The schema version this LoadGen writes.</summary>
    public static int SchemaVersion => Migrations.Length;

    public HistoryLocation Location { get; }

    /// <summary>Opens the history, creating it or bringing its schema up to date.</summary>
    /// <exception cref="InvalidDataException">The history was written by a newer LoadGen.</exception>
    public static async Task<HistoryStore> OpenAsync(HistoryLocation location, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(location);
        var connection = await location.OpenAsync(cancellationToken).ConfigureAwait(false);
        var store = new HistoryStore(connection, location);
        try
        {
            if (!location.IsPostgres)
            {
                await store.ExecAsync("PRAGMA foreign_keys = ON", cancellationToken).ConfigureAwait(false);
            }

            await store.MigrateAsync(cancellationToken).ConfigureAwait(false);
            return store;
        }
        catch
        {
            await store.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>The schema version the history holds (0 for a new one).</summary>
    public async Task<int> VersionAsync(CancellationToken cancellationToken = default)
    {
        var v = await ScalarAsync("SELECT MAX(version) FROM loadgen_schema", [], cancellationToken).ConfigureAwait(false);
        return v is null or DBNull ? 0 : Convert.ToInt32(v, CultureInfo.InvariantCulture);
    }

    private async Task MigrateAsync(CancellationToken cancellationToken)
    {
        await ExecAsync("CREATE TABLE IF NOT EXISTS loadgen_schema (version INTEGER NOT NULL PRIMARY KEY, applied_at TEXT NOT NULL)", cancellationToken).ConfigureAwait(false);
        var current = await VersionAsync(cancellationToken).ConfigureAwait(false);
        if (current > SchemaVersion)
        {
            throw new InvalidDataException($"{Location.Display}: the history has schema version {current}, written by a newer LoadGen; this one knows up to {SchemaVersion}: upgrade LoadGen");
        }

        for (var v = current + 1; v <= SchemaVersion; v++)
        {
            await using var tx = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
            foreach (var sql in Migrations[v - 1])
            {
                await ExecAsync(sql, cancellationToken, tx).ConfigureAwait(false);
            }

            await ExecAsync("INSERT INTO loadgen_schema (version, applied_at) VALUES (@v, @at)", cancellationToken, tx, ("v", v), ("at", Stamp(DateTimeOffset.UtcNow))).ConfigureAwait(false);
            await tx.CommitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Records a run, or updates its record (same run id): the run and its topologies are replaced in one transaction.</summary>
    /// <returns>True when the run was new to the history.</returns>
    public async Task<bool> AddAsync(HistoryRun run, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(run);
        await using var tx = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        var existing = await ScalarAsync("SELECT added_at FROM loadgen_runs WHERE run_id = @id", [("id", run.RunId)], cancellationToken, tx).ConfigureAwait(false);
        var now = Stamp(run.AddedAt);
        await ExecAsync(
            """
            INSERT INTO loadgen_runs (run_id, folder, scenario, scenario_hash, service, release_label, label, started_at, ended_at, completion, verdict, loadgen_version, added_at, updated_at)
            VALUES (@id, @folder, @scenario, @hash, @service, @release, @label, @started, @ended, @completion, @verdict, @version, @now, @now)
            ON CONFLICT (run_id) DO UPDATE SET folder = excluded.folder, scenario = excluded.scenario, scenario_hash = excluded.scenario_hash,
                service = excluded.service, release_label = COALESCE(excluded.release_label, loadgen_runs.release_label), label = COALESCE(excluded.label, loadgen_runs.label),
                started_at = excluded.started_at, ended_at = excluded.ended_at, completion = excluded.completion, verdict = excluded.verdict,
                loadgen_version = excluded.loadgen_version, updated_at = excluded.updated_at
            """,
            cancellationToken,
            tx,
            ("id", run.RunId), ("folder", run.Folder), ("scenario", run.Scenario), ("hash", run.ScenarioHash), ("service", run.Service), ("release", run.Release), ("label", run.Label),
            ("started", Stamp(run.StartedAt)), ("ended", Stamp(run.EndedAt)), ("completion", run.Completion), ("verdict", run.Verdict), ("version", run.LoadGenVersion), ("now", now)).ConfigureAwait(false);
        await ExecAsync("DELETE FROM loadgen_run_topologies WHERE run_id = @id", cancellationToken, tx, ("id", run.RunId)).ConfigureAwait(false);
        foreach (var t in run.Topologies)
        {
            await ExecAsync(
                """
                INSERT INTO loadgen_run_topologies (run_id, topology, address, path_fingerprint, stream_hours, p50, p50_low, p50_high, p99, p99_low, p99_high,
                    unplanned_ends, unplanned_rate, unplanned_low, unplanned_high, send_lag_p99, saturated, drift)
                VALUES (@id, @topology, @address, @path, @hours, @p50, @p50l, @p50h, @p99, @p99l, @p99h, @ends, @rate, @ratel, @rateh, @lag, @saturated, @drift)
                """,
                cancellationToken,
                tx,
                ("id", run.RunId), ("topology", t.Topology), ("address", t.Address), ("path", t.PathFingerprint), ("hours", t.StreamHours),
                ("p50", t.P50?.Value), ("p50l", t.P50?.Low), ("p50h", t.P50?.High), ("p99", t.P99?.Value), ("p99l", t.P99?.Low), ("p99h", t.P99?.High),
                ("ends", t.UnplannedEnds), ("rate", t.UnplannedRate?.Value), ("ratel", t.UnplannedRate?.Low), ("rateh", t.UnplannedRate?.High),
                ("lag", t.SendLagP99), ("saturated", t.Saturated ? 1 : 0), ("drift", JsonSerializer.Serialize(t.Drift, LoadGen.Results.RunSummary.JsonOptions))).ConfigureAwait(false);
        }

        await tx.CommitAsync(cancellationToken).ConfigureAwait(false);
        return existing is null or DBNull;
    }

    /// <summary>Records a run as an accepted baseline under its name (again: the who and why are updated).</summary>
    /// <exception cref="KeyNotFoundException">The run is not in the history.</exception>
    public async Task AcceptAsync(HistoryBaseline baseline, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(baseline);
        if (await GetAsync(baseline.RunId, cancellationToken).ConfigureAwait(false) is null)
        {
            throw new KeyNotFoundException($"run {baseline.RunId} is not in the history {Location.Display}: add it first (loadgen history add <run-folder> --release …)");
        }

        await ExecAsync(
            """
            INSERT INTO loadgen_baselines (name, run_id, accepted_at, accepted_by, reason) VALUES (@name, @id, @at, @by, @why)
            ON CONFLICT (name, run_id) DO UPDATE SET accepted_at = excluded.accepted_at, accepted_by = excluded.accepted_by, reason = excluded.reason
            """,
            cancellationToken,
            null,
            ("name", baseline.Name), ("id", baseline.RunId), ("at", Stamp(baseline.AcceptedAt)), ("by", baseline.By), ("why", baseline.Why)).ConfigureAwait(false);
    }

    /// <summary>One run by id; null when the history does not hold it.</summary>
    public async Task<HistoryRun?> GetAsync(string runId, CancellationToken cancellationToken = default)
    {
        var found = await ListAsync(new HistoryFilter { RunId = runId }, cancellationToken).ConfigureAwait(false);
        return found.Count > 0 ? found[0] : null;
    }

    /// <summary>The runs that match, oldest first, with their topologies (only the filter's, when it names one).</summary>
    public async Task<IReadOnlyList<HistoryRun>> ListAsync(HistoryFilter filter, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(filter);
        var runs = new List<HistoryRun>();
        var where = new List<string>();
        var args = new List<(string, object?)>();
        void Add(string clause, string name, string? value)
        {
            if (value is not null)
            {
                where.Add(clause);
                args.Add((name, value));
            }
        }

        Add("r.run_id = @id", "id", filter.RunId);
        Add("(r.service = @service OR r.scenario = @service)", "service", filter.Service);
        Add("r.label = @label", "label", filter.Label);
        Add("r.release_label = @release", "release", filter.Release);
        Add("EXISTS (SELECT 1 FROM loadgen_run_topologies t WHERE t.run_id = r.run_id AND t.topology = @topology)", "topology", filter.Topology);
        Add("EXISTS (SELECT 1 FROM loadgen_baselines b WHERE b.run_id = r.run_id AND b.name = @baseline)", "baseline", filter.Baseline);
        var sql = "SELECT run_id, folder, scenario, scenario_hash, service, release_label, label, started_at, ended_at, completion, verdict, loadgen_version, added_at FROM loadgen_runs r" +
            (where.Count > 0 ? " WHERE " + string.Join(" AND ", where) : "") + " ORDER BY started_at, run_id";
        await using (var cmd = Command(sql, null, args))
        await using (var reader = await cmd.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
        {
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                runs.Add(new HistoryRun
                {
                    RunId = reader.GetString(0),
                    Folder = reader.GetString(1),
                    Scenario = reader.GetString(2),
                    ScenarioHash = Text(reader, 3),
                    Service = Text(reader, 4),
                    Release = Text(reader, 5),
                    Label = Text(reader, 6),
                    StartedAt = Time(reader.GetString(7)),
                    EndedAt = Time(reader.GetString(8)),
                    Completion = reader.GetString(9),
                    Verdict = reader.GetString(10),
                    LoadGenVersion = Text(reader, 11),
                    AddedAt = Time(reader.GetString(12)),
                });
            }
        }

        var topologies = await TopologiesAsync(runs.Select(r => r.RunId).ToHashSet(StringComparer.Ordinal), filter.Topology, cancellationToken).ConfigureAwait(false);
        var accepted = await BaselinesAsync(null, cancellationToken).ConfigureAwait(false);
        return [.. runs.Select(r => r with
        {
            Topologies = topologies.TryGetValue(r.RunId, out var t) ? t : [],
            AcceptedAs = [.. accepted.Where(b => b.RunId == r.RunId).Select(b => b.Name)],
        })];
    }

    /// <summary>The accepted baselines, oldest run first; of one name when <paramref name="name"/> is given.</summary>
    public async Task<IReadOnlyList<HistoryBaseline>> BaselinesAsync(string? name, CancellationToken cancellationToken = default)
    {
        var list = new List<HistoryBaseline>();
        var sql = "SELECT b.name, b.run_id, b.accepted_at, b.accepted_by, b.reason FROM loadgen_baselines b JOIN loadgen_runs r ON r.run_id = b.run_id" +
            (name is null ? "" : " WHERE b.name = @name") + " ORDER BY r.started_at, b.run_id";
        await using var cmd = Command(sql, null, name is null ? [] : [("name", name)]);
        await using var reader = await cmd.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            list.Add(new HistoryBaseline(reader.GetString(0), reader.GetString(1), Time(reader.GetString(2)), reader.GetString(3), reader.GetString(4)));
        }

        return list;
    }

    private async Task<Dictionary<string, List<HistoryTopology>>> TopologiesAsync(HashSet<string> runIds, string? topology, CancellationToken cancellationToken)
    {
        var map = new Dictionary<string, List<HistoryTopology>>(StringComparer.Ordinal);
        var sql = "SELECT run_id, topology, address, path_fingerprint, stream_hours, p50, p50_low, p50_high, p99, p99_low, p99_high, unplanned_ends, unplanned_rate, unplanned_low, unplanned_high, send_lag_p99, saturated, drift " +
            "FROM loadgen_run_topologies" + (topology is null ? "" : " WHERE topology = @topology") + " ORDER BY run_id, topology";
        await using var cmd = Command(sql, null, topology is null ? [] : [("topology", topology)]);
        await using var reader = await cmd.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            var id = reader.GetString(0);
            if (!runIds.Contains(id))
            {
                continue;
            }

            Interval? Of(int i) => reader.IsDBNull(i) ? null : new Interval(reader.GetDouble(i), reader.GetDouble(i + 1), reader.GetDouble(i + 2));
            var t = new HistoryTopology
            {
                Topology = reader.GetString(1),
                Address = Text(reader, 2),
                PathFingerprint = Text(reader, 3),
                StreamHours = reader.GetDouble(4),
                P50 = Of(5),
                P99 = Of(8),
                UnplannedEnds = reader.GetInt64(11),
                UnplannedRate = Of(12),
                SendLagP99 = reader.IsDBNull(15) ? null : reader.GetDouble(15),
                Saturated = reader.GetInt32(16) != 0,
                Drift = Drift(reader.GetString(17)),
            };
            if (!map.TryGetValue(id, out var list))
            {
                map[id] = list = [];
            }

            list.Add(t);
        }

        return map;
    }

    /// <summary>The drift column; a value this LoadGen cannot read shows as no drift rather than failing the whole history.</summary>
    private static List<DriftEntry> Drift(string json)
    {
        try
        {
            return JsonSerializer.Deserialize<List<DriftEntry>>(json, LoadGen.Results.RunSummary.JsonOptions) ?? [];
        }
        catch (JsonException)
        {
            return [];
        }
    }

    public async ValueTask DisposeAsync() => await connection.DisposeAsync().ConfigureAwait(false);

    private static string Stamp(DateTimeOffset t) => t.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'", CultureInfo.InvariantCulture);

    private static DateTimeOffset Time(string s) => DateTimeOffset.Parse(s, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal);

    private static string? Text(DbDataReader reader, int i) => reader.IsDBNull(i) ? null : reader.GetString(i);

    private DbCommand Command(string sql, DbTransaction? tx, IEnumerable<(string Name, object? Value)> args)
    {
        var cmd = connection.CreateCommand();
        cmd.CommandText = sql;
        cmd.Transaction = tx;
        foreach (var (name, value) in args)
        {
            var p = cmd.CreateParameter();
            p.ParameterName = name;
            p.Value = value ?? DBNull.Value;
            cmd.Parameters.Add(p);
        }

        return cmd;
    }

    private async Task ExecAsync(string sql, CancellationToken cancellationToken, DbTransaction? tx = null, params (string Name, object? Value)[] args)
    {
        await using var cmd = Command(sql, tx, args);
        await cmd.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    private async Task<object?> ScalarAsync(string sql, IEnumerable<(string Name, object? Value)> args, CancellationToken cancellationToken, DbTransaction? tx = null)
    {
        await using var cmd = Command(sql, tx, args);
        return await cmd.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false);
    }
}

/// <summary>Which runs a history command reads; null fields match every run.</summary>
public sealed record HistoryFilter
{
    public string? RunId { get; init; }

    /// <summary>The gRPC service ("package.Service") or the scenario's name.</summary>
    public string? Service { get; init; }

    public string? Topology { get; init; }

    public string? Label { get; init; }

    public string? Release { get; init; }

    /// <summary>Runs accepted under this baseline name.</summary>
    public string? Baseline { get; init; }
}
