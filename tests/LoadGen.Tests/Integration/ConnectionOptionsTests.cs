using LoadGen.Core.Outcomes;
using LoadGen.Core.Scenarios;
using LoadGen.Lab.Backend;
using LoadGen.Lab.Tls;
using LoadGen.Results;
using LoadGen.Results.Analysis;

namespace LoadGen.Tests.Integration;

/// <summary>
/// Reaching real endpoints: a TLS backend that records the SNI, :authority, client certificate and
/// compression each stream presented, so each option is checked where it lands.
/// </summary>
[Collection(LoadGen.Tests.Integration.SerialLoad.Name)]
public sealed class ConnectionOptionsTests : IDisposable
{
    private readonly LabCertificates _certs = LabCertificates.Create(TestTemp.Path("certs"));

    public void Dispose() => Directory.Delete(_certs.Folder, recursive: true);

    private Task<LabBackend> TlsBackendAsync(bool requireClientCert, (string Cert, string Key)? serverCert = null) =>
        LabBackend.StartAsync(new LabBackendOptions
        {
            Tls = new LabBackendTls(
                serverCert?.Cert ?? _certs.ServerCertificateFile,
                serverCert?.Key ?? _certs.ServerKeyFile,
                requireClientCert ? _certs.CaFile : null),
        });

    private static Task<(LoadGen.Results.RunSummary Summary, LoadGen.Results.RunFolder Folder)> RunAsync(LabBackend backend, Func<TargetOptions, TargetOptions> target, int streams = 10)
    {
        var scenario = EngineHarness.Scenario(backend.GrpcAddress, streams, TimeSpan.FromSeconds(2));
        return EngineHarness.RunAsync(scenario with { Targets = [target(scenario.Targets[0])] });
    }

    [Fact]
    public async Task MutualTls_ServerName_Authority_Compression_Metadata_ArriveAsConfigured()
    {
        await using var backend = await TlsBackendAsync(requireClientCert: true);

        var (summary, _) = await RunAsync(backend, t => t with
        {
            CaFile = _certs.CaFile,
            ClientCertFile = _certs.ClientCertificateFile,
            ClientKeyFile = _certs.ClientKeyFile,
            ServerName = "gw.lab.test",
            Authority = "api.lab.test:8443",
            Compression = "gzip",
            Metadata = [new MetadataEntry("x-lab-tenant", "blue")],
        });

        var t = Assert.Single(summary.Topologies);
        Assert.Equal(10, t.Streams.Opened);
        Assert.Equal([EndCauses.ClientClosed], t.Outcomes.Keys);
        Assert.Equal(["gw.lab.test"], backend.Stats.Seen("sni").Keys);
        Assert.Equal(["api.lab.test:8443"], backend.Stats.Seen("authority").Keys);
        Assert.Equal(["CN=loadgen-client"], backend.Stats.Seen("client-cert").Keys);
        Assert.Equal(["gzip"], backend.Stats.Seen("grpc-encoding").Keys);
        Assert.Equal(10, backend.Stats.Seen("header:x-lab-tenant")["blue"]);
        Assert.Contains("SNI gw.lab.test", t.Connection, StringComparison.Ordinal);
        Assert.Contains(":authority api.lab.test:8443", t.Connection, StringComparison.Ordinal);
        // Verified TLS: no insecure warning (a saturated-generator warning is another matter: the shared test
        // host can stall a short run, and that warning then says so — seen in a clean CI clone).
        Assert.DoesNotContain(summary.Warnings, w => w.Contains("insecure", StringComparison.Ordinal));
    }

    [Fact]
    public async Task MutualTlsServer_WithoutAClientCertificate_EveryOpenFails_AsAnOutcome()
    {
        await using var backend = await TlsBackendAsync(requireClientCert: true);

        var (summary, _) = await RunAsync(backend, t => t with { CaFile = _certs.CaFile }, streams: 5);

        var t = Assert.Single(summary.Topologies);
        Assert.Equal(0, t.Streams.Opened);
        Assert.True(t.Streams.Attempted >= 5);
        Assert.DoesNotContain(EndCauses.ClientClosed, t.Outcomes.Keys);
        Assert.Empty(backend.Stats.Seen("client-cert"));
    }

    [Fact]
    public async Task ServerNameTheCertificateDoesNotCover_FailsVerification()
    {
        await using var backend = await TlsBackendAsync(requireClientCert: false);

        var (summary, _) = await RunAsync(backend, t => t with { CaFile = _certs.CaFile, ServerName = "gw.example.com" }, streams: 5);

        var t = Assert.Single(summary.Topologies);
        Assert.Equal(0, t.Streams.Opened);
        Assert.Equal([EndCauses.TlsFailed], t.Outcomes.Keys);
    }

    [Fact]
    public async Task ExpiredServerCertificate_IsTlsFailed_AndInsecureGetsThrough_WithAWarning()
    {
        var now = DateTimeOffset.UtcNow;
        var expired = _certs.Issue("expired", now.AddMinutes(-4), now.AddMinutes(-1));
        await using var backend = await TlsBackendAsync(requireClientCert: false, expired);

        var (verified, folder) = await RunAsync(backend, t => t with { CaFile = _certs.CaFile }, streams: 5);
        var v = Assert.Single(verified.Topologies);
        Assert.Equal(0, v.Streams.Opened);
        Assert.Equal([EndCauses.TlsFailed], v.Outcomes.Keys);
        var line = File.ReadLines(folder.OutcomesPath).First();
        Assert.Contains("NotTimeValid", line, StringComparison.Ordinal);

        var (insecure, _) = await RunAsync(backend, t => t with { Insecure = true }, streams: 5);
        var i = Assert.Single(insecure.Topologies);
        Assert.Equal(5, i.Streams.Opened);
        Assert.Single(insecure.Warnings, w => w.Contains("NOT verified", StringComparison.Ordinal));
        Assert.StartsWith("INSECURE", i.Connection, StringComparison.Ordinal);
    }
}
