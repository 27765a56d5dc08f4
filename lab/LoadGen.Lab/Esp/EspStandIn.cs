using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;
using LoadGen.Lab.Backend;

namespace LoadGen.Lab.Esp;

/// <summary>
/// The ESP stand-in: a real NGINX (Debian 12 ships 1.22, the version whose h2c port cannot serve
/// HTTP/1.1) started as a child process with its own prefix and generated config, in front of the
/// lab backend. ESP's own auth and config plumbing are not imitated; its proxying is.
/// </summary>
public sealed class EspStandIn : IAsyncDisposable
{
    private readonly string _nginx;
    private readonly CredentialCheck? _credentials;
    private Process _process;

    private EspStandIn(Process process, string nginx, string prefix, int httpPort, int http2Port, int sslPort, EspOptions options, string config, CredentialCheck? credentials)
    {
        _credentials = credentials;
        SslPort = sslPort;
        _process = process;
        _nginx = nginx;
        Prefix = prefix;
        HttpPort = httpPort;
        Http2Port = http2Port;
        Options = options;
        Config = config;
    }

    /// <summary>The settings in force (changed by <see cref="ReconfigureAsync"/>).</summary>
    public EspOptions Options { get; private set; }

    /// <summary>The child process's id (NGINX's master), for leftover checks.</summary>
    public int ProcessId => _process.Id;

    /// <summary>The folder holding nginx.conf, error.log and the pid file.</summary>
    public string Prefix { get; }

    public int HttpPort { get; }

    public int Http2Port { get; }

    /// <summary>The TLS port; 0 when the stand-in has none.</summary>
    public int SslPort { get; }

    public Uri SslAddress => new($"https://127.0.0.1:{SslPort}");

    /// <summary>The generated nginx.conf, for the run folder and for people.</summary>
    public string Config { get; private set; }

    public Uri Http2Address => new($"http://127.0.0.1:{Http2Port}");

    public Uri HealthAddress(string path) => new($"http://127.0.0.1:{HttpPort}{path}");

    public string ErrorLog => File.Exists(Path.Combine(Prefix, "error.log")) ? File.ReadAllText(Path.Combine(Prefix, "error.log")) : "";

    /// <summary>Where NGINX is: $LOADGEN_NGINX, /usr/sbin/nginx, or on PATH; null when missing.</summary>
    public static string? FindBinary() => LabBinaries.Find("LOADGEN_NGINX", "nginx");

    /// <summary>NGINX's version line, e.g. "nginx version: nginx/1.22.1".</summary>
    public static string Version(string binary)
    {
        using var p = Process.Start(new ProcessStartInfo(binary, "-v") { RedirectStandardError = true, UseShellExecute = false })!;
        var text = p.StandardError.ReadToEnd().Trim();
        p.WaitForExit();
        return text;
    }

    public static async Task<EspStandIn> StartAsync(EspOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        var nginx = FindBinary() ?? throw new FileNotFoundException("NGINX is not installed (apt-get install nginx-light), and LOADGEN_NGINX does not name it.");
        var prefix = LabChildren.CreateFolder("esp");
        foreach (var d in new[] { "tmp/body", "tmp/proxy", "tmp/fastcgi", "tmp/uwsgi", "tmp/scgi" })
        {
            // Workers run as an unprivileged user when NGINX is started as root.
            var dir = Directory.CreateDirectory(Path.Combine(prefix, d));
            if (!OperatingSystem.IsWindows())
            {
                File.SetUnixFileMode(dir.FullName, (UnixFileMode)0x1FF);
            }
        }

        var httpPort = options.HttpPort == 0 ? LabBackend.FreePort(IPAddress.Loopback) : options.HttpPort;
        var http2Port = options.Http2Port == 0 ? LabBackend.FreePort(IPAddress.Loopback) : options.Http2Port;
        var sslPort = options.CertificateFile is null ? 0 : options.SslPort == 0 ? LabBackend.FreePort(IPAddress.Loopback) : options.SslPort;
        // The check reads the options in force at each request: a reconfiguration's new key applies at once.
        EspStandIn? esp = null;
        var credentials = options.ApiKey is null && options.BearerToken is null
            ? null
            : await CredentialCheck.StartAsync(() => esp?.Options ?? options, cancellationToken);
        var config = Render(options, prefix, httpPort, http2Port, sslPort, credentials?.Address);
        await File.WriteAllTextAsync(Path.Combine(prefix, "nginx.conf"), config, cancellationToken);
        esp = new EspStandIn(Launch(nginx, prefix), nginx, prefix, httpPort, http2Port, sslPort, options, config, credentials);
        await esp.WaitListeningAsync(cancellationToken);
        return esp;
    }

    private static Process Launch(string nginx, string prefix) =>
        LabChildren.Start(nginx, ["-p", prefix, "-c", "nginx.conf", "-e", "error.log"], prefix);

    private Task WaitListeningAsync(CancellationToken ct)
    {
        int[] ports = SslPort == 0 ? [Http2Port, HttpPort] : [Http2Port, HttpPort, SslPort];
        return LabBinaries.WaitListeningAsync(_process, "NGINX", ports, () => ErrorLog, ct);
    }

    /// <summary>
    /// Changes settings on the fly, as an ESP rollout does: rewrites nginx.conf (same ports, backend and
    /// certificates) and reloads. Open streams stay on the old worker (see <see cref="ReloadAsync"/>).
    /// </summary>
    public async Task ReconfigureAsync(Func<EspOptions, EspOptions> change)
    {
        ArgumentNullException.ThrowIfNull(change);
        var next = change(Options) with { Backend = Options.Backend, CertificateFile = Options.CertificateFile, KeyFile = Options.KeyFile };
        if (_credentials is null && (next.ApiKey is not null || next.BearerToken is not null))
        {
            throw new InvalidOperationException("this ESP stand-in was started without a credential check; start it with ApiKey or BearerToken to change them later");
        }

        var config = Render(next, Prefix, HttpPort, Http2Port, SslPort, _credentials?.Address);
        await File.WriteAllTextAsync(Path.Combine(Prefix, "nginx.conf"), config);
        (Options, Config) = (next, config);
        await ReloadAsync();
    }

    /// <summary>
    /// A hard restart, as a crashed or rescheduled proxy: SIGTERM (NGINX's fast shutdown: every
    /// connection closes at once), then a new NGINX on the same ports.
    /// </summary>
    public async Task RestartAsync(CancellationToken cancellationToken = default)
    {
        ProcessSignals.Send(_process.Id, ProcessSignals.SigTerm);
        await LabBinaries.ExitOrKillAsync(_process, TimeSpan.FromSeconds(5), CancellationToken.None);
        _process.Dispose();
        _process = Launch(_nginx, Prefix);
        await WaitListeningAsync(cancellationToken);
    }

    /// <summary>SIGSTOP the master and its workers for <paramref name="duration"/>, then SIGCONT: a silent black hole.</summary>
    public Task FreezeAsync(TimeSpan duration, CancellationToken cancellationToken = default) =>
        ProcessSignals.FreezeAsync(_process.Id, duration, cancellationToken);

    /// <summary>`nginx -s reload`: new workers take new streams; old ones keep theirs until worker_shutdown_timeout.</summary>
    public Task ReloadAsync() => SignalAsync("reload");

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            await SignalAsync("quit");
            await LabBinaries.ExitOrKillAsync(_process, TimeSpan.FromSeconds(3));
        }

        _process.Dispose();
        if (_credentials is not null)
        {
            await _credentials.DisposeAsync();
        }

        try
        {
            Directory.Delete(Prefix, recursive: true);
        }
        catch (IOException)
        {
            // A worker still closing its log: the temp folder is left for the OS to clean.
        }
    }

    /// <param name="credentials">Where NGINX's auth_request asks whether a stream's credentials are the wanted ones; null = no check.</param>
    internal static string Render(EspOptions o, string prefix, int httpPort, int http2Port, int sslPort, Uri? credentials = null)
    {
        static string S(TimeSpan t) => string.Create(CultureInfo.InvariantCulture, $"{Math.Max(1, (long)Math.Ceiling(t.TotalMilliseconds))}ms");
        var backend = $"{o.Backend.Host}:{o.Backend.Port}";
        var checkCredentials = credentials is not null && (o.ApiKey is not null || o.BearerToken is not null);
        var sb = new StringBuilder();
        sb.AppendLine("# Generated by LoadGen: the ESP stand-in (NGINX configured from ESP v1-style flags).");
        sb.AppendLine("daemon off;");
        sb.AppendLine("master_process on;");
        sb.AppendLine("worker_processes 1;");
        sb.AppendLine("worker_rlimit_nofile 16000;");
        sb.AppendLine(CultureInfo.InvariantCulture, $"pid {prefix}/nginx.pid;");
        sb.AppendLine(CultureInfo.InvariantCulture, $"error_log {prefix}/error.log info;");
        if (o.WorkerShutdownTimeout is { } wst)
        {
            sb.AppendLine(CultureInfo.InvariantCulture, $"worker_shutdown_timeout {S(wst)};");
        }

        sb.AppendLine("events { worker_connections 8000; }");
        sb.AppendLine("http {");
        sb.AppendLine("  access_log off;");
        foreach (var t in new[] { "client_body", "proxy", "fastcgi", "uwsgi", "scgi" })
        {
            sb.AppendLine(CultureInfo.InvariantCulture, $"  {t}_temp_path {prefix}/tmp/{t.Replace("client_", "", StringComparison.Ordinal)};");
        }

        sb.AppendLine(CultureInfo.InvariantCulture, $"  client_body_timeout {S(o.ClientBodyTimeout)};");
        sb.AppendLine(CultureInfo.InvariantCulture, $"  keepalive_timeout {S(o.KeepaliveTimeout)};");
        sb.AppendLine(CultureInfo.InvariantCulture, $"  keepalive_requests {o.KeepaliveRequests};");
        sb.AppendLine(CultureInfo.InvariantCulture, $"  http2_max_concurrent_streams {o.Http2MaxConcurrentStreams};");
        sb.AppendLine("  client_max_body_size 32m;");
        // ESP's two plaintext listeners: h2c for gRPC (`listen … http2`, prior knowledge only in
        // 1.22) and HTTP/1.1 for the health check, which the h2c port cannot serve.
        void GrpcServer(string listen, params string[] extra)
        {
            sb.AppendLine("  server {");
            sb.AppendLine(CultureInfo.InvariantCulture, $"    listen {listen};");
            foreach (var line in extra)
            {
                sb.AppendLine(CultureInfo.InvariantCulture, $"    {line}");
            }

            sb.AppendLine(CultureInfo.InvariantCulture, $"    location = {o.HealthPath} {{ return 200 \"ok\\n\"; }}");
            if (checkCredentials)
            {
                // The credentials are checked in memory (CredentialCheck), never written here.
                sb.AppendLine("    location = /_loadgen_credentials {");
                sb.AppendLine("      internal;");
                sb.AppendLine(CultureInfo.InvariantCulture, $"      proxy_pass {credentials};");
                sb.AppendLine("      proxy_pass_request_body off;");
                sb.AppendLine("      proxy_set_header Content-Length \"\";");
                sb.AppendLine("    }");
            }

            sb.AppendLine("    location / {");
            if (checkCredentials)
            {
                sb.AppendLine("      auth_request /_loadgen_credentials;");
            }

            sb.AppendLine(CultureInfo.InvariantCulture, $"      grpc_pass grpc://{backend};");
            sb.AppendLine(CultureInfo.InvariantCulture, $"      grpc_read_timeout {S(o.GrpcReadTimeout)};");
            sb.AppendLine(CultureInfo.InvariantCulture, $"      grpc_send_timeout {S(o.GrpcSendTimeout)};");
            sb.AppendLine("    }");
            sb.AppendLine("  }");
        }

        GrpcServer($"127.0.0.1:{http2Port} http2");
        if (sslPort != 0)
        {
            // ESP's --ssl_port: one TLS port serves HTTP/1.1 and HTTP/2 alike (ALPN), health checks included.
            GrpcServer($"127.0.0.1:{sslPort} ssl http2", $"ssl_certificate {o.CertificateFile};", $"ssl_certificate_key {o.KeyFile};");
        }

        sb.AppendLine("  server {");
        sb.AppendLine(CultureInfo.InvariantCulture, $"    listen 127.0.0.1:{httpPort};");
        sb.AppendLine(CultureInfo.InvariantCulture, $"    location = {o.HealthPath} {{ return 200 \"ok\\n\"; }}");
        sb.AppendLine("    location / { return 404; }");
        sb.AppendLine("  }");
        sb.AppendLine("}");
        return sb.ToString();
    }

    private async Task SignalAsync(string signal)
    {
        using var p = Process.Start(new ProcessStartInfo(_nginx, ["-p", Prefix, "-c", "nginx.conf", "-e", "error.log", "-s", signal])
        {
            UseShellExecute = false,
            RedirectStandardError = true,
        })!;
        await p.WaitForExitAsync();
    }
}
