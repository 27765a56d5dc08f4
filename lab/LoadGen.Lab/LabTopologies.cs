using LoadGen.Lab.Backend;
using LoadGen.Lab.Embedded;
using LoadGen.Lab.Esp;
using LoadGen.Lab.Gateway;
using LoadGen.Lab.Tls;
using Microsoft.Extensions.Logging;

namespace LoadGen.Lab;

/// <summary>A lab topology as a client reaches it, and what stands behind it.</summary>
/// <param name="CaFile">The CA to trust for a TLS address; null for h2c.</param>
/// <param name="Components">Which parts are real binaries and which embedded, for run.json and reports.</param>
/// <param name="Fallbacks">Parts that should have been real binaries but are embedded stand-ins on this machine: say so loudly.</param>
public sealed record LabEndpoint(string Name, Uri Address, string? CaFile, string Components, IReadOnlyList<string> Fallbacks);

/// <summary>
/// Stands up the seed's topologies on loopback, each part once, on demand:
/// <list type="bullet">
/// <item><c>backend-h2c</c>: client → backend (h2c). The floor.</item>
/// <item><c>direct-tls</c>: client → ESP stand-in (NGINX, TLS + HTTP/2 on its ssl port) → backend.</item>
/// <item><c>gateway</c>: client → gateway stand-in (HAProxy or the embedded YARP gateway, TLS terminated) → ESP stand-in h2c port → backend.</item>
/// </list>
/// A part whose binary is missing comes up as the embedded .NET proxy, and the endpoint says so,
/// unless <see cref="LabBinaries.RequireVariable"/> is set (CI), where that is an error.
/// </summary>
public sealed class LabTopologies : IAsyncDisposable
{
    public static readonly IReadOnlyList<string> Names = ["backend-h2c", "direct-tls", "gateway"];

    private string BackendPart => BackendChild is null ? "backend: Kestrel (embedded)" : "backend: Kestrel (its own process)";
    private readonly SemaphoreSlim _lock = new(1, 1);
    private readonly LabOptions _options;
    private LabCertificates? _certs;
    private string? _espPart;
    private string? _espFallback;
    private string? _gatewayPart;
    private string? _gatewayFallback;

    public LabTopologies(LabOptions? options = null)
    {
        _options = options ?? new LabOptions();
    }

    /// <summary>The backend when it runs in this process.</summary>
    public LabBackend? Backend { get; private set; }

    /// <summary>The backend when it runs as its own process (<see cref="LabOptions.BackendCommand"/>).</summary>
    public LabBackendProcess? BackendChild { get; private set; }

    private Uri BackendAddress => BackendChild?.GrpcAddress ?? Backend!.GrpcAddress;

    /// <summary>What the backend has seen so far, wherever it runs; null before it is up (or when it cannot be asked).</summary>
    public async Task<LabBackendSnapshot?> BackendStatsAsync(CancellationToken cancellationToken = default) =>
        BackendChild is { } child ? await child.StatsAsync(cancellationToken) : Backend?.Stats.Snapshot();

    /// <summary>The ESP stand-in when it is real NGINX.</summary>
    public EspStandIn? Esp { get; private set; }

    /// <summary>The ESP stand-in when it is the embedded proxy.</summary>
    public EmbeddedProxy? EmbeddedEsp { get; private set; }

    public HaproxyGateway? Haproxy { get; private set; }

    /// <summary>The gateway stand-in when it is the embedded proxy (the one with idle, duration, drain and fault knobs).</summary>
    public EmbeddedProxy? EmbeddedGateway { get; private set; }

    /// <summary>Ids of the real proxies' processes (NGINX master, HAProxy) this lab started.</summary>
    public IReadOnlyList<int> ChildProcessIds => new[] { Esp?.ProcessId, Haproxy?.ProcessId, BackendChild?.ProcessId }.OfType<int>().ToList();

    /// <summary>The CA clients trust for the lab's TLS ports, once one is up.</summary>
    public string? CaFile => _certs?.CaFile;

    public async Task<LabEndpoint> EnsureAsync(string name, CancellationToken cancellationToken = default)
    {
        if (!Names.Contains(name))
        {
            throw new ArgumentException($"lab://{name} is not a lab topology (known: {string.Join(", ", Names)})", nameof(name));
        }

        await _lock.WaitAsync(cancellationToken);
        try
        {
            if (Backend is null && BackendChild is null)
            {
                if (_options.BackendCommand is { } command)
                {
                    BackendChild = await LabBackendProcess.StartAsync(command, _options.Backend, cancellationToken);
                }
                else
                {
                    Backend = await LabBackend.StartAsync(_options.Backend, cancellationToken);
                }
            }

            if (name == "backend-h2c")
            {
                return new LabEndpoint(name, BackendAddress, null, BackendPart, []);
            }

            _certs ??= LabCertificates.Create(LabChildren.CreateFolder("tls"));
            await EnsureEspAsync(cancellationToken);
            if (name == "direct-tls")
            {
                var address = Esp?.SslAddress ?? EmbeddedEsp!.TlsAddress!;
                return new LabEndpoint(name, address, _certs.CaFile, $"{_espPart}, TLS on its ssl port → {BackendPart}", Fallbacks(_espFallback));
            }

            await EnsureGatewayAsync(cancellationToken);
            var gateway = Haproxy?.Address ?? EmbeddedGateway!.TlsAddress!;
            return new LabEndpoint(name, gateway, _certs.CaFile,
                $"{_gatewayPart}, TLS terminated → {_espPart}, h2c port → {BackendPart}", Fallbacks(_gatewayFallback, _espFallback));
        }
        finally
        {
            _lock.Release();
        }
    }

    /// <summary>
    /// Kills the backend (every stream and connection dropped, ports closed), keeps it down for
    /// <paramref name="down"/>, then starts a fresh one on the same ports.
    /// </summary>
    public async Task<string> KillBackendAsync(TimeSpan down, CancellationToken cancellationToken = default)
    {
        if (BackendChild is { } child)
        {
            return await child.KillAndRestartAsync(down, cancellationToken);
        }

        var old = Backend ?? throw new InvalidOperationException("the lab backend is not up");
        var ports = (Grpc: old.GrpcAddress.Port, Health: new Uri(old.HealthAddress.GetLeftPart(UriPartial.Authority)).Port);
        // As a crash: every TCP connection dropped at once, then the ports close.
        var connections = old.Control.EndAllConnections(graceful: false);
        await old.StopAsync(TimeSpan.Zero);
        await old.DisposeAsync();
        await Task.Delay(down, cancellationToken);
        Backend = await LabBackend.StartAsync(_options.Backend with { GrpcPort = ports.Grpc, HealthPort = ports.Health }, cancellationToken);
        return $"backend killed ({connections} connections dropped), down {down.TotalSeconds:0.###} s, back on port {ports.Grpc}";
    }

    /// <summary>The ESP stand-in's h2c address (where the gateway forwards), once it is up.</summary>
    public Uri? EspH2cAddress => Esp?.Http2Address ?? EmbeddedEsp?.H2cAddress;

    /// <summary>The ESP stand-in's HTTP/1.1 health check, once it is up.</summary>
    public Uri? EspHealthAddress => Esp?.HealthAddress(_options.Backend.HealthPath) ?? EmbeddedEsp?.HealthAddress;

    private static string[] Fallbacks(params string?[] parts) => parts.OfType<string>().ToArray();

    private async Task EnsureEspAsync(CancellationToken ct)
    {
        if (Esp is not null || EmbeddedEsp is not null)
        {
            return;
        }

        var nginx = EspStandIn.FindBinary();
        if (Choose(_options.Esp, nginx is not null, "the ESP stand-in needs NGINX: apt-get install nginx-light (or set LOADGEN_NGINX)"))
        {
            var options = new EspOptions
            {
                Backend = new Uri($"grpc://{BackendAddress.Authority}"),
                CertificateFile = _certs!.ServerCertificateFile,
                KeyFile = _certs.ServerKeyFile,
                // ESP's --healthz takes the name, not the path.
                Healthz = _options.Backend.HealthPath.TrimStart('/'),
            };
            options = _options.ConfigureEsp?.Invoke(options) ?? options;
            Esp = await EspStandIn.StartAsync(options with
            {
                Backend = new Uri($"grpc://{BackendAddress.Authority}"),
                CertificateFile = _certs.ServerCertificateFile,
                KeyFile = _certs.ServerKeyFile,
            }, ct);
            _espPart = $"esp: {EspStandIn.Version(nginx!).Replace("nginx version: ", "", StringComparison.Ordinal)} (real binary)";
            LabLog.ProcessStarted(Log, "ESP stand-in", _espPart, Esp.ProcessId, Esp.Prefix);
            return;
        }

        EmbeddedEsp = await EmbeddedProxy.StartAsync(new EmbeddedProxyOptions
        {
            Upstream = BackendAddress,
            TlsPort = 0,
            CertificateFile = _certs!.ServerCertificateFile,
            KeyFile = _certs.ServerKeyFile,
            H2cPort = 0,
            HttpPort = 0,
            HealthPath = _options.Backend.HealthPath,
            Role = "esp",
        }, ct);
        _espPart = "esp: embedded .NET proxy (YARP)";
        if (_options.Esp == LabPart.Auto)
        {
            _espPart += " — FALLBACK, NGINX not found";
            _espFallback = "ESP stand-in is the embedded .NET proxy, not NGINX (not installed): NGINX's timeouts and limits are absent";
            LabLog.Fallback(Log, _espFallback);
        }

        LabLog.EmbeddedStarted(Log, "ESP stand-in", _espPart);
    }

    private async Task EnsureGatewayAsync(CancellationToken ct)
    {
        if (Haproxy is not null || EmbeddedGateway is not null)
        {
            return;
        }

        var haproxy = HaproxyGateway.FindBinary();
        if (_options.Gateway == LabPart.Real && _options.GatewayNeedsEnvoyKnobs)
        {
            throw new ArgumentException("the gateway settings asked for (stream idle timeout, max stream duration, fault rules) exist only on the embedded gateway; HAProxy was asked for");
        }

        // Real HAProxy in front of the embedded ESP refuses every stream (REFUSED_STREAM, measured): a lab never builds
        // a topology that cannot work, so with the ESP embedded the gateway is embedded too, and says why.
        if (EmbeddedEsp is not null && _options.Gateway == LabPart.Real)
        {
            throw new LabComponentMissingException(
                "HAProxy was asked for as the gateway stand-in, but the ESP stand-in behind it is the embedded .NET proxy " +
                "(NGINX is not installed, or the embedded ESP was asked for), and HAProxy in front of the embedded ESP refuses every stream: " +
                "apt-get install nginx-light (or set LOADGEN_NGINX), or ask for the embedded gateway.");
        }

        var realBehindEmbeddedEsp = EmbeddedEsp is not null && _options.Gateway == LabPart.Auto && !_options.GatewayNeedsEnvoyKnobs && haproxy is not null;
        var wantReal = (_options.Gateway == LabPart.Real || (_options.Gateway == LabPart.Auto && !_options.GatewayNeedsEnvoyKnobs)) && !realBehindEmbeddedEsp;
        if (wantReal && Choose(_options.Gateway, haproxy is not null, "the gateway stand-in needs HAProxy: apt-get install haproxy (or set LOADGEN_HAPROXY)"))
        {
            Haproxy = await HaproxyGateway.StartAsync(EspH2cAddress!, _certs!.ServerBundleFile, cancellationToken: ct);
            _gatewayPart = $"gateway: {HaproxyGateway.Version(haproxy!)} (real binary)";
            LabLog.ProcessStarted(Log, "gateway stand-in", _gatewayPart, Haproxy.ProcessId, Haproxy.Folder);
            return;
        }

        var options = new EmbeddedProxyOptions
        {
            Upstream = EspH2cAddress!,
            TlsPort = 0,
            CertificateFile = _certs!.ServerCertificateFile,
            KeyFile = _certs.ServerKeyFile,
            Via = "2 loadgen-lab-gateway (embedded)",
            StreamIdleTimeout = _options.GatewayStreamIdleTimeout,
            MaxStreamDuration = _options.GatewayMaxStreamDuration,
            CutStyle = _options.GatewayCutStyle,
            Faults = _options.GatewayFaults,
        };
        EmbeddedGateway = await EmbeddedProxy.StartAsync(options, ct);
        _gatewayPart = $"gateway: {EmbeddedProxy.Describe(options)}";
        if (wantReal || realBehindEmbeddedEsp)
        {
            _gatewayPart += realBehindEmbeddedEsp ? " — FALLBACK, HAProxy found but the ESP stand-in is embedded" : " — FALLBACK, HAProxy not found";
            _gatewayFallback = realBehindEmbeddedEsp
                ? "gateway stand-in is the embedded .NET proxy, not HAProxy: HAProxy is installed, but in front of the embedded ESP stand-in (NGINX not installed) it refuses every stream, so the lab does not build that mix"
                : "gateway stand-in is the embedded .NET proxy, not HAProxy (not installed)";
            LabLog.Fallback(Log, _gatewayFallback);
        }
    }

    /// <summary>True: use the real binary. Throws where the real one is demanded (by option or by CI's variable) but missing.</summary>
    private static bool Choose(LabPart part, bool present, string missing)
    {
        if (part == LabPart.Embedded)
        {
            return false;
        }

        if (present)
        {
            return true;
        }

        if (part == LabPart.Real || LabBinaries.Required)
        {
            throw new LabComponentMissingException($"{missing}; {(part == LabPart.Real ? "the real binary was asked for" : $"{LabBinaries.RequireVariable} is set, so the embedded fallback is not allowed")}.");
        }

        return false;
    }

    private ILogger Log =>
        (ILogger?)_options.Logs?.CreateLogger<LabTopologies>() ?? Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance;

    public async ValueTask DisposeAsync()
    {
        LabLog.Stopping(Log, ChildProcessIds.Count == 0 ? "no child processes" : $"child pids {string.Join(", ", ChildProcessIds)}");
        if (Haproxy is not null)
        {
            await Haproxy.DisposeAsync();
        }

        if (EmbeddedGateway is not null)
        {
            await EmbeddedGateway.DisposeAsync();
        }

        if (Esp is not null)
        {
            await Esp.DisposeAsync();
        }

        if (EmbeddedEsp is not null)
        {
            await EmbeddedEsp.DisposeAsync();
        }

        if (Backend is not null)
        {
            await Backend.DisposeAsync();
        }

        if (BackendChild is not null)
        {
            await BackendChild.DisposeAsync();
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
