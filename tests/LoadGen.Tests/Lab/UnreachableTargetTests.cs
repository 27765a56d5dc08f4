using LoadGen.Lab.Backend;
using LoadGen.Lab.Esp;
using LoadGen.Results;
using LoadGen.Tests.Cli;

namespace LoadGen.Tests.Lab;

/// <summary>Targets where no stream can ever open are outcomes of the run, with one clear line each and exit code 3.</summary>
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
        // NGINX answers the HTTP/2 preface on its HTTP/1.1 port with a 400: "invalid data" or "did not
        // complete the HTTP/2 handshake" to the client, whichever it notices first.
        var espCauses = summary.Topologies.Single(t => t.Name == "esp-http-port").Outcomes.Keys;
        Assert.All(espCauses, c => Assert.True(c is "rst:PROTOCOL_ERROR" or "http2-unavailable", c));
        Assert.Contains(lines, l => l.Contains("'esp-http-port'", StringComparison.Ordinal) && l.Contains("HTTP/1.1-only port", StringComparison.Ordinal));
    }
}
