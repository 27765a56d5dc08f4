using LoadGen.Lab.Backend;
using LoadGen.Lab.Esp;
using LoadGen.Results;
using LoadGen.Tests.Cli;

namespace LoadGen.Tests.Lab;

/// <summary>Targets where no stream can ever open are outcomes of the run, with one clear line each and exit code 3.</summary>
[Collection(LoadGen.Tests.Integration.SerialLoad.Name)]
public class UnreachableTargetTests
{
    [LabFact("nginx")]
    public async Task NothingListening_AndAnHttp11OnlyPort_EachGetOneClearLine_AndExitThree()
    {
        await using var backend = await LabBackend.StartAsync(new LabBackendOptions());
        await using var esp = await EspStandIn.StartAsync(new EspOptions { Backend = new Uri($"grpc://{backend.GrpcAddress.Authority}") });
        // ESP's --http_port is HTTP/1.1 (health checks): the seed's other half, a client pointed at it.
        var scenario = await TempScenario.WriteAsync("unreachable", $"""
            name: unreachable
            targets:
              - name: esp-http-port
                address: http://127.0.0.1:{esp.HttpPort}
              - name: nothing
                address: http://127.0.0.1:1
            profile:
              phases:
                - ramp: 5
                  over: 1s
                - hold: 2s
            interval: 1s
            """);

        var (code, stdout, stderr) = await CliRunner.RunAsync("run", "--scenario", scenario.File, "--out", scenario.OutDir, "--quiet");

        Assert.True(code == 3, $"exit {code}\n{stdout}\n{stderr}");
        var lines = stderr.Split('\n').Where(l => l.StartsWith("error: target", StringComparison.Ordinal)).ToList();
        Assert.Equal(2, lines.Count);
        Assert.Contains(lines, l => l.Contains("'nothing' (http://127.0.0.1:1/): no stream ever opened", StringComparison.Ordinal) && l.Contains("connect-failed", StringComparison.Ordinal) && l.Contains("Connection refused", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.Contains("'esp-http-port'", StringComparison.Ordinal) && l.Contains("no stream ever opened", StringComparison.Ordinal));
        Assert.Contains("cannot compare", stdout, StringComparison.Ordinal);
        var summary = RunFolder.Open(scenario.RunFolder).ReadSummary();
        Assert.All(summary.Topologies, t => Assert.Equal(0, t.Streams.Opened));
        Assert.Equal("connect-failed", Assert.Single(summary.Topologies.Single(t => t.Name == "nothing").Outcomes.Keys));
        // NGINX answers the HTTP/2 preface on its HTTP/1.1 port with "HTTP/1.1 400": LoadGen reads that on
        // the wire (before, the client's own "invalid data" error was recorded as rst:PROTOCOL_ERROR).
        var espCauses = summary.Topologies.Single(t => t.Name == "esp-http-port").Outcomes.Keys;
        Assert.All(espCauses, c => Assert.Equal("http2-unavailable", c));
        Assert.Contains(lines, l => l.Contains("'esp-http-port'", StringComparison.Ordinal) && l.Contains("HTTP/1.1-only port", StringComparison.Ordinal));
    }

    [LabFact("nginx")]
    public async Task TheWrongScheme_EachWay_GetsAHintThatPointsTheRightWay()
    {
        await using var backend = await LabBackend.StartAsync(new LabBackendOptions());
        var certs = LoadGen.Lab.Tls.LabCertificates.Create(TestTemp.Path("certs"));
        await using var esp = await EspStandIn.StartAsync(new EspOptions
        {
            Backend = new Uri($"grpc://{backend.GrpcAddress.Authority}"),
            CertificateFile = certs.ServerCertificateFile,
            KeyFile = certs.ServerKeyFile,
        });
        // http:// to NGINX's TLS port, and https:// to the backend's plaintext (h2c) port.
        var scenario = await TempScenario.WriteAsync("schemes", $"""
            name: schemes
            targets:
              - name: plaintext-to-tls
                address: http://127.0.0.1:{esp.SslPort}
              - name: tls-to-plaintext
                address: https://127.0.0.1:{backend.GrpcAddress.Port}
                insecure: true
            profile:
              phases:
                - ramp: 3
                  over: 1s
                - hold: 1s
            reportingInterval: 1s
            """);

        var (code, stdout, stderr) = await CliRunner.RunAsync("run", "--scenario", scenario.File, "--out", scenario.OutDir, "--quiet");

        Assert.True(code == 3, $"exit {code}\n{stdout}\n{stderr}");
        var summary = RunFolder.Open(scenario.RunFolder).ReadSummary();
        // NGINX answers a plaintext HTTP/2 preface on its TLS port with the same "HTTP/1.1 400 Bad Request" as on
        // its HTTP/1.1 port (measured: 309 bytes, no "plain HTTP request" page): the wire cannot tell them apart,
        // so the hint names both and says to try https://.
        Assert.Equal(EndCauses.Http2Unavailable, Assert.Single(summary.Topologies.Single(t => t.Name == "plaintext-to-tls").Outcomes.Keys));
        Assert.Equal("tls-failed", Assert.Single(summary.Topologies.Single(t => t.Name == "tls-to-plaintext").Outcomes.Keys));
        var lines = stderr.Split('\n').Where(l => l.StartsWith("error: target", StringComparison.Ordinal)).ToList();
        Assert.Contains(lines, l => l.Contains("'plaintext-to-tls'", StringComparison.Ordinal) && l.Contains("write https://", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.Contains("'tls-to-plaintext'", StringComparison.Ordinal) && l.Contains("write http://", StringComparison.Ordinal));
    }
}
