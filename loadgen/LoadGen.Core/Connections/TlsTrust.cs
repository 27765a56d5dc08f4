using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using LoadGen.Core.Inputs;
using LoadGen.Core.Metrics;
using LoadGen.Core.Scenarios;

namespace LoadGen.Core.Connections;

/// <summary>Client TLS and HTTP/2 settings for a target.</summary>
public static class TlsTrust
{
    /// <summary>TLS options trusting only the CAs in <paramref name="caFile"/>; the system's trust when null.</summary>
    public static SslClientAuthenticationOptions TrustOnly(string? caFile)
    {
        var ssl = new SslClientAuthenticationOptions();
        if (caFile is not null)
        {
            var policy = new X509ChainPolicy
            {
                TrustMode = X509ChainTrustMode.CustomRootTrust,
                RevocationMode = X509RevocationMode.NoCheck,
            };
            policy.CustomTrustStore.ImportFromPemFile(caFile);
            if (policy.CustomTrustStore.Count == 0)
            {
                // An empty trust store trusts nothing: every handshake would fail as if the server were wrong.
                throw new System.Security.Cryptography.CryptographicException("it holds no certificate (no -----BEGIN CERTIFICATE----- block)");
            }

            ssl.CertificateChainPolicy = policy;
        }

        return ssl;
    }

    /// <summary>The target's TLS: its CA bundle, client certificate, server name, or (said loudly elsewhere) no verification.</summary>
    /// <exception cref="InputException">A certificate or key file cannot be used; the message says which and why.</exception>
    public static SslClientAuthenticationOptions For(TargetOptions target)
    {
        ArgumentNullException.ThrowIfNull(target);
        SslClientAuthenticationOptions ssl;
        try
        {
            ssl = TrustOnly(target.CaFile);
        }
        catch (Exception e) when (e is System.Security.Cryptography.CryptographicException or IOException)
        {
            throw new InputException($"target '{target.Name}': the CA bundle {target.CaFile} cannot be read as PEM certificates: {e.Message}", e);
        }

        if (target.ServerName is { } name)
        {
            ssl.TargetHost = name;
        }

        if (target.ClientCertFile is { } certFile)
        {
            try
            {
                using var pem = X509Certificate2.CreateFromPemFile(certFile, target.ClientKeyFile);
                // Ephemeral PEM keys cannot be used by SslStream on every platform: re-import as PKCS#12.
                var cert = X509CertificateLoader.LoadPkcs12(pem.Export(X509ContentType.Pkcs12), null);
                if (cert.NotAfter < DateTime.Now)
                {
                    throw new InputException($"target '{target.Name}': the client certificate {certFile} expired on {cert.NotAfter:u}");
                }

                ssl.ClientCertificates = [cert];
            }
            catch (Exception e) when (e is System.Security.Cryptography.CryptographicException or IOException)
            {
                throw new InputException($"target '{target.Name}': the client certificate {certFile} with key {target.ClientKeyFile ?? "(in the same file)"} cannot be used: {e.Message}", e);
            }
        }

        if (target.Insecure)
        {
            ssl.CertificateChainPolicy = null;
            // The user asked for it by name (--insecure / insecure: true); every console and report says so.
#pragma warning disable CA5359
            ssl.RemoteCertificateValidationCallback = (_, _, _, _) => true;
#pragma warning restore CA5359
        }

        return ssl;
    }

    /// <summary>
    /// The HTTP/2 handler for one of the target's connections: TCP with no Nagle delay, TLS, keepalive
    /// pings, connect timeout. The connect callback makes the TLS handshake itself (ALPN h2) and hands over the
    /// SslStream, which SocketsHttpHandler takes as the TLS connection: so LoadGen reads the server's frames above
    /// the decryption (<see cref="WatchedSslStream"/>) as it does on h2c, and a <see cref="TargetOptions.ServerName"/>
    /// is the SNI (SocketsHttpHandler would take it from the :authority and ignore SslOptions.TargetHost, dotnet/runtime#126842).
    /// </summary>
    /// <param name="connected">Called once per TCP connection made, with what LoadGen reads of its frames.</param>
    /// <param name="path">Where the connections' TLS parameters, SETTINGS and GOAWAYs are counted (the target's fingerprint).</param>
    public static SocketsHttpHandler Handler(TargetOptions target, TimeSpan connectTimeout, Action<IConnectionFrames?>? connected = null, PathRecorder? path = null)
    {
        ArgumentNullException.ThrowIfNull(target);
        var handler = new SocketsHttpHandler
        {
            SslOptions = For(target),
            EnableMultipleHttp2Connections = true,
            PooledConnectionIdleTimeout = Timeout.InfiniteTimeSpan,
            PooledConnectionLifetime = Timeout.InfiniteTimeSpan,
            ConnectTimeout = connectTimeout,
            KeepAlivePingDelay = Timeout.InfiniteTimeSpan,
        };
        if (target.KeepAlive is { } k)
        {
            handler.KeepAlivePingDelay = k.Delay;
            handler.KeepAlivePingTimeout = k.Timeout;
            handler.KeepAlivePingPolicy = k.Policy == KeepAlivePolicy.Always ? HttpKeepAlivePingPolicy.Always : HttpKeepAlivePingPolicy.WithActiveRequests;
        }

        var tls = handler.SslOptions;
        handler.ConnectCallback = async (context, ct) =>
        {
            var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            try
            {
                await socket.ConnectAsync(context.DnsEndPoint, ct);
            }
            catch
            {
                socket.Dispose();
                throw;
            }

            var network = new NetworkStream(socket, ownsSocket: true);
            if (target.Address.Scheme != Uri.UriSchemeHttps)
            {
                // h2c: the server's bytes are watched on their way in (an HTTP/1.1 answer, SETTINGS, GOAWAY frames).
                var watch = new WireWatch(network, path);
                connected?.Invoke(watch);
                return watch;
            }

            var ssl = new WatchedSslStream(network, path);
            connected?.Invoke(ssl);
            try
            {
                await ssl.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
                {
                    TargetHost = target.ServerName ?? SniHost(context.InitialRequestMessage),
                    ApplicationProtocols = [SslApplicationProtocol.Http2],
                    ClientCertificates = tls.ClientCertificates,
                    CertificateChainPolicy = tls.CertificateChainPolicy,
                    RemoteCertificateValidationCallback = tls.RemoteCertificateValidationCallback,
                }, ct);
            }
            catch
            {
                await ssl.DisposeAsync();
                throw;
            }

            path?.Tls(ssl);
            return ssl;
        };
        return handler;
    }

    /// <summary>The server name SocketsHttpHandler would send: the Host header's host (the target's :authority) when set, else the address's.</summary>
    private static string SniHost(HttpRequestMessage request)
    {
        if (request.Headers.Host is { Length: > 0 } host)
        {
            // "name:port", "[v6]:port" or a bare name: the host part, as SocketsHttpHandler parses it.
            if (host.StartsWith('['))
            {
                var close = host.IndexOf(']', StringComparison.Ordinal);
                return close > 0 ? host[1..close] : host;
            }

            var colon = host.LastIndexOf(':');
            return colon > 0 ? host[..colon] : host;
        }

        return request.RequestUri?.IdnHost ?? "";
    }
}

/// <summary>Sends every request with the target's :authority (HTTP/2 takes it from the Host header).</summary>
public sealed class AuthorityHandler(HttpMessageHandler inner, string authority) : DelegatingHandler(inner)
{
    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        request.Headers.Host = authority;
        return base.SendAsync(request, cancellationToken);
    }
}
