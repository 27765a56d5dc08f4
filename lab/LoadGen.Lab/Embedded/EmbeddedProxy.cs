// Over 400 lines: one reason to change — the embedded .NET proxy's behaviour as a stand-in for ESP or the gateway (listeners, forwarding, and the Envoy knobs that cut streams); the knobs act inside the forwarding loop they share.
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http;
using System.Security.Cryptography.X509Certificates;
using LoadGen.Lab.Backend;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Yarp.ReverseProxy.Forwarder;

namespace LoadGen.Lab.Embedded;

/// <summary>What the embedded proxy did to streams, for tests and the lab's own report.</summary>
public sealed class EmbeddedProxyStats
{
    private long _proxied;
    private long _idleCuts;
    private long _durationCuts;
    private long _faultAborts;
    private long _faultDelays;
    private long _drainedConnections;

    public long Proxied => Interlocked.Read(ref _proxied);

    public long IdleCuts => Interlocked.Read(ref _idleCuts);

    public long DurationCuts => Interlocked.Read(ref _durationCuts);

    public long FaultAborts => Interlocked.Read(ref _faultAborts);

    public long FaultDelays => Interlocked.Read(ref _faultDelays);

    public long DrainedConnections => Interlocked.Read(ref _drainedConnections);

    internal void CountProxied() => Interlocked.Increment(ref _proxied);

    internal void CountIdleCut() => Interlocked.Increment(ref _idleCuts);

    internal void CountDurationCut() => Interlocked.Increment(ref _durationCuts);

    internal void CountFaultAbort() => Interlocked.Increment(ref _faultAborts);

    internal void CountFaultDelay() => Interlocked.Increment(ref _faultDelays);

    internal void CountDrained(int n) => Interlocked.Add(ref _drainedConnections, n);
}

/// <summary>
/// An HTTP/2 reverse proxy built on YARP's forwarder and Kestrel: TLS and/or h2c in, h2c out.
/// Adds what Envoy does to long-lived streams and HAProxy cannot: a per-stream idle cut, a maximum
/// stream duration, drain (GOAWAY now, close after N s) and fault rules — all changeable while it runs.
/// </summary>
public sealed class EmbeddedProxy : IAsyncDisposable
{
    /// <summary>RST_STREAM codes (RFC 9113 §7).</summary>
    private const int NoError = 0x0;
    private const int Cancel = 0x8;

    private static readonly TimeSpan SweepEvery = TimeSpan.FromMilliseconds(100);

    private readonly WebApplication _app;
    private readonly HttpMessageInvoker _upstreamClient;
    private readonly ConcurrentDictionary<ProxiedStream, byte> _streams = new();
    private readonly Timer _sweeper;
    private readonly LabControl _connections;
    private FaultRules _faults;
    private StreamLimits _limits;

    private EmbeddedProxy(EmbeddedProxyOptions options, WebApplication app, HttpMessageInvoker client, LabControl connections)
    {
        Options = options;
        _app = app;
        _upstreamClient = client;
        _connections = connections;
        _faults = options.Faults;
        _limits = new StreamLimits(options.StreamIdleTimeout, options.MaxStreamDuration, options.CutStyle);
        _sweeper = new Timer(_ => Sweep(), null, SweepEvery, SweepEvery);
    }

    public EmbeddedProxyOptions Options { get; }

    public EmbeddedProxyStats Stats { get; } = new();

    public Uri? TlsAddress { get; private set; }

    public Uri? H2cAddress { get; private set; }

    /// <summary>The HTTP/1.1 health check URL, when that listener is on.</summary>
    public Uri? HealthAddress { get; private set; }

    /// <summary>Current fault rules; replace them while streams run (a fault on cue).</summary>
    public FaultRules Faults
    {
        get => Volatile.Read(ref _faults);
        set => Volatile.Write(ref _faults, value ?? FaultRules.None);
    }

    /// <summary>Current idle and duration cuts; replace them while streams run (a config push on cue).</summary>
    public StreamLimits Limits
    {
        get => Volatile.Read(ref _limits);
        set => Volatile.Write(ref _limits, value ?? throw new ArgumentNullException(nameof(value)));
    }

    /// <summary>Streams being proxied right now.</summary>
    public int ActiveStreams => _streams.Count;

    public static string Describe(EmbeddedProxyOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var knobs = new List<string>();
        if (options.StreamIdleTimeout is { } idle)
        {
            knobs.Add($"stream idle {idle.TotalSeconds.ToString(CultureInfo.InvariantCulture)} s");
        }

        if (options.MaxStreamDuration is { } max)
        {
            knobs.Add($"max stream duration {max.TotalSeconds.ToString(CultureInfo.InvariantCulture)} s");
        }

        if (knobs.Count > 0)
        {
            knobs.Add($"cuts like {options.CutStyle}");
        }

        return $"embedded .NET proxy (YARP){(knobs.Count > 0 ? " [" + string.Join("; ", knobs) + "]" : "")}";
    }

    public static async Task<EmbeddedProxy> StartAsync(EmbeddedProxyOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.TlsPort >= 0 && (options.CertificateFile is null || options.KeyFile is null))
        {
            throw new ArgumentException("a TLS listener needs CertificateFile and KeyFile", nameof(options));
        }

        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { ContentRootPath = AppContext.BaseDirectory, Args = [] });
        builder.Logging.ClearProviders();
        builder.Services.AddHttpForwarder();
        var connections = new LabControl();
        var ip = IPAddress.Loopback;
        int Pick(int port) => port == 0 ? LabBackend.FreePort(ip) : port;
        var tlsPort = options.TlsPort >= 0 ? Pick(options.TlsPort) : -1;
        var h2cPort = options.H2cPort >= 0 ? Pick(options.H2cPort) : -1;
        var httpPort = options.HttpPort >= 0 ? Pick(options.HttpPort) : -1;
        X509Certificate2? certificate = null;
        if (tlsPort >= 0)
        {
            certificate = X509Certificate2.CreateFromPemFile(options.CertificateFile!, options.KeyFile);
        }

        builder.WebHost.ConfigureKestrel(k =>
        {
            k.AddServerHeader = false;
            k.Limits.MaxConcurrentConnections = null;
            k.Limits.MaxRequestBodySize = null;
            k.Limits.MinRequestBodyDataRate = null;
            k.Limits.MinResponseDataRate = null;
            k.Limits.KeepAliveTimeout = TimeSpan.FromDays(1);
            k.Limits.Http2.MaxStreamsPerConnection = options.MaxStreamsPerConnection;
            k.Limits.Http2.InitialConnectionWindowSize = 4 * 1024 * 1024;
            k.Limits.Http2.InitialStreamWindowSize = 1024 * 1024;
            k.Limits.Http2.KeepAlivePingDelay = TimeSpan.MaxValue;
            if (tlsPort >= 0)
            {
                k.Listen(ip, tlsPort, l =>
                {
                    l.Protocols = HttpProtocols.Http2;
                    l.Use(next => c => connections.TrackAsync(c, next));
                    l.UseHttps(certificate!);
                });
            }

            if (h2cPort >= 0)
            {
                k.Listen(ip, h2cPort, l =>
                {
                    l.Protocols = HttpProtocols.Http2;
                    l.Use(next => c => connections.TrackAsync(c, next));
                });
            }

            if (httpPort >= 0)
            {
                k.Listen(ip, httpPort, l => l.Protocols = HttpProtocols.Http1);
            }
        });

        var app = builder.Build();
        var client = new HttpMessageInvoker(new SocketsHttpHandler
        {
            UseProxy = false,
            AllowAutoRedirect = false,
            AutomaticDecompression = DecompressionMethods.None,
            UseCookies = false,
            EnableMultipleHttp2Connections = true,
            ConnectTimeout = TimeSpan.FromSeconds(5),
            PooledConnectionIdleTimeout = TimeSpan.FromMinutes(10),
            KeepAlivePingDelay = Timeout.InfiniteTimeSpan,
            ActivityHeadersPropagator = null,
        });
        var proxy = new EmbeddedProxy(options, app, client, connections);
        var forwarder = app.Services.GetRequiredService<IHttpForwarder>();
        var requestConfig = new ForwarderRequestConfig
        {
            Version = HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
            // YARP's own idle cut (100 s by default) is off: the proxy's StreamIdleTimeout decides.
            ActivityTimeout = TimeSpan.FromDays(1),
        };
        var upstream = options.Upstream.GetLeftPart(UriPartial.Authority);
        if (httpPort >= 0)
        {
            app.MapGet(options.HealthPath, () => Results.Text("ok\n")).RequireHost($"*:{httpPort}");
        }

        app.Map("/{**path}", context => proxy.ForwardAsync(context, forwarder, upstream, requestConfig));
        await app.StartAsync(cancellationToken);
        proxy.TlsAddress = tlsPort >= 0 ? new Uri($"https://127.0.0.1:{tlsPort}") : null;
        proxy.H2cAddress = h2cPort >= 0 ? new Uri($"http://127.0.0.1:{h2cPort}") : null;
        proxy.HealthAddress = httpPort >= 0 ? new Uri($"http://127.0.0.1:{httpPort}{options.HealthPath}") : null;
        return proxy;
    }

    /// <summary>
    /// Drain like an Istio gateway: GOAWAY(NO_ERROR) on every client connection now (open streams
    /// go on, new streams need a new connection), then drop the connections still open after
    /// <paramref name="closeAfter"/>. Returns the number of connections drained.
    /// </summary>
    public async Task<int> DrainAsync(TimeSpan closeAfter, CancellationToken cancellationToken = default)
    {
        var n = _connections.EndAllConnections(graceful: true);
        Stats.CountDrained(n);
        await Task.Delay(closeAfter, cancellationToken);
        _connections.EndAllConnections(graceful: false);
        return n;
    }

    private async Task ForwardAsync(HttpContext context, IHttpForwarder forwarder, string upstream, ForwarderRequestConfig config)
    {
        var faults = Faults;
        if (faults.AbortShare > 0 && Random.Shared.NextDouble() < faults.AbortShare)
        {
            Stats.CountFaultAbort();
            // Envoy's fault filter answers a gRPC request trailers-only.
            context.Response.StatusCode = StatusCodes.Status200OK;
            context.Response.ContentType = "application/grpc";
            context.Response.Headers["grpc-status"] = faults.AbortStatus.ToString(CultureInfo.InvariantCulture);
            context.Response.Headers["grpc-message"] = "fault filter abort";
            return;
        }

        if (faults.DelayShare > 0 && faults.Delay > TimeSpan.Zero && Random.Shared.NextDouble() < faults.DelayShare)
        {
            Stats.CountFaultDelay();
            try
            {
                await Task.Delay(faults.Delay, context.RequestAborted);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }

        if (Options.Via is { } via)
        {
            // After the upstream's headers are copied, just before they leave.
            context.Response.OnStarting(() =>
            {
                context.Response.Headers.Append("via", via);
                return Task.CompletedTask;
            });
        }

        var stream = new ProxiedStream(context, Stopwatch.GetTimestamp());
        context.Request.Body = new ActivityStream(context.Request.Body, stream);
        context.Response.Body = new ActivityStream(context.Response.Body, stream);
        _streams.TryAdd(stream, 0);
        Stats.CountProxied();
        try
        {
            await forwarder.SendAsync(context, upstream, _upstreamClient, config, HttpTransformer.Empty);
        }
        finally
        {
            _streams.TryRemove(stream, out _);
        }
    }

    private void Sweep()
    {
        var (idle, max, style) = Limits;
        if (idle is null && max is null)
        {
            return;
        }

        var now = Stopwatch.GetTimestamp();
        var code = style == StreamCutStyle.Envoy ? NoError : Cancel;
        foreach (var s in _streams.Keys)
        {
            if (s.Cut)
            {
                continue;
            }

            if (max is { } m && Stopwatch.GetElapsedTime(s.StartedAt, now) >= m)
            {
                s.Reset(code);
                Stats.CountDurationCut();
            }
            else if (idle is { } i && Stopwatch.GetElapsedTime(s.LastActivity, now) >= i)
            {
                s.Reset(code);
                Stats.CountIdleCut();
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _sweeper.DisposeAsync();
        using (var cts = new CancellationTokenSource(TimeSpan.FromSeconds(2)))
        {
            try
            {
                await _app.StopAsync(cts.Token);
            }
            catch (OperationCanceledException)
            {
                // Streams still open were aborted.
            }
        }

        await _app.DisposeAsync();
        _upstreamClient.Dispose();
    }

    /// <summary>One stream through the proxy, with the time of its last DATA either way.</summary>
    private sealed class ProxiedStream(HttpContext context, long startedAt)
    {
        private long _lastActivity = startedAt;
        private int _cut;

        public long StartedAt { get; } = startedAt;

        public long LastActivity => Interlocked.Read(ref _lastActivity);

        public bool Cut => Volatile.Read(ref _cut) == 1;

        public void Touch() => Interlocked.Exchange(ref _lastActivity, Stopwatch.GetTimestamp());

        public void Reset(int code)
        {
            if (Interlocked.Exchange(ref _cut, 1) == 0)
            {
                context.Features.Get<IHttpResetFeature>()?.Reset(code);
            }
        }
    }

    /// <summary>A pass-through body stream that marks the stream active on every read or write that moves bytes.</summary>
    private sealed class ActivityStream(Stream inner, ProxiedStream owner) : Stream
    {
        public override bool CanRead => inner.CanRead;

        public override bool CanSeek => false;

        public override bool CanWrite => inner.CanWrite;

        public override long Length => throw new NotSupportedException();

        public override long Position
        {
            get => throw new NotSupportedException();
            set => throw new NotSupportedException();
        }

        public override void Flush() => inner.Flush();

        public override Task FlushAsync(CancellationToken cancellationToken) => inner.FlushAsync(cancellationToken);

        public override int Read(byte[] buffer, int offset, int count)
        {
            var n = inner.Read(buffer, offset, count);
            if (n > 0)
            {
                owner.Touch();
            }

            return n;
        }

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            var n = await inner.ReadAsync(buffer, cancellationToken);
            if (n > 0)
            {
                owner.Touch();
            }

            return n;
        }

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override void Write(byte[] buffer, int offset, int count)
        {
            owner.Touch();
            inner.Write(buffer, offset, count);
        }

        public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            owner.Touch();
            await inner.WriteAsync(buffer, cancellationToken);
        }

        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();
    }
}
