using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using LoadGen.Reports;
using LoadGen.Results;
using MathNet.Numerics.Distributions;

namespace LoadGen.History;

/// <summary>
/// One run as the history records it: by reference (its id and where its folder is — the folder stays the source of
/// truth) with what a trend needs without opening it: scenario, release label, and per topology the headline figures
/// with their intervals, the path's fingerprint and the drift readings.
/// </summary>
public sealed record HistoryRun
{
    public required string RunId { get; init; }

    /// <summary>The run folder's absolute path when it was last added.</summary>
    public required string Folder { get; init; }

    public required string Scenario { get; init; }

    /// <summary>A hash of the scenario's settings as run.json records them: two runs with the same hash ran the same workload.</summary>
    public string? ScenarioHash { get; init; }

    /// <summary>The gRPC service the streams called ("package.Service"), from the first topology's method.</summary>
    public string? Service { get; init; }

    /// <summary>The release the run belongs to (history add --release).</summary>
    public string? Release { get; init; }

    /// <summary>What kind of run it was (history add --label: baseline, soak …).</summary>
    public string? Label { get; init; }

    public required DateTimeOffset StartedAt { get; init; }

    public required DateTimeOffset EndedAt { get; init; }

    public required string Completion { get; init; }

    public required string Verdict { get; init; }

    public string? LoadGenVersion { get; init; }

    public DateTimeOffset AddedAt { get; init; }

    public IReadOnlyList<HistoryTopology> Topologies { get; init; } = [];

    /// <summary>The accepted-baseline names this run is recorded under.</summary>
    public IReadOnlyList<string> AcceptedAs { get; init; } = [];

    /// <summary>False when the folder is no longer where the history says (moved or deleted): reported, never dropped.</summary>
    public bool FolderExists => Directory.Exists(Folder);

    /// <summary>What a trend's x axis shows: the release label, else the day the run started.</summary>
    public string Axis => Release ?? StartedAt.UtcDateTime.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture);

    /// <summary>Reads a run folder into a record (the figures' intervals computed as the comparison's batch method does).</summary>
    public static HistoryRun From(RunData run, string? release, string? label, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(run);
        var s = run.Summary;
        return new HistoryRun
        {
            RunId = s.RunId,
            Folder = run.Folder.Path,
            Scenario = s.Scenario,
            ScenarioHash = ScenarioHashOf(run),
            Service = s.Topologies.Select(t => t.Method).FirstOrDefault(m => m is not null) is { } m && m.Contains('/', StringComparison.Ordinal) ? m[..m.IndexOf('/', StringComparison.Ordinal)] : null,
            Release = release,
            Label = label,
            StartedAt = s.StartedAt,
            EndedAt = s.EndedAt,
            Completion = s.Completion.Value,
            Verdict = s.Verdict.Value,
            LoadGenVersion = run.Info?.LoadGenVersion,
            AddedAt = now,
            Topologies = [.. s.Topologies.Select(t => HistoryTopology.From(run, t))],
        };
    }

    private static string? ScenarioHashOf(RunData run)
    {
        if (!File.Exists(run.Folder.RunJson))
        {
            return null;
        }

        try
        {
            using var doc = System.Text.Json.JsonDocument.Parse(File.ReadAllText(run.Folder.RunJson));
            return doc.RootElement.TryGetProperty("scenarioSettings", out var settings)
                ? Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(run.Summary.Scenario + "\n" + settings.GetRawText())))[..16]
                : null;
        }
        catch (System.Text.Json.JsonException)
        {
            // A damaged run.json (RunData.Load has said so): no hash, the run is still recorded.
            return null;
        }
    }
}

/// <summary>
/// One topology of a recorded run: p50 and p99 as the mean over batches of interval histograms with a 95% t interval
/// (variation within the run only — between runs is wider), unplanned ends per 1,000 stream-hours with an exact
/// Poisson interval, the generator's send lag, the path fingerprint and the drift readings.
/// </summary>
public sealed record HistoryTopology
{
    public required string Topology { get; init; }

    public string? Address { get; init; }

    /// <summary>A short hash of the path's own fingerprint fields (docs/fingerprint.md); null when none was recorded.</summary>
    public string? PathFingerprint { get; init; }

    public double StreamHours { get; init; }

    public Interval? P50 { get; init; }

    public Interval? P99 { get; init; }

    public long UnplannedEnds { get; init; }

    /// <summary>Unplanned ends per 1,000 stream-hours.</summary>
    public Interval? UnplannedRate { get; init; }

    public double? SendLagP99 { get; init; }

    /// <summary>The generator did not keep up (its send lag p99 at or above the saturation line).</summary>
    public bool Saturated { get; init; }

    /// <summary>The drift inside the run, per figure: its trend and reading.</summary>
    public IReadOnlyList<DriftEntry> Drift { get; init; } = [];

    /// <summary>The drift in a few words: the figures that moved, else those shown stable, else "cannot tell".</summary>
    public string DriftSummary
    {
        get
        {
            var moved = Drift.Where(d => d.Trend is DriftTrend.Rising or DriftTrend.Falling).Select(d => d.Reading).ToList();
            var stable = Drift.Where(d => d.Trend == DriftTrend.Stable).Select(d => d.Figure).ToList();
            return moved.Count > 0 ? string.Join("; ", moved)
                : stable.Count > 0 ? $"stable: {string.Join(", ", stable)}"
                : Drift.Count > 0 ? "cannot tell" : "-";
        }
    }

    public static HistoryTopology From(RunData run, TopologySummary t)
    {
        ArgumentNullException.ThrowIfNull(run);
        ArgumentNullException.ThrowIfNull(t);
        var batches = Statistics.Batch([.. run.Rtt(t.Name).Select(l => l.Histogram)]);
        var unplanned = t.Outcomes.Where(kv => !EndCauses.IsPlanned(kv.Key)).Sum(kv => kv.Value);
        return new HistoryTopology
        {
            Topology = t.Name,
            Address = t.Address,
            PathFingerprint = t.Path is { IsEmpty: false } p ? Fingerprint(p) : null,
            StreamHours = t.StreamHours,
            P50 = OfBatches(batches, 50) ?? Interval.Point(t.LatencyMs.P50),
            P99 = OfBatches(batches, 99) ?? Interval.Point(t.LatencyMs.P99),
            UnplannedEnds = unplanned,
            UnplannedRate = t.StreamHours > 0 ? Poisson(unplanned, t.StreamHours) : null,
            SendLagP99 = t.SendLagMs.P99,
            Saturated = LoadGen.Results.Analysis.GeneratorHealth.Lateness(t) > 0,
            Drift = [.. t.Drift.Select(d => new DriftEntry(d.Figure, d.Trend, d.Reading))],
        };
    }

    /// <summary>A short, stable hash of a path's own fields and the set of values each showed (counts aside).</summary>
    public static string Fingerprint(PathSeen path)
    {
        ArgumentNullException.ThrowIfNull(path);
        var text = new StringBuilder();
        foreach (var field in path.Fields.Keys.Where(PathFields.IsIdentity).Order(StringComparer.Ordinal))
        {
            text.Append(field).Append('=').AppendJoin('|', path.Values(field).Order(StringComparer.Ordinal)).Append('\n');
        }

        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString())))[..12];
    }

    private static Interval? OfBatches(IReadOnlyList<HdrHistogram.HistogramBase> batches, double percentile)
    {
        var values = batches.Select(b => Statistics.Pct(b, percentile)).OfType<double>().ToList();
        if (values.Count < Statistics.MinBatches)
        {
            return null;
        }

        var mean = values.Average();
        var sd = Math.Sqrt(values.Sum(v => (v - mean) * (v - mean)) / (values.Count - 1));
        var h = Statistics.T(0.95, values.Count - 1) * Math.Max(sd, Statistics.Resolution(mean)) / Math.Sqrt(values.Count);
        // A latency is never below zero, whatever a symmetric interval says.
        return new Interval(Math.Round(mean, 3), Math.Round(Math.Max(0, mean - h), 3), Math.Round(mean + h, 3));
    }

    /// <summary>Garwood's exact 95% interval of a Poisson count, per 1,000 stream-hours.</summary>
    private static Interval Poisson(long ends, double streamHours)
    {
        var low = ends == 0 ? 0 : ChiSquared.InvCDF(2 * ends, 0.025) / 2;
        var high = ChiSquared.InvCDF((2 * ends) + 2, 0.975) / 2;
        double Per(double x) => Math.Round(x / streamHours * 1000, 3);
        return new Interval(Per(ends), Per(low), Per(high));
    }
}

/// <summary>A figure and its 95% interval (Low = High = Value when the run was too short for one).</summary>
public sealed record Interval(double Value, double Low, double High)
{
    public static Interval? Point(double? value) => value is { } v ? new Interval(v, v, v) : null;

    public override string ToString() => Low == High
        ? Show(Value)
        : $"{Show(Value)} [{Show(Low)}, {Show(High)}]";

    private static string Show(double x) => DriftResult.Number(x);
}

/// <summary>One figure's drift inside a recorded run.</summary>
public sealed record DriftEntry(string Figure, DriftTrend Trend, string Reading);

/// <summary>A run accepted as a baseline under a name, by whom and why.</summary>
public sealed record HistoryBaseline(string Name, string RunId, DateTimeOffset AcceptedAt, string By, string Why);
