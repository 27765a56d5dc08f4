using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace LoadGen.Lab.Tls;

/// <summary>
/// The lab's TLS material, made at lab start: a self-signed CA and a server certificate it signs
/// (SAN 127.0.0.1, localhost, *.lab.test) and a client certificate. Clients trust the CA file; nothing skips validation.
/// </summary>
public sealed class LabCertificates
{
    private LabCertificates(string folder)
    {
        Folder = folder;
    }

    public string Folder { get; }

    /// <summary>The CA certificate (PEM): what a client passes as its CA bundle.</summary>
    public string CaFile => Path.Combine(Folder, "ca.pem");

    public string ServerCertificateFile => Path.Combine(Folder, "server.pem");

    public string ServerKeyFile => Path.Combine(Folder, "server.key");

    /// <summary>Certificate and key in one PEM, as HAProxy's `crt` wants.</summary>
    public string ServerBundleFile => Path.Combine(Folder, "server-bundle.pem");

    /// <summary>A client certificate the CA signs, for mutual TLS (<see cref="Create"/> makes it).</summary>
    public string ClientCertificateFile => Path.Combine(Folder, "client.pem");

    public string ClientKeyFile => Path.Combine(Folder, "client.key");

    private string CaKeyFile => Path.Combine(Folder, "ca.key");

    /// <summary>
    /// A CA, a server certificate for 127.0.0.1, ::1, localhost and *.lab.test (so a test can send a
    /// different SNI and still validate), and a client certificate for mutual TLS.
    /// </summary>
    public static LabCertificates Create(string folder)
    {
        Directory.CreateDirectory(folder);
        using var caKey = RSA.Create(2048);
        var caRequest = new CertificateRequest("CN=LoadGen Lab CA", caKey, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        caRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        caRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        var now = DateTimeOffset.UtcNow;
        using var ca = caRequest.CreateSelfSigned(now.AddMinutes(-5), now.AddDays(30));
        var certs = new LabCertificates(folder);
        File.WriteAllText(certs.CaFile, ca.ExportCertificatePem() + "\n");
        File.WriteAllText(certs.CaKeyFile, caKey.ExportPkcs8PrivateKeyPem() + "\n");
        certs.Issue("server", now.AddMinutes(-5), now.AddDays(29));
        File.WriteAllText(certs.ServerBundleFile, File.ReadAllText(certs.ServerCertificateFile) + File.ReadAllText(certs.ServerKeyFile));
        certs.Issue("client", now.AddMinutes(-5), now.AddDays(29), client: true);
        return certs;
    }

    /// <summary>
    /// Issues NAME.pem and NAME.key in the folder, signed by the lab CA, valid from
    /// <paramref name="notBefore"/> to <paramref name="notAfter"/> (an expired one for tests, say).
    /// A server certificate covers 127.0.0.1, ::1, localhost and *.lab.test; a client one is CN=loadgen-client.
    /// </summary>
    public (string Certificate, string Key) Issue(string name, DateTimeOffset notBefore, DateTimeOffset notAfter, bool client = false)
    {
        using var ca = X509Certificate2.CreateFromPemFile(CaFile, CaKeyFile);
        using var key = RSA.Create(2048);
        var request = new CertificateRequest(client ? "CN=loadgen-client" : "CN=localhost", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        if (!client)
        {
            var san = new SubjectAlternativeNameBuilder();
            san.AddIpAddress(IPAddress.Loopback);
            san.AddIpAddress(IPAddress.IPv6Loopback);
            san.AddDnsName("localhost");
            san.AddDnsName("*.lab.test");
            request.CertificateExtensions.Add(san.Build());
        }

        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid(client ? "1.3.6.1.5.5.7.3.2" : "1.3.6.1.5.5.7.3.1")], false));
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, false));
        var serial = RandomNumberGenerator.GetBytes(16);
        serial[0] &= 0x7F;
        using var cert = request.Create(ca, notBefore, notAfter, serial);
        var files = (Path.Combine(Folder, name + ".pem"), Path.Combine(Folder, name + ".key"));
        File.WriteAllText(files.Item1, cert.ExportCertificatePem() + "\n");
        File.WriteAllText(files.Item2, key.ExportPkcs8PrivateKeyPem() + "\n");
        return files;
    }
}
