using System.Collections.Concurrent;
using System.Net.Security;
using System.Security.Cryptography;
using Grpc.Core;
using LoadGen.Results;

namespace LoadGen.Core.Metrics;

/// <summary>
/// One target's <see cref="PathSeen"/> as its connections and streams announce it: TLS parameters and the server
/// certificate after each handshake, the server's first SETTINGS frame and connection window, GOAWAYs, and the names
/// of response headers and trailers (values only for <see cref="PathFields.HeaderValues"/>). Thread-safe; each field
/// keeps at most <see cref="PathSeen.MaxValues"/> values.
/// </summary>
public sealed class PathRecorder
{
    private readonly ConcurrentDictionary<string, ConcurrentDictionary<string, long>> _fields = new(StringComparer.Ordinal);
    private long _connections;
    private long _streams;

    /// <summary>One observation of a connection field (or a GOAWAY).</summary>
    public void Connection(string field, string value) => Count(field, value);

    /// <summary>The server's first SETTINGS frame on a connection: every standard parameter, "not sent" for those it left out.</summary>
    public void Settings(IReadOnlyDictionary<string, string> sent)
    {
        ArgumentNullException.ThrowIfNull(sent);
        Interlocked.Increment(ref _connections);
        foreach (var id in Enumerable.Range(1, 6))
        {
            var field = PathFields.Setting(id);
            Count(field, sent.GetValueOrDefault(field) ?? PathFields.NotSent);
        }

        foreach (var (field, value) in sent.Where(p => !Enumerable.Range(1, 6).Select(PathFields.Setting).Contains(p.Key)))
        {
            Count(field, value);
        }
    }

    /// <summary>A TLS handshake LoadGen made: protocol, cipher suite, ALPN and the server's certificate.</summary>
    public void Tls(SslStream ssl)
    {
        ArgumentNullException.ThrowIfNull(ssl);
        Count(PathFields.TlsVersion, ssl.SslProtocol.ToString());
        Count(PathFields.TlsCipher, ssl.NegotiatedCipherSuite.ToString());
        Count(PathFields.TlsAlpn, ssl.NegotiatedApplicationProtocol.Protocol.IsEmpty ? "none" : ssl.NegotiatedApplicationProtocol.ToString());
        if (ssl.RemoteCertificate is { } remote)
        {
            using var cert = new System.Security.Cryptography.X509Certificates.X509Certificate2(remote);
            var hash = Convert.ToHexStringLower(SHA256.HashData(cert.RawData))[..16];
            Count(PathFields.TlsCertificate, $"{cert.GetNameInfo(System.Security.Cryptography.X509Certificates.X509NameType.SimpleName, false)}; issuer {cert.GetNameInfo(System.Security.Cryptography.X509Certificates.X509NameType.SimpleName, true)}");
            Count(PathFields.TlsCertificateHash, hash);
        }
    }

    /// <summary>A stream's response headers: their names (pseudo-headers and the status aside), and the values of the allow-listed ones.</summary>
    public void Headers(Metadata headers)
    {
        ArgumentNullException.ThrowIfNull(headers);
        Interlocked.Increment(ref _streams);
        Count(PathFields.HeaderNames, Names(headers));
        foreach (var name in PathFields.HeaderValues)
        {
            if (headers.Get(name) is { IsBinary: false } entry)
            {
                Count($"header.{name}", entry.Value.Length > 100 ? entry.Value[..100] : entry.Value);
            }
        }
    }

    /// <summary>The trailers a stream ended with: their names only.</summary>
    public void Trailers(Metadata trailers)
    {
        ArgumentNullException.ThrowIfNull(trailers);
        Count(PathFields.TrailerNames, Names(trailers));
    }

    /// <summary>What was seen so far.</summary>
    public PathSeen Snapshot() => new()
    {
        Connections = Interlocked.Read(ref _connections),
        Streams = Interlocked.Read(ref _streams),
        Fields = new SortedDictionary<string, IReadOnlyDictionary<string, long>>(
            _fields.ToDictionary(f => f.Key, f => (IReadOnlyDictionary<string, long>)new SortedDictionary<string, long>(f.Value.ToDictionary(), StringComparer.Ordinal)),
            StringComparer.Ordinal),
    };

    private static string Names(Metadata entries)
    {
        var names = entries.Select(e => e.Key).Where(k => !k.StartsWith(':') && k is not ("grpc-status" or "grpc-message" or "grpc-status-details-bin"))
            .Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
        return names.Count == 0 ? "(none)" : string.Join(", ", names);
    }

    private void Count(string field, string value)
    {
        var values = _fields.GetOrAdd(field, _ => new ConcurrentDictionary<string, long>(StringComparer.Ordinal));
        if (!values.ContainsKey(value) && values.Count >= PathSeen.MaxValues)
        {
            value = PathSeen.Other;
        }

        values.AddOrUpdate(value, 1, (_, n) => n + 1);
    }
}
