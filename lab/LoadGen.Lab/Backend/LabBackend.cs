using System.Net;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace LoadGen.Lab.Backend;

/// <summary>
/// The lab backend: a real Kestrel serving the lab gRPC service over h2c on one port and an
/// HTTP/1.1 health check on another. Runs in-process (tests, demo) or as `loadgen lab backend`.
/// </summary>
public sealed class LabBackend : IAsyncDisposable
{
    private readonly WebApplication _app;

    private LabBackend(WebApplication app, Uri grpcAddress, Uri healthAddress, LabBackendStats stats, LabControl control)
    {
        Control = control;
        _app = app;
        GrpcAddress = grpcAddress;
        HealthAddress = healthAddress;
        Stats = stats;
    }

    /// <summary>Where the health port serves <see cref="LabBackendStats.Snapshot"/> as JSON.</summary>
    public const string StatsPath = "/lab/stats";

    /// <summary>h2c address of the gRPC service, e.g. http://127.0.0.1:5000.</summary>
    public Uri GrpcAddress { get; }

    /// <summary>Full URL of the HTTP/1.1 health check.</summary>
    public Uri HealthAddress { get; }

    public LabBackendStats Stats { get; }

    /// <summary>Faults on cue: pause, reset every stream, end every connection.</summary>
    public LabControl Control { get; }

    /// <summary>Starts the backend and returns once both ports listen.</summary>
    public static async Task<LabBackend> StartAsync(LabBackendOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions
        {
            ContentRootPath = AppContext.BaseDirectory,
            Args = [],
        });
        builder.Logging.ClearProviders();
        builder.Logging.SetMinimumLevel(LogLevel.Warning);

        var stats = new LabBackendStats();
        var control = new LabControl(options.MaxConnectionAge, options.MaxConnectionAgeGrace);
        builder.Services.AddSingleton(stats);
        builder.Services.AddSingleton(control);
        builder.Services.AddSingleton(options);
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddGrpc(o =>
        {
            o.EnableDetailedErrors = true;
            o.MaxReceiveMessageSize = 16 * 1024 * 1024;
        });

        var ip = IPAddress.Parse(options.Host);
        var grpcPort = options.GrpcPort == 0 ? FreePort(ip) : options.GrpcPort;
        var healthPort = options.HealthPort == 0 ? FreePort(ip) : options.HealthPort;
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.AddServerHeader = false;
            var limits = k.Limits;
            limits.MaxConcurrentConnections = null;
            limits.MaxConcurrentUpgradedConnections = null;
            limits.MaxRequestBodySize = null;
            // Long-lived quiet streams must not be cut by Kestrel's data-rate guards.
            limits.MinRequestBodyDataRate = null;
            limits.MinResponseDataRate = null;
            limits.KeepAliveTimeout = TimeSpan.FromHours(24);
            limits.Http2.MaxStreamsPerConnection = options.MaxStreamsPerConnection;
            limits.Http2.InitialConnectionWindowSize = 4 * 1024 * 1024;
            limits.Http2.InitialStreamWindowSize = 1024 * 1024;
            limits.Http2.KeepAlivePingDelay = TimeSpan.MaxValue;
            k.Listen(ip, grpcPort, l =>
            {
                l.Protocols = HttpProtocols.Http2;
                if (options.Tls is { } tls)
                {
                    UseTls(l, tls, stats);
                }

                l.Use(next => connection => control.TrackAsync(connection, next));
            });
            k.Listen(ip, healthPort, l => l.Protocols = HttpProtocols.Http1);
        });

        var app = builder.Build();
        app.MapGrpcService<LabService>();
        app.MapGet(options.HealthPath, () => Results.Text("ok\n"));
        app.MapGet(StatsPath, () => Results.Json(stats.Snapshot()));

        await app.StartAsync(cancellationToken);

        var grpc = new Uri($"{(options.Tls is null ? "http" : "https")}://{FormatHost(ip)}:{grpcPort}");
        var health = new Uri($"http://{FormatHost(ip)}:{healthPort}{options.HealthPath}");
        return new LabBackend(app, grpc, health, stats, control);
    }

    private static void UseTls(ListenOptions listen, LabBackendTls tls, LabBackendStats stats)
    {
        var certificate = X509Certificate2.CreateFromPemFile(tls.CertificateFile, tls.KeyFile);
        X509Certificate2Collection? clientCa = null;
        if (tls.ClientCaFile is { } caFile)
        {
            clientCa = [];
            clientCa.ImportFromPemFile(caFile);
        }

        listen.UseHttps(new HttpsConnectionAdapterOptions
        {
            ServerCertificateSelector = (_, serverName) =>
            {
                stats.Saw("sni", serverName ?? "");
                return certificate;
            },
            ClientCertificateMode = clientCa is null ? ClientCertificateMode.NoCertificate : ClientCertificateMode.RequireCertificate,
            ClientCertificateValidation = clientCa is null ? null : (cert, _, _) =>
            {
                using var chain = new X509Chain();
                chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
                chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
                chain.ChainPolicy.CustomTrustStore.AddRange(clientCa);
                var ok = chain.Build(cert);
                if (ok)
                {
                    stats.Saw("client-cert", cert.Subject);
                }

                return ok;
            },
        });
    }

    /// <summary>
    /// A port free right now, for the caller to bind at once. Taken from 20000–32767, below
    /// Linux's ephemeral range (32768–60999): a port the OS hands out for port 0 could be taken
    /// between this check and the caller's bind by any outbound connection's local end (a CI run
    /// failed on exactly that), while ports here are handed out by nothing but this method. Each
    /// process walks the range from its own random start, so a run's labs and the loadgen
    /// processes its tests start do not walk into each other.
    /// </summary>
    public static int FreePort(IPAddress ip)
    {
        for (var attempt = 0; attempt < PortRangeSize; attempt++)
        {
            var port = PortRangeStart + (int)((uint)Interlocked.Increment(ref _nextPort) % PortRangeSize);
            if (CanBind(ip, port))
            {
                return port;
            }
        }

        throw new InvalidOperationException($"no free port in {PortRangeStart}–{PortRangeStart + PortRangeSize - 1} on {ip}");
    }

    private const int PortRangeStart = 20000;
    private const int PortRangeSize = 12768;
    private static int _nextPort = Random.Shared.Next(PortRangeSize);

    private static bool CanBind(IPAddress ip, int port)
    {
        try
        {
            using var listener = new System.Net.Sockets.TcpListener(ip, port);
            listener.Start();
            return true;
        }
        catch (System.Net.Sockets.SocketException)
        {
            return false;
        }
    }

    private static string FormatHost(IPAddress ip) =>
        ip.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? $"[{ip}]" : ip.ToString();

    /// <summary>Stops listening; open streams are aborted after a short grace.</summary>
    public async Task StopAsync(TimeSpan grace)
    {
        using var cts = new CancellationTokenSource(grace);
        await _app.StopAsync(cts.Token);
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync(TimeSpan.FromSeconds(2));
        await _app.DisposeAsync();
    }
}
