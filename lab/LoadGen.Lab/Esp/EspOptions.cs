namespace LoadGen.Lab.Esp;

/// <summary>
/// The ESP stand-in's settings, named after ESP v1's flags (see docs/stream-faults.md)
/// plus the NGINX pass-through settings the lab needs. Ports 0 pick a free port.
/// </summary>
public sealed record EspOptions
{
    /// <summary>--http_port: HTTP/1.1 (health checks).</summary>
    public int HttpPort { get; init; }

    /// <summary>--http2_port: plaintext HTTP/2 (h2c, prior knowledge) — where a TLS-terminating gateway forwards.</summary>
    public int Http2Port { get; init; }

    /// <summary>--ssl_port: TLS with HTTP/2 (ALPN h2) — the direct-TLS topology. Used when <see cref="CertificateFile"/> is set; 0 picks a free port.</summary>
    public int SslPort { get; init; }

    /// <summary>PEM certificate (and <see cref="KeyFile"/>) for the TLS port; null: no TLS port.</summary>
    public string? CertificateFile { get; init; }

    public string? KeyFile { get; init; }

    /// <summary>--backend: the gRPC backend, grpc://host:port.</summary>
    public required Uri Backend { get; init; }

    /// <summary>
    /// --healthz: the health check's <em>name</em>, served on every port as <c>location = /NAME</c>, the way ESP v1's
    /// start_esp writes it. A value with a leading slash becomes <c>//healthz</c>, which no request matches, on ESP
    /// as here: the stand-in accepts what ESP accepts and fails what ESP fails.
    /// </summary>
    public string Healthz { get; init; } = "healthz";

    /// <summary>The request path <see cref="Healthz"/> answers (what a probe must ask for).</summary>
    public string HealthPath => "/" + Healthz;

    /// <summary>--client_body_timeout: NGINX's quiet-client cut-off (NGINX and ESP default 60 s).</summary>
    public TimeSpan ClientBodyTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>--keepalive_timeout: idle connection close (NGINX default 75 s).</summary>
    public TimeSpan KeepaliveTimeout { get; init; } = TimeSpan.FromSeconds(75);

    /// <summary>
    /// grpc_read_timeout / grpc_send_timeout. ESP v1 proxies gRPC through libgrpc and imposes no
    /// upstream idle timeout, so the default is a day rather than stock NGINX's 60 s.
    /// </summary>
    public TimeSpan GrpcReadTimeout { get; init; } = TimeSpan.FromDays(1);

    public TimeSpan GrpcSendTimeout { get; init; } = TimeSpan.FromDays(1);

    /// <summary>keepalive_requests: streams per client connection before GOAWAY (NGINX default 1000).</summary>
    public int KeepaliveRequests { get; init; } = 1000;

    /// <summary>worker_shutdown_timeout: how long an old worker keeps streams after a reload; null = forever (NGINX default).</summary>
    public TimeSpan? WorkerShutdownTimeout { get; init; }

    /// <summary>http2_max_concurrent_streams (NGINX default 128).</summary>
    public int Http2MaxConcurrentStreams { get; init; } = 128;

    /// <summary>
    /// ESP's API-key check: when set, a request without this exact <c>x-api-key</c> header gets 401
    /// (the gRPC client sees <c>Unauthenticated</c>). Checked in memory through NGINX's auth_request, never written to disk.
    /// </summary>
    public string? ApiKey { get; init; }

    /// <summary>ESP's JWT check, simplified: when set, <c>authorization</c> must be exactly "Bearer {token}", else 401.</summary>
    public string? BearerToken { get; init; }
}
