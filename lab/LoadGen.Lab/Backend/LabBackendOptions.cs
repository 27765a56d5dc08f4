namespace LoadGen.Lab.Backend;

/// <summary>Settings of the lab backend. Ports 0 pick a free port.</summary>
public sealed record LabBackendOptions
{
    /// <summary>Address to bind; loopback by default.</summary>
    public string Host { get; init; } = "127.0.0.1";

    /// <summary>Plaintext HTTP/2 (h2c) port serving the gRPC lab service.</summary>
    public int GrpcPort { get; init; }

    /// <summary>HTTP/1.1 port serving the health check.</summary>
    public int HealthPort { get; init; }

    /// <summary>Health check path on the HTTP/1.1 port.</summary>
    public string HealthPath { get; init; } = "/healthz";

    /// <summary>
    /// Kestrel's per-connection stream limit. Kestrel's own default is 100; the lab raises it so the
    /// backend is never what caps a load test (the client's pool decides streams per connection).
    /// </summary>
    public int MaxStreamsPerConnection { get; init; } = 1000;

    /// <summary>
    /// A cut-off applied to every stream from its start, as a proxy's idle or age timeout would be;
    /// null for none. Lets the lab impose a timeout without the client asking for it.
    /// </summary>
    public LoadGen.Protos.Lab.Cutoff? StreamCutoff { get; init; }

    /// <summary>
    /// Serve the gRPC port over TLS (ALPN h2) instead of h2c; null for h2c. The backend then records
    /// the SNI each connection asked for and any client certificate (<see cref="LabBackendStats"/>).
    /// </summary>
    public LabBackendTls? Tls { get; init; }

    /// <summary>
    /// Ends every client connection this long after it opened, as gRPC servers in Go, C++ and Java do with
    /// MAX_CONNECTION_AGE: a GOAWAY first (no new streams; open ones go on), then after
    /// <see cref="MaxConnectionAgeGrace"/> the connection is closed with whatever streams are still open.
    /// Null: connections live forever.
    /// </summary>
    public TimeSpan? MaxConnectionAge { get; init; }

    /// <summary>MAX_CONNECTION_AGE_GRACE: how long open streams may go on after the GOAWAY before the connection is closed.</summary>
    public TimeSpan MaxConnectionAgeGrace { get; init; } = TimeSpan.FromSeconds(5);
}

/// <param name="CertificateFile">Server certificate (PEM).</param>
/// <param name="KeyFile">Its key (PEM).</param>
/// <param name="ClientCaFile">When set, a client certificate signed by this CA is required (mutual TLS).</param>
public sealed record LabBackendTls(string CertificateFile, string KeyFile, string? ClientCaFile = null);
