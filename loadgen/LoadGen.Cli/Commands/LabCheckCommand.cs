using System.CommandLine;
using System.Diagnostics;
using Grpc.Core;
using Grpc.Net.Client;
using LoadGen.Core.Connections;
using LoadGen.Core.Engine;
using LoadGen.Core.Outcomes;
using LoadGen.Core.Scenarios;
using LoadGen.Lab;
using LoadGen.Lab.Check;
using LoadGen.Protos.Lab;

namespace LoadGen.Cli.Commands;

/// <summary>`loadgen lab check`: the seed's readiness-probe pitfall, probed and explained.</summary>
internal static class LabCheckCommand
{
    private static readonly TimeSpan ProbeTimeout = TimeSpan.FromSeconds(3);

    public static Command Create(CliConsole console)
    {
        var topology = new Option<string>("--topology")
        {
            Description = $"Lab topology to stand up and check ({string.Join(", ", LabTopologies.Names)}).",
            DefaultValueFactory = _ => "gateway",
        };
        var urls = new Option<Uri[]>("--url")
        {
            Description = "Instead of the lab: send an HTTP/1.1 health check (as kubelet's httpGet probe does) to each URL and explain the answer, e.g. --url http://10.0.0.5:8080/healthz.",
            HelpName = "URL",
            AllowMultipleArgumentsPerToken = true,
            CustomParser = r => r.Tokens.Select(t => Uri.TryCreate(t.Value, UriKind.Absolute, out var u) && u.Scheme == "http" ? u : null).OfType<Uri>().ToArray(),
        };
        var lab = CommonOptions.LabParts();
        var cmd = new Command("check",
            "Run a readiness probe the way a cluster would and explain the result in plain words. On the lab: an HTTP/1.1\n" +
            "GET /healthz on the ESP stand-in's h2c port (fails on NGINX 1.22: it answers in HTTP/2 and GOAWAY — the seed's\n" +
            "pitfall), the same on its HTTP/1.1 port (200), and one gRPC round trip through the topology.\n" +
            "Exit 0 when the topology is usable with the right probe, 3 when not.")
        {
            topology, urls, lab,
        };
        cmd.SetAction(async (pr, ct) =>
        {
            var given = pr.GetValue(urls) ?? [];
            if (pr.GetResult(urls) is { } r && r.Tokens.Count != given.Length)
            {
                console.Error("error: --url: expected absolute http:// URLs (the probe is plain HTTP/1.1, like kubelet's httpGet)");
                return ExitCodes.BadInput;
            }

            if (given.Length > 0)
            {
                var all = true;
                foreach (var u in given)
                {
                    var p = await HealthCheck.Http1Async(u, ProbeTimeout, ct);
                    all &= p.Healthy;
                    Print(console, u.ToString(), p);
                }

                return all ? ExitCodes.Ok : ExitCodes.RunFailed;
            }

            var name = pr.GetValue(topology)!;
            if (!LabTopologies.Names.Contains(name))
            {
                console.Error($"error: --topology '{name}': not a lab topology (known: {string.Join(", ", LabTopologies.Names)})");
                return ExitCodes.BadInput;
            }

            return await CheckLabAsync(console, name, pr.GetValue(lab), ct);
        });
        return cmd;
    }

    private static void Print(CliConsole console, string what, HealthCheck p) =>
        console.Line($"{(p.Healthy ? "PASS" : "FAIL")}  {what}\n      {p.Explain()}{(p.Detail.Length > 0 && !p.Healthy ? $"\n      seen: {p.Detail}" : "")}");

    private static async Task<int> CheckLabAsync(CliConsole console, string name, LabPart parts, CancellationToken ct)
    {
        CommandSupport.SweepLabLeftovers(console);
        await using var lab = new LabTopologies(new LabOptions { Esp = parts, Gateway = parts });
        LabEndpoint endpoint;
        try
        {
            endpoint = await lab.EnsureAsync(name, ct);
        }
        catch (LabComponentMissingException e)
        {
            console.Error($"error: {e.Message}");
            return ExitCodes.RunFailed;
        }

        console.Line($"lab://{name}: {endpoint.Components}");
        foreach (var f in endpoint.Fallbacks)
        {
            console.Error($"WARNING: {f}");
        }

        var usable = true;
        if (lab.EspH2cAddress is { } h2c && lab.EspHealthAddress is { } health)
        {
            var onH2c = await HealthCheck.Http1Async(new Uri(h2c, health.AbsolutePath), ProbeTimeout, ct);
            Print(console, $"ESP stand-in --http2_port (h2c) {onH2c.Url}  [where a probe copied from the gRPC port lands]", onH2c);
            var onHttp = await HealthCheck.Http1Async(health, ProbeTimeout, ct);
            Print(console, $"ESP stand-in --http_port {onHttp.Url}  [the port a readiness probe should use]", onHttp);
            usable &= onHttp.Healthy;
            if (!onH2c.Healthy && onHttp.Healthy)
            {
                console.Line("      → readiness probes must target --http_port; a probe on the h2c port keeps the pod unready.");
            }
        }

        var (ok, detail) = await GrpcRoundTripAsync(endpoint, ct);
        console.Line($"{(ok ? "PASS" : "FAIL")}  gRPC bidi stream through {endpoint.Address}\n      {detail}");
        usable &= ok;
        console.Line(usable ? $"lab://{name} is usable." : $"lab://{name} is NOT usable: see FAIL lines above.");
        return usable ? ExitCodes.Ok : ExitCodes.RunFailed;
    }

    private static async Task<(bool Ok, string Detail)> GrpcRoundTripAsync(LabEndpoint endpoint, CancellationToken ct)
    {
        using var channel = TargetChannelFactory.Create(new TargetOptions { Name = endpoint.Name, Address = endpoint.Address, CaFile = endpoint.CaFile });
        var started = Stopwatch.GetTimestamp();
        try
        {
            using var call = new LabService.LabServiceClient(channel).Chat(deadline: DateTime.UtcNow.AddSeconds(5), cancellationToken: ct);
            await call.RequestStream.WriteAsync(new ClientFrame { Seq = 1 }, ct);
            if (!await call.ResponseStream.MoveNext(ct) || call.ResponseStream.Current.Seq != 1)
            {
                return (false, "the stream ended without echoing message 1");
            }

            var rtt = Stopwatch.GetElapsedTime(started);
            await call.RequestStream.CompleteAsync();
            while (await call.ResponseStream.MoveNext(ct))
            {
            }

            return (true, $"opened, message 1 echoed {rtt.TotalMilliseconds:0.0} ms after the call began (connection and TLS set-up included), closed with {call.GetStatus().StatusCode}");
        }
        catch (Exception e) when ((e is RpcException or IOException or HttpRequestException or HttpProtocolException or InvalidOperationException)
                                  && !ct.IsCancellationRequested)
        {
            // The path's answer (a refused stream, a reset, a failed handshake), named as a run would name it: not LoadGen's crash.
            var c = OutcomeClassifier.Classify(e);
            return (false, $"the path ended the round trip: {c.Cause}{(c.Detail is { Length: > 0 } d ? $" ({d})" : "")}");
        }
    }
}
