using LoadGen.Lab.Backend;
using LoadGen.Lab.Esp;
using LoadGen.Lab.Gateway;
using LoadGen.Lab.Tls;

namespace LoadGen.Lab;

/// <summary>A lab topology as a client reaches it, and what stands behind it.</summary>
/// <param name="CaFile">The CA to trust for a TLS address; null for h2c.</param>
/// <param name="Components">Which parts are real binaries and which embedded, for run.json and reports.</param>
public sealed record LabEndpoint(string Name, Uri Address, string? CaFile, string Components);

/// <summary>
/// Stands up the seed's topologies on loopback, each part once, on demand:
/// <list type="bullet">
/// <item><c>backend-h2c</c>: client → backend (h2c). The floor.</item>
/// <item><c>direct-tls</c>: client → ESP stand-in (NGINX, TLS + HTTP/2 on its ssl port) → backend.</item>
/// <item><c>gateway</c>: client → gateway stand-in (HAProxy, TLS terminated) → ESP stand-in h2c port → backend.</item>
/// </list>
/// </summary>
public sealed class LabTopologies : IAsyncDisposable
{
    public static readonly IReadOnlyList<string> Names = ["backend-h2c", "direct-tls", "gateway"];

    private readonly SemaphoreSlim _lock = new(1, 1);
    private LabBackend? _backend;
    private LabCertificates? _certs;
    private EspStandIn? _esp;
    private HaproxyGateway? _gateway;

    public LabBackend? Backend => _backend;

    public EspStandIn? Esp => _esp;

    public async Task<LabEndpoint> EnsureAsync(string name, CancellationToken cancellationToken = default)
    {
        await _lock.WaitAsync(cancellationToken);
        try
        {
            _backend ??= await LabBackend.StartAsync(new LabBackendOptions(), cancellationToken);
            const string backendPart = "backend: Kestrel (embedded)";
            if (name == "backend-h2c")
            {
                return new LabEndpoint(name, _backend.GrpcAddress, null, backendPart);
            }

            var nginx = EspStandIn.FindBinary() ?? throw new LabComponentMissingException(
                $"lab://{name} needs NGINX for its ESP stand-in: apt-get install nginx-light (or set LOADGEN_NGINX). The embedded fallback proxy is not built yet.");
            _certs ??= LabCertificates.Create(Directory.CreateTempSubdirectory("loadgen-tls-").FullName);
            _esp ??= await EspStandIn.StartAsync(new EspOptions
            {
                Backend = new Uri($"grpc://{_backend.GrpcAddress.Authority}"),
                CertificateFile = _certs.ServerCertificateFile,
                KeyFile = _certs.ServerKeyFile,
            }, cancellationToken);
            var espPart = $"esp: {EspStandIn.Version(nginx).Replace("nginx version: ", "", StringComparison.Ordinal)} (real binary)";
            if (name == "direct-tls")
            {
                return new LabEndpoint(name, _esp.SslAddress, _certs.CaFile, $"{espPart}, TLS on its ssl port → {backendPart}");
            }

            if (name == "gateway")
            {
                var haproxy = HaproxyGateway.FindBinary() ?? throw new LabComponentMissingException(
                    "lab://gateway needs HAProxy for its TLS gateway stand-in: apt-get install haproxy (or set LOADGEN_HAPROXY). The embedded fallback gateway is not built yet.");
                _gateway ??= await HaproxyGateway.StartAsync(_esp.Http2Address, _certs.ServerBundleFile, cancellationToken: cancellationToken);
                return new LabEndpoint(name, _gateway.Address, _certs.CaFile,
                    $"gateway: {HaproxyGateway.Version(haproxy)} (real binary), TLS terminated → {espPart}, h2c port → {backendPart}");
            }

            throw new ArgumentException($"lab://{name} is not a lab topology (known: {string.Join(", ", Names)})", nameof(name));
        }
        finally
        {
            _lock.Release();
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_gateway is not null)
        {
            await _gateway.DisposeAsync();
        }

        if (_esp is not null)
        {
            await _esp.DisposeAsync();
        }

        if (_backend is not null)
        {
            await _backend.DisposeAsync();
        }

        if (_certs is not null)
        {
            Directory.Delete(_certs.Folder, recursive: true);
        }

        _lock.Dispose();
    }
}

/// <summary>A lab topology needs a binary this machine does not have.</summary>
public sealed class LabComponentMissingException : Exception
{
    public LabComponentMissingException()
    {
    }

    public LabComponentMissingException(string message)
        : base(message)
    {
    }

    public LabComponentMissingException(string message, Exception inner)
        : base(message, inner)
    {
    }
}
