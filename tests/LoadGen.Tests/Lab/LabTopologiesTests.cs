using System.Text.Json;
using Grpc.Net.Client;
using LoadGen.Core.Connections;
using LoadGen.Core.Engine;
using LoadGen.Lab;
using LoadGen.Protos.Lab;
using LoadGen.Results;
using LoadGen.Tests.Integration;

namespace LoadGen.Tests.Lab;

/// <summary>The seed's two topologies on real NGINX and HAProxy, driven by the same workload.</summary>
[Collection(SerialLoad.Name)]
public class LabTopologiesTests
{
    [LabFact("nginx", "haproxy")]
    public async Task Compare_DirectTlsAndGateway_CarryEveryStream_AndSayWhichPartsWereReal()
    {
        var outDir = TestTemp.Path("out");
        var file = TestTemp.Path("scenario") + ".yaml";
        await File.WriteAllTextAsync(file, """
            name: compare-test
            targets:
              - name: direct-tls
                address: lab://direct-tls
              - name: gateway
                address: lab://gateway
              - name: backend-h2c
                address: lab://backend-h2c
            profile:
              phases:
                - ramp: 100
                  over: 1s
                - hold: 3s
            messages:
              interval: 200ms
            interval: 1s
            """);
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();

        var code = await LoadGen.Cli.Cli.RunAsync(["run", "--scenario", file, "--out", outDir, "--quiet"], stdout, stderr);

        Assert.True(code == 0, $"exit {code}\n{stdout}\n{stderr}");
        var folder = RunFolder.Open(Assert.Single(Directory.GetDirectories(outDir)));
        var summary = folder.ReadSummary();
        Assert.Equal(["direct-tls", "gateway", "backend-h2c"], summary.Topologies.Select(t => t.Name));
        Assert.All(summary.Topologies, t =>
        {
            Assert.Equal(100, t.Streams.PeakActive);
            Assert.Equal(new Dictionary<string, long> { ["client-closed"] = 100 }, t.Outcomes);
            Assert.Equal(t.Messages.Sent, t.Messages.Received);
            Assert.StartsWith(t.Name == "backend-h2c" ? "http://127.0.0.1:" : "https://127.0.0.1:", t.Address, StringComparison.Ordinal);
        });

        // Each path announces itself on the wire, as its real parts configure it: NGINX 1.22 (the ESP stand-in's
        // http2_max_concurrent_streams 128, its server header), HAProxy (its default of 100 streams, RFC 8441's
        // extended CONNECT, the Via it adds), Kestrel on h2c (no TLS, the lab's 1000 streams, no server header).
        var paths = summary.Topologies.ToDictionary(t => t.Name, t => t.Path ?? throw new Xunit.Sdk.XunitException($"{t.Name}: no path recorded"));
        Assert.All(paths.Values, p => Assert.Equal(100, p.Streams));
        var (direct, gateway, h2c) = (paths["direct-tls"], paths["gateway"], paths["backend-h2c"]);
        Assert.Equal(("h2", "128"), (direct.Show(PathFields.TlsAlpn), direct.Show(PathFields.MaxConcurrentStreams)));
        Assert.StartsWith("nginx/1.22", direct.Show("header.server"), StringComparison.Ordinal);
        Assert.Equal(("h2", "100", "1"), (gateway.Show(PathFields.TlsAlpn), gateway.Show(PathFields.MaxConcurrentStreams), gateway.Show(PathFields.Setting(8))));
        Assert.Equal("2 loadgen-lab-gateway (HAProxy)", gateway.Show("header.via"));
        Assert.DoesNotContain(summary.Warnings, w => w.Contains("named as a gateway", StringComparison.Ordinal));
        Assert.Equal(("—", "1000", "—"), (h2c.Show(PathFields.TlsVersion), h2c.Show(PathFields.MaxConcurrentStreams), h2c.Show("header.server")));
        Assert.NotEmpty(direct.Differences(gateway));
        Assert.NotEmpty(direct.Differences(h2c));
        Assert.NotEmpty(gateway.Differences(h2c));

        // run.json keeps it per target; the reports show the card; JUnit carries it as properties.
        Assert.Contains("## Path (what each target announced on the wire)", await File.ReadAllTextAsync(Path.Combine(folder.Path, RunFolder.MarkdownFile)), StringComparison.Ordinal);
        Assert.Contains("<table id=\"path\">", await File.ReadAllTextAsync(Path.Combine(folder.Path, RunFolder.HtmlFile)), StringComparison.Ordinal);
        Assert.Contains("name=\"path.gateway.h2.max_concurrent_streams\" value=\"100\"", await File.ReadAllTextAsync(Path.Combine(folder.Path, RunFolder.JunitFile)), StringComparison.Ordinal);
        using var run = JsonDocument.Parse(await File.ReadAllTextAsync(folder.RunJson));
        var components = run.RootElement.GetProperty("targets").EnumerateArray().Select(t => t.GetProperty("components").GetString()!).ToList();
        Assert.All(run.RootElement.GetProperty("targets").EnumerateArray(), t => Assert.Equal(100, t.GetProperty("path").GetProperty("streams").GetInt64()));
        Assert.Contains("nginx/1.22", components[0], StringComparison.Ordinal);
        Assert.Contains("(real binary)", components[0], StringComparison.Ordinal);
        Assert.Contains("HAProxy", components[1], StringComparison.Ordinal);
    }

    [LabFact("nginx")]
    public async Task NginxTlsPort_SendsNoResponseHeadersBeforeTheClientsFirstMessage_TheH2cPortDoes()
    {
        // Observed on NGINX 1.22: through ESP's TLS port a bidi stream gets its response headers only
        // after the client's first DATA frame; through the h2c port (and via HAProxy) at once. LoadGen
        // therefore opens every stream with its first message.
        await using var lab = new LabTopologies();
        var direct = await lab.EnsureAsync("direct-tls");

        async Task<bool> HeadersWithoutSending(Uri address, string? ca)
        {
            using var channel = GrpcChannel.ForAddress(address, new GrpcChannelOptions { HttpHandler = new SocketsHttpHandler { SslOptions = TlsTrust.TrustOnly(ca) } });
            using var call = new LabService.LabServiceClient(channel).Chat();
            var headers = call.ResponseHeadersAsync;
            var first = await Task.WhenAny(headers, Task.Delay(TimeSpan.FromSeconds(2)));
            if (first != headers)
            {
                await call.RequestStream.WriteAsync(new ClientFrame { Seq = 1 });
                await headers.WaitAsync(TimeSpan.FromSeconds(5)); // and then they do come
                return false;
            }

            return true;
        }

        Assert.False(await HeadersWithoutSending(direct.Address, direct.CaFile));
        Assert.True(await HeadersWithoutSending(lab.Esp!.Http2Address, null));
    }

    [LabFact("nginx")]
    public async Task NginxTlsPort_HoldsTheBackendsHeadersUntilThereIsResponseData_TheH2cPortPassesThemOn()
    {
        // The lab backend writes its response headers at once; told to stay silent, it sends no message.
        // Observed on NGINX 1.22: through the TLS port those headers do not reach the client (even after
        // the client's first message) until NGINX has something more to send — here the RST of
        // grpc_read_timeout; through the h2c port they arrive at once.
        await using var lab = new LabTopologies(new LabOptions { Esp = LabPart.Real, ConfigureEsp = o => o with { GrpcReadTimeout = TimeSpan.FromSeconds(3) } });
        var direct = await lab.EnsureAsync("direct-tls");

        async Task<bool> HeadersAfterFirstMessage(Uri address, string? ca, Directives? directives = null)
        {
            using var channel = GrpcChannel.ForAddress(address, new GrpcChannelOptions { HttpHandler = new SocketsHttpHandler { SslOptions = TlsTrust.TrustOnly(ca) } });
            using var call = new LabService.LabServiceClient(channel).Chat();
            await call.RequestStream.WriteAsync(new ClientFrame { Seq = 1, Directives = directives ?? new Directives { StopReplying = true } });
            var headers = call.ResponseHeadersAsync;
            return await Task.WhenAny(headers, Task.Delay(TimeSpan.FromSeconds(1.5))) == headers && headers.IsCompletedSuccessfully;
        }

        // Not every time: a loaded CI run once saw the headers come through the TLS port at once. What docs/lab.md says
        // (the TLS port may hold them: reply once) stands if NGINX holds them in any of three tries; a fresh stream each.
        var passedThrough = 0;
        while (passedThrough < 3 && await HeadersAfterFirstMessage(direct.Address, direct.CaFile))
        {
            passedThrough++;
        }

        Assert.True(passedThrough < 3, "NGINX's TLS port passed the headers on at once three times in a row");
        Assert.True(await HeadersAfterFirstMessage(lab.Esp!.Http2Address, null));
        // docs/lab.md's advice: reply once, then go quiet (first: {stopReplyingAfter: 1}) — the one reply carries the headers out.
        Assert.True(await HeadersAfterFirstMessage(direct.Address, direct.CaFile, new Directives { StopReplyingAfter = 1 }));
    }
}
