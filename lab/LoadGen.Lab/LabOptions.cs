using LoadGen.Lab.Backend;
using LoadGen.Lab.Embedded;
using LoadGen.Lab.Esp;

namespace LoadGen.Lab;

/// <summary>Which implementation stands in for a proxy.</summary>
public enum LabPart
{
    /// <summary>The real binary when installed, else the embedded .NET proxy (said loudly) — unless binaries are required.</summary>
    Auto,

    /// <summary>The real binary (NGINX, HAProxy); missing is an error.</summary>
    Real,

    /// <summary>The embedded .NET proxy (YARP).</summary>
    Embedded,
}

/// <summary>How the lab's topologies are built. The defaults imitate the seed: ESP v1 and an Istio gateway with stock settings.</summary>
public sealed record LabOptions
{
    public LabPart Esp { get; init; } = LabPart.Auto;

    /// <summary>
    /// Auto picks HAProxy unless a knob only the embedded gateway has is set
    /// (<see cref="GatewayStreamIdleTimeout"/>, <see cref="GatewayMaxStreamDuration"/>, <see cref="GatewayFaults"/>).
    /// </summary>
    public LabPart Gateway { get; init; } = LabPart.Auto;

    public LabBackendOptions Backend { get; init; } = new();

    /// <summary>
    /// How to start LoadGen itself (the apphost, or the dotnet host and loadgen.dll) to run the backend as its own
    /// process (<see cref="LabBackendProcess"/>), so its work and GC are not the generator's send lag; null runs it in
    /// this process (tests that read its counters directly, the bench's in-process cases).
    /// </summary>
    public IReadOnlyList<string>? BackendCommand { get; init; }

    /// <summary>Changes to the ESP stand-in's settings (timeouts, stream caps); ports, backend and certificates are the lab's.</summary>
    public Func<EspOptions, EspOptions>? ConfigureEsp { get; init; }

    public TimeSpan? GatewayStreamIdleTimeout { get; init; }

    public TimeSpan? GatewayMaxStreamDuration { get; init; }

    public StreamCutStyle GatewayCutStyle { get; init; } = StreamCutStyle.Envoy;

    public FaultRules GatewayFaults { get; init; } = FaultRules.None;

    /// <summary>Use the embedded gateway even with no knob set now (settings will change on cue).</summary>
    public bool GatewayForceEmbedded { get; init; }

    /// <summary>Where the lab's events go (loadgen.log when run from the CLI); nowhere when null.</summary>
    public Microsoft.Extensions.Logging.ILoggerFactory? Logs { get; init; }

    internal bool GatewayNeedsEnvoyKnobs =>
        GatewayForceEmbedded || GatewayStreamIdleTimeout is not null || GatewayMaxStreamDuration is not null || GatewayFaults != FaultRules.None;
}
