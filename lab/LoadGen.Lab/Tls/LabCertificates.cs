using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace LoadGen.Lab.Tls;

/// <summary>
/// The lab's TLS material, made at lab start: a self-signed CA and a server certificate it signs
/// (SAN 127.0.0.1 and localhost). Clients trust the CA file; nothing skips validation.
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

    public static LabCertificates Create(string folder)
    {
        Directory.CreateDirectory(folder);
        using var caKey = RSA.Create(2048);
        var caRequest = new CertificateRequest("CN=LoadGen Lab CA", caKey, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        caRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        caRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        var now = DateTimeOffset.UtcNow;
        using var ca = caRequest.CreateSelfSigned(now.AddMinutes(-5), now.AddDays(30));

        using var serverKey = RSA.Create(2048);
        var request = new CertificateRequest("CN=localhost", serverKey, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var san = new SubjectAlternativeNameBuilder();
        san.AddIpAddress(IPAddress.Loopback);
        san.AddIpAddress(IPAddress.IPv6Loopback);
        san.AddDnsName("localhost");
        request.CertificateExtensions.Add(san.Build());
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, false));
        var serial = RandomNumberGenerator.GetBytes(16);
        serial[0] &= 0x7F;
        using var server = request.Create(ca, now.AddMinutes(-5), now.AddDays(29), serial);

        var certs = new LabCertificates(folder);
        File.WriteAllText(certs.CaFile, ca.ExportCertificatePem() + "\n");
        File.WriteAllText(certs.ServerCertificateFile, server.ExportCertificatePem() + "\n");
        File.WriteAllText(certs.ServerKeyFile, serverKey.ExportPkcs8PrivateKeyPem() + "\n");
        File.WriteAllText(certs.ServerBundleFile, server.ExportCertificatePem() + "\n" + serverKey.ExportPkcs8PrivateKeyPem() + "\n");
        return certs;
    }
}
