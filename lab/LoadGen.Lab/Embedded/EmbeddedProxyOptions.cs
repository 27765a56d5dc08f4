namespace LoadGen.Lab.Embedded;

/// <summary>How a proxy resets a stream it cuts: the code the client then reads from the exception chain.</summary>
public enum StreamCutStyle
{
    /// <summary>Envoy / Istio: RST_STREAM NO_ERROR, which the .NET client reports as <c>Internal</c>.</summary>
    Envoy,

    /// <summary>YARP's own ActivityTimeout: RST_STREAM CANCEL → <c>Cancelled</c>.</summary>
    Yarp,
}

/// <summary>The embedded proxy's per-stream cuts: idle (no DATA either way) and age; null = off.</summary>
public sealed record StreamLimits(TimeSpan? StreamIdleTimeout, TimeSpan? MaxStreamDuration, StreamCutStyle CutStyle);

/// <summary>Istio-style fault rules for new streams (VirtualService <c>fault.abort</c> / <c>fault.delay</c>).</summary>
public sealed record FaultRules
{
    public static readonly FaultRules None = new();

    /// <summary>Share of new streams (0..1) answered at once with <see cref="AbortStatus"/> instead of being proxied.</summary>
    public double AbortShare { get; init; }

    /// <summary>The gRPC status code of an aborted stream (14 = Unavailable).</summary>
    public int AbortStatus { get; init; } = 14;

    /// <summary>Share of new streams (0..1) held for <see cref="Delay"/> before they are proxied.</summary>
    public double DelayShare { get; init; }

    public TimeSpan Delay { get; init; }
}

/// <summary>
/// The embedded .NET proxy (YARP): the gateway stand-in with the Envoy/Istio knobs HAProxy lacks,
/// and the fallback for the ESP stand-in when NGINX is missing. Every listener is on loopback;
/// ports 0 pick a free port, -1 turns a listener off.
/// </summary>
public sealed record EmbeddedProxyOptions
{
    /// <summary>Where streams go: the next hop's plaintext HTTP/2 (h2c) address.</summary>
    public required Uri Upstream { get; init; }

    /// <summary>TLS + HTTP/2 (ALPN h2) listener; needs <see cref="CertificateFile"/> and <see cref="KeyFile"/>.</summary>
    public int TlsPort { get; init; } = -1;

    public string? CertificateFile { get; init; }

    /// <summary>A Via header added to every answer (a gateway announces itself; the path fingerprint records it); null: none, as ESP adds none.</summary>
    public string? Via { get; init; }

    public string? KeyFile { get; init; }

    /// <summary>Plaintext HTTP/2 (prior knowledge) listener.</summary>
    public int H2cPort { get; init; } = -1;

    /// <summary>HTTP/1.1 listener answering <see cref="HealthPath"/> with 200 (ESP's --http_port).</summary>
    public int HttpPort { get; init; } = -1;

    public string HealthPath { get; init; } = "/healthz";

    /// <summary>Cut a stream with no DATA either way for this long (Envoy <c>stream_idle_timeout</c>); null = never, as on Istio's listeners.</summary>
    public TimeSpan? StreamIdleTimeout { get; init; }

    /// <summary>Cut a stream this old (Envoy <c>max_stream_duration</c>); null = never.</summary>
    public TimeSpan? MaxStreamDuration { get; init; }

    /// <summary>Which proxy's reset the idle and duration cuts imitate.</summary>
    public StreamCutStyle CutStyle { get; init; } = StreamCutStyle.Envoy;

    public FaultRules Faults { get; init; } = FaultRules.None;

    /// <summary>Streams per client connection the proxy allows (Envoy's default is 2^31-1; Istio's EDGE profile 100).</summary>
    public int MaxStreamsPerConnection { get; init; } = 1000;

    /// <summary>Shown in components lines, e.g. "gateway" or "esp".</summary>
    public string Role { get; init; } = "gateway";
}
