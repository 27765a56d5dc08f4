namespace LoadGen.Core.Engine;

/// <summary>Client TLS settings for a target.</summary>
public static class TlsTrust
{
    /// <summary>TLS options trusting only the CAs in <paramref name="caFile"/>; the system's trust when null.</summary>
    public static System.Net.Security.SslClientAuthenticationOptions TrustOnly(string? caFile)
    {
        var ssl = new System.Net.Security.SslClientAuthenticationOptions();
        if (caFile is not null)
        {
            var policy = new System.Security.Cryptography.X509Certificates.X509ChainPolicy
            {
                TrustMode = System.Security.Cryptography.X509Certificates.X509ChainTrustMode.CustomRootTrust,
                RevocationMode = System.Security.Cryptography.X509Certificates.X509RevocationMode.NoCheck,
            };
            policy.CustomTrustStore.ImportFromPemFile(caFile);
            ssl.CertificateChainPolicy = policy;
        }

        return ssl;
    }
}
