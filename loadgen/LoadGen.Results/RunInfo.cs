using System.Globalization;
using System.Text.Json;

namespace LoadGen.Results;

/// <summary>run.json: what was run, where, with what. Written at the start and again at the end.</summary>
public sealed record RunInfo
{
    public required string RunId { get; init; }

    public required string Scenario { get; init; }

    public required string ScenarioSource { get; init; }

    public required ScenarioSettings ScenarioSettings { get; init; }

    public required IReadOnlyList<RunTarget> Targets { get; init; }

    public required string LoadGenVersion { get; init; }

    public required string Runtime { get; init; }

    public required string Host { get; init; }

    public required string Os { get; init; }

    public int Processors { get; init; } = Environment.ProcessorCount;

    public required DateTimeOffset StartedAt { get; init; }

    public DateTimeOffset? EndedAt { get; init; }

    /// <summary>Set at the end; missing in the folder of a run that was killed.</summary>
    public RunCompletion? Completion { get; init; }

    /// <summary>Set at the end when an abortOnFail threshold stopped the run.</summary>
    public ThresholdAbort? AbortedBy { get; init; }

    /// <summary>What a reader must not miss about how the run was made (summary.json repeats them).</summary>
    public IReadOnlyList<string> Warnings { get; init; } = [];

    /// <summary>Set when this folder holds one shard of a run split over processes (<c>loadgen run --shard i/N</c>); <c>loadgen merge</c> reads it.</summary>
    public ShardInfo? Shard { get; init; }

    /// <summary>Set on a folder made by <c>loadgen merge</c>: the shard folders it was made from.</summary>
    public IReadOnlyList<MergedShard>? MergedFrom { get; init; }

    /// <summary>How topologies of this run are compared (primary figures, margins, gate); defaults when missing.</summary>
    public ComparisonSettings? Comparison { get; init; }
}

/// <summary>
/// The scenario as run, as run.json records it. The sections a reader (a killed run's rebuild) needs
/// are typed; the population profile, message plan and connection pool are kept as the scenario
/// wrote them, for people.
/// </summary>
public sealed record ScenarioSettings
{
    /// <summary>The method every stream called and how replies were matched.</summary>
    public WorkloadSettings Workload { get; init; } = new(null, null);

    public JsonElement? Profile { get; init; }

    public JsonElement? Messages { get; init; }

    public JsonElement? Connections { get; init; }

    /// <summary>How often the run flushed an interval (TimeSpan's invariant form, "00:00:05").</summary>
    public string? ReportingInterval { get; init; }

    public string? CloseTimeout { get; init; }

    /// <summary>The warm-up before measuring (TimeSpan's invariant form), spelled <c>warmup</c> as the scenario key and the
    /// --warmup flag are. run.json files that spelled it <c>warmUp</c> still read: property names are read case-insensitively.</summary>
    [System.Text.Json.Serialization.JsonPropertyName("warmup")]
    public string? WarmUp { get; init; }

    /// <summary>The thresholds' expressions (see the threshold grammar), judged at the end.</summary>
    public IReadOnlyList<string> Thresholds { get; init; } = [];

    /// <summary>The message plan's interval (messages.interval), zero when it is not recorded.</summary>
    public TimeSpan MessageInterval() =>
        Messages is { ValueKind: JsonValueKind.Object } m && m.TryGetProperty("interval", out var iv) && iv.ValueKind == JsonValueKind.String
            && TimeSpan.TryParse(iv.GetString(), CultureInfo.InvariantCulture, out var parsed)
            ? parsed
            : TimeSpan.Zero;

    /// <summary>messages.schedule as run ("fixed", "poisson", "closed"); null when not recorded.</summary>
    public string? MessageSchedule() =>
        Messages is { ValueKind: JsonValueKind.Object } m && m.TryGetProperty("schedule", out var s) && s.ValueKind == JsonValueKind.String ? s.GetString() : null;

    /// <summary>An integer of the message plan as recorded (e.g. "maxInFlight"); null when missing.</summary>
    public int? MessageInt(string name) =>
        Messages is { ValueKind: JsonValueKind.Object } m && m.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number && v.TryGetInt32(out var n) ? n : null;

    /// <summary>A record of the scenario's sections as JSON (what run.json keeps of them).</summary>
    public static JsonElement Section<T>(T value) => JsonSerializer.SerializeToElement(value, RunSummary.JsonOptions);
}

/// <param name="Method">"package.Service/Method".</param>
/// <param name="Matching">How replies were matched to requests (ping-pong, by-field, count-only, the lab's sequence numbers).</param>
public sealed record WorkloadSettings(string? Method, string? Matching);

/// <summary>A target as run, with what stood behind a lab:// address.</summary>
/// <param name="Connection">How it was reached beyond its address (CA, SNI, metadata names); never a credential.</param>
public sealed record RunTarget(string Name, string Address, string? ResolvedAddress, string? Components, string? Connection = null)
{
    /// <summary>What the path announced on the wire (TLS, SETTINGS, header names …); set at the end of the run, null before or when nothing was read.</summary>
    public PathSeen? Path { get; init; }
}

/// <summary>
/// One shard of a run: which slice it ran, of which run and scenario, and when it started against
/// the shared start time. Shards of one run share <see cref="RunId"/> and <see cref="ScenarioHash"/>.
/// </summary>
/// <param name="Index">0 … Count − 1.</param>
/// <param name="RunId">The run the shards make together (each shard's folder is named after it).</param>
/// <param name="ScenarioHash">SHA-256 (first 16 hex digits) of the scenario as run: its settings and targets.</param>
/// <param name="StartAt">The shared wall-clock time every shard starts its phases at; null when none was given.</param>
/// <param name="StartLateS">How late this shard started its phases after <paramref name="StartAt"/> (0 when on time).</param>
public sealed record ShardInfo(int Index, int Count, string RunId, string ScenarioHash, DateTimeOffset? StartAt = null, double? StartLateS = null);

/// <summary>A shard folder a merged run was made from.</summary>
public sealed record MergedShard(int Index, string Folder, string Host, RunCompletion? Completion, double? StartLateS);
