using LoadGen.Results;
using LoadGen.Results.Analysis;

namespace LoadGen.Core.Scenarios.Lab;

/// <summary>
/// ESP stand-in settings a scenario may set (section <c>lab.esp</c>) or change on cue (<c>set-esp</c>);
/// null leaves the lab's default (ESP v1's: see STREAM-FAULTS.md).
/// </summary>
public sealed record EspSettings
{
    public TimeSpan? ClientBodyTimeout { get; init; }

    public TimeSpan? KeepaliveTimeout { get; init; }

    public int? KeepaliveRequests { get; init; }

    public TimeSpan? GrpcReadTimeout { get; init; }

    public TimeSpan? GrpcSendTimeout { get; init; }

    public TimeSpan? WorkerShutdownTimeout { get; init; }

    public int? Http2MaxConcurrentStreams { get; init; }

    public bool IsEmpty => this == new EspSettings();

    public string Describe() => LabSettings.Describe(
        ("clientBodyTimeout", ClientBodyTimeout), ("keepaliveTimeout", KeepaliveTimeout), ("keepaliveRequests", KeepaliveRequests),
        ("grpcReadTimeout", GrpcReadTimeout), ("grpcSendTimeout", GrpcSendTimeout), ("workerShutdownTimeout", WorkerShutdownTimeout),
        ("http2MaxConcurrentStreams", Http2MaxConcurrentStreams));
}

/// <summary>
/// Gateway stand-in settings (section <c>lab.gateway</c>, or <c>set-gateway</c> on cue). Any of them
/// makes the lab use its embedded gateway, the one with Envoy's knobs.
/// </summary>
public sealed record GatewaySettings
{
    /// <summary>Envoy stream_idle_timeout; zero = off (Istio's default).</summary>
    public TimeSpan? StreamIdleTimeout { get; init; }

    /// <summary>Envoy max_stream_duration; zero = off.</summary>
    public TimeSpan? MaxStreamDuration { get; init; }

    /// <summary>"envoy" (RST NO_ERROR) or "yarp" (RST CANCEL).</summary>
    public string? CutStyle { get; init; }

    public double? AbortShare { get; init; }

    public int? AbortStatus { get; init; }

    public double? DelayShare { get; init; }

    public TimeSpan? Delay { get; init; }

    public bool IsEmpty => this == new GatewaySettings();

    public string Describe() => LabSettings.Describe(
        ("streamIdleTimeout", StreamIdleTimeout), ("maxStreamDuration", MaxStreamDuration), ("cutStyle", CutStyle),
        ("abortShare", AbortShare), ("abortStatus", AbortStatus), ("delayShare", DelayShare), ("delay", Delay));
}

/// <summary>
/// Lab backend settings (section <c>lab.backend</c>): connection aging as gRPC servers in Go, C++ and
/// Java do it (MAX_CONNECTION_AGE, then MAX_CONNECTION_AGE_GRACE).
/// </summary>
public sealed record BackendSettings
{
    /// <summary>GOAWAY this long after a connection opened; null: never.</summary>
    public TimeSpan? MaxConnectionAge { get; init; }

    /// <summary>Close the connection this long after its GOAWAY, streams open or not; null: the lab's 5 s.</summary>
    public TimeSpan? MaxConnectionAgeGrace { get; init; }

    public bool IsEmpty => this == new BackendSettings();

    public string Describe() => LabSettings.Describe(("maxConnectionAge", MaxConnectionAge), ("maxConnectionAgeGrace", MaxConnectionAgeGrace));
}

/// <summary>The scenario's <c>lab:</c> section: how lab:// topologies are built for this run.</summary>
public sealed record LabSettings
{
    public EspSettings Esp { get; init; } = new();

    public GatewaySettings Gateway { get; init; } = new();

    public BackendSettings Backend { get; init; } = new();

    internal static string Describe(params (string Name, object? Value)[] fields) => string.Join(", ", fields
        .Where(f => f.Value is not null)
        .Select(f => $"{f.Name} {(f.Value is TimeSpan t ? Durations.Format(t) : Convert.ToString(f.Value, System.Globalization.CultureInfo.InvariantCulture))}"));
}

public enum FaultKind
{
    ReloadEsp,
    RestartEsp,
    StopEsp,
    SetEsp,
    DrainGateway,
    SetGateway,
    KillBackend,
}

/// <summary>One fault on cue: at <see cref="At"/> after each target's (each round's) start, do <see cref="Kind"/>.</summary>
public sealed record FaultStep
{
    /// <summary>The names scenario files use.</summary>
    public static readonly IReadOnlyDictionary<string, FaultKind> Names = new Dictionary<string, FaultKind>(StringComparer.Ordinal)
    {
        ["reload-esp"] = FaultKind.ReloadEsp,
        ["restart-esp"] = FaultKind.RestartEsp,
        ["stop-esp"] = FaultKind.StopEsp,
        ["set-esp"] = FaultKind.SetEsp,
        ["drain-gateway"] = FaultKind.DrainGateway,
        ["set-gateway"] = FaultKind.SetGateway,
        ["kill-backend"] = FaultKind.KillBackend,
    };

    public required TimeSpan At { get; init; }

    public required FaultKind Kind { get; init; }

    /// <summary>stop-esp: how long NGINX stays frozen; kill-backend: how long the backend stays down.</summary>
    public TimeSpan For { get; init; }

    /// <summary>drain-gateway: GOAWAY now, connections still open are closed after this.</summary>
    public TimeSpan CloseAfter { get; init; }

    public EspSettings? Esp { get; init; }

    public GatewaySettings? Gateway { get; init; }

    public string Name => Names.First(kv => kv.Value == Kind).Key;

    public string Describe() => Kind switch
    {
        FaultKind.StopEsp or FaultKind.KillBackend => $"{Name} for {Durations.Format(For)}",
        FaultKind.DrainGateway => $"{Name} (close after {Durations.Format(CloseAfter)})",
        FaultKind.SetEsp => $"{Name} {Esp?.Describe()}",
        FaultKind.SetGateway => $"{Name} {Gateway?.Describe()}",
        _ => Name,
    };
}
