using System.Collections.Concurrent;
using System.Net;
using LoadGen.Core.Inputs;
using LoadGen.Results;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Logging;

namespace LoadGen.Tests.Cli;

/// <summary>
/// A distinct token planted in each place LoadGen takes text, then every output grepped for it: the run folder
/// (loadgen.log at trace level included), the console, `validate --explain` and the errors of refused inputs. The
/// server here does what real ones do — it rejects the call and echoes the credentials it got in its status
/// message — so the tokens reach LoadGen's free text (outcome details, log lines), not only its structured fields.
/// </summary>
[Collection(Integration.SerialLoad.Name)]
public class SecretLeakTests
{
    private static string Token(string where) => $"T{where}{Guid.NewGuid():N}"[..24];

    [Fact(Timeout = Integration.SerialLoad.TimeoutMs)]
    public async Task EveryPlantedToken_ReachesTheServer_AndNoOutput()
    {
        var (literal, mixedLiteral, env, mixedEnv, file, otlp) = (Token("LIT"), Token("MIXL"), Token("ENV"), Token("MIXE"), Token("FILE"), Token("OTLP"));
        var dir = TestTemp.Path("leaks");
        Directory.CreateDirectory(dir);
        await File.WriteAllTextAsync(Path.Combine(dir, "key"), file + "\n");
        var (envVar, mixedVar) = ($"LOADGEN_TEST_{Guid.NewGuid():N}", $"LOADGEN_TEST_{Guid.NewGuid():N}");
        var received = new ConcurrentBag<string>();
        await using var server = await EchoingRejecter.StartAsync(received);
        var scenario = Path.Combine(dir, "leaks.yaml");
        await File.WriteAllTextAsync(scenario, $$"""
            name: leaks
            targets:
              - name: echo
                address: {{server.Address}}
                metadata:
                  authorization: "Bearer ${env:{{envVar}}}"
                  x-api-key: "${file:key}"
                  x-goog-iap-jwt-assertion: "{{literal}}"
                  x-session: "s-{{mixedLiteral}} ${env:{{mixedVar}}}"
            profile:
              phases:
                - ramp: 3
                  over: 500ms
                - hold: 3s
            messages:
              interval: 200ms
            reportingInterval: 1s
            closeTimeout: 1s
            thresholds:
              - p99 < 1s
            """);
        var outDir = Path.Combine(dir, "out");
        var env_ = new Dictionary<string, string?>
        {
            [envVar] = env,
            [mixedVar] = mixedEnv,
            // A collector URL from the environment with a key in its query (some collectors take one): nothing listens there.
            ["OTEL_EXPORTER_OTLP_ENDPOINT"] = $"http://127.0.0.1:{LoadGen.Lab.Backend.LabBackend.FreePort(IPAddress.Loopback)}/v1/metrics?api_key={otlp}",
            ["OTEL_EXPORTER_OTLP_PROTOCOL"] = "http/protobuf",
        };
        using var run = CliProcess.Start(env_, "run", "--scenario", scenario, "--out", outDir, "--log-level", "trace");
        Assert.True(await run.WaitForExitAsync(TimeSpan.FromSeconds(90)), $"the run did not end\n{run.Out}\n{run.Err}");
        using var explain = CliProcess.Start(env_, "validate", "--scenario", scenario, "--explain");
        Assert.True(await explain.WaitForExitAsync(TimeSpan.FromSeconds(60)), "validate did not end");

        // Not vacuous: every token went out on the wire, the server echoed them back, and LoadGen masked the echo.
        var wire = string.Join("\n", received);
        foreach (var token in new[] { literal, mixedLiteral, env, mixedEnv, file })
        {
            Assert.Contains(token, wire, StringComparison.Ordinal);
        }

        Assert.Equal(0, explain.Process.ExitCode);
        var folder = Assert.Single(Directory.GetDirectories(outDir));
        var summary = RunFolder.Open(folder).ReadSummary();
        Assert.Contains("server-status:Unauthenticated", Assert.Single(summary.Topologies).Outcomes.Keys);
        var outcomes = await File.ReadAllTextAsync(Path.Combine(folder, RunFolder.OutcomesFile));
        Assert.Contains($"x-goog-iap-jwt-assertion={Secrets.Mask}", outcomes, StringComparison.Ordinal);
        Assert.Contains("OTLP export to http://127.0.0.1:", run.Err, StringComparison.Ordinal);
        var log = await File.ReadAllTextAsync(Path.Combine(folder, "loadgen.log"));
        Assert.Contains(" TRACE ", log, StringComparison.Ordinal);

        var outputs = Directory.GetFiles(folder, "*", SearchOption.AllDirectories).Select(f => (Name: f, Text: File.ReadAllText(f)))
            .Append((Name: "run stdout", Text: run.Out)).Append((Name: "run stderr", Text: run.Err)).Append((Name: "explain stdout", Text: explain.Out)).Append((Name: "explain stderr", Text: explain.Err))
            .ToList();
        Assert.Contains(outputs, o => o.Name.EndsWith("report.html", StringComparison.Ordinal));
        foreach (var (name, text) in outputs)
        {
            foreach (var token in new[] { literal, mixedLiteral, env, mixedEnv, file, otlp })
            {
                Assert.False(text.Contains(token, StringComparison.Ordinal), $"{name} carries the planted token {token}");
            }
        }

        TestTemp.Remove(dir);
    }

    [Fact(Timeout = Integration.SerialLoad.TimeoutMs)]
    public async Task RefusedInputs_NeverEchoTheirToken()
    {
        var dir = TestTemp.Path("refused");
        Directory.CreateDirectory(dir);
        var envVar = $"LOADGEN_TEST_{Guid.NewGuid():N}";
        Environment.SetEnvironmentVariable(envVar, "value-from-env");
        async Task<string> Yaml(string target)
        {
            var file = Path.Combine(dir, $"s-{Guid.NewGuid():N}.yaml");
            await File.WriteAllTextAsync(file, $"""
                name: refused
                targets:
                  - name: t
                {target}
                profile:
                  phases:
                    - ramp: 1
                      over: 1s
                """);
            return file;
        }

        var (query, authority, user, otlp, mixed) = (Token("QRY"), Token("AUTH"), Token("USER"), Token("OTLP"), Token("MIX"));
        var queryFile = await Yaml($"    address: http://127.0.0.1:1/?token={query}");
        var authorityFile = await Yaml($"    address: http://127.0.0.1:1\n    authority: \"u:{authority}@host\"");
        var plain = await Yaml("    address: http://127.0.0.1:1");
        var cases = new (string[] Args, string Token, string Says)[]
        {
            (["run", "--scenario", queryFile], query, "has a query string"),
            (["validate", "--scenario", queryFile, "--explain"], query, "has a query string"),
            (["run", "--scenario", authorityFile], authority, "has a user name or password"),
            (["validate", "--scenario", authorityFile, "--explain"], authority, "has a user name or password"),
            (["compare", "--topologies", $"mine=http://me:{user}@127.0.0.1:1,direct-tls"], user, "has a user name or password"),
            (["compare", "--topologies", $"mine=http://127.0.0.1:1/?key={user},direct-tls"], user, "has a query string"),
            (["run", "--scenario", plain, "--otlp-endpoint", $"http://127.0.0.1:4317/?api_key={otlp}"], otlp, "has a query string"),
            (["run", "--scenario", plain, "-H", $"authorization: Basic {mixed}${{env:{envVar}}}"], mixed, "mixes literal text"),
        };
        foreach (var (args, token, says) in cases)
        {
            var (code, stdout, stderr) = await CliRunner.RunAsync(args);
            var all = stdout + stderr;
            Assert.True(code == 2, $"{string.Join(' ', args)}: exit {code}\n{all}");
            Assert.Contains(says, all, StringComparison.Ordinal);
            Assert.False(all.Contains(token, StringComparison.Ordinal), $"{string.Join(' ', args)} echoed its token:\n{all}");
        }

        Environment.SetEnvironmentVariable(envVar, null);
        TestTemp.Remove(dir);
    }

    /// <summary>An h2c server that refuses every call (UNAUTHENTICATED) and, as many do, says what it was given.</summary>
    private sealed class EchoingRejecter : IAsyncDisposable
    {
        private static readonly string[] Echoed = ["authorization", "x-api-key", "x-goog-iap-jwt-assertion", "x-session"];
        private readonly WebApplication _app;

        private EchoingRejecter(WebApplication app, Uri address) => (_app, Address) = (app, address);

        public Uri Address { get; }

        public static async Task<EchoingRejecter> StartAsync(ConcurrentBag<string> received)
        {
            var builder = WebApplication.CreateSlimBuilder();
            builder.Logging.ClearProviders();
            var port = LoadGen.Lab.Backend.LabBackend.FreePort(IPAddress.Loopback);
            builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, port, l => l.Protocols = HttpProtocols.Http2));
            var app = builder.Build();
            app.MapPost("/{**method}", (HttpContext ctx) =>
            {
                var said = string.Join(" ", Echoed.Select(h => $"{h}={ctx.Request.Headers[h]}"));
                received.Add(said);
                ctx.Response.ContentType = "application/grpc";
                ctx.Response.AppendTrailer("grpc-status", "16");
                ctx.Response.AppendTrailer("grpc-message", "rejected: " + said);
                return Task.CompletedTask;
            });
            await app.StartAsync();
            return new EchoingRejecter(app, new Uri($"http://127.0.0.1:{port}"));
        }

        public async ValueTask DisposeAsync()
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }
    }
}
