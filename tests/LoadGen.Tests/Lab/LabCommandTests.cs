using System.Diagnostics;
using LoadGen.Lab.Backend;
using LoadGen.Lab.Check;
using LoadGen.Tests.Integration;

namespace LoadGen.Tests.Lab;

/// <summary>`loadgen lab check` and `loadgen lab up` as an SRE uses them.</summary>
[Collection(SerialLoad.Name)]
public class LabCommandTests
{
    private static Task<(int Code, string Out, string Err)> Run(params string[] args) => LoadGen.Tests.Cli.CliRunner.RunAsync(args);

    [LabFact("nginx", "haproxy")]
    public async Task LabCheck_Gateway_ExplainsTheH2cHealthCheckPitfall_AndPassesOnTheHttpPort()
    {
        var (code, stdout, err) = await Run("lab", "check", "--topology", "gateway", "--lab", "real");

        Assert.True(code == 0, $"exit {code}\n{stdout}\n{err}");
        var lines = stdout.Split('\n');
        Assert.Contains(lines, l => l.StartsWith("FAIL  ESP stand-in --http2_port", StringComparison.Ordinal));
        Assert.Contains("GOAWAY(PROTOCOL_ERROR)", stdout, StringComparison.Ordinal);
        Assert.Contains("point it at ESP's --http_port", stdout, StringComparison.Ordinal);
        Assert.Contains(lines, l => l.StartsWith("PASS  ESP stand-in --http_port", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("PASS  gRPC bidi stream through https://127.0.0.1:", StringComparison.Ordinal));
        Assert.Contains("lab://gateway is usable.", stdout, StringComparison.Ordinal);
    }

    [Fact(Timeout = SerialLoad.TimeoutMs)]
    public async Task LabCheck_Url_NothingListening_ExitsThreeAndSaysRefused()
    {
        var port = LabBackend.FreePort(System.Net.IPAddress.Loopback);

        var (code, stdout, _) = await Run("lab", "check", "--url", $"http://127.0.0.1:{port}/healthz");

        Assert.Equal(3, code);
        Assert.Contains("connection refused", stdout, StringComparison.Ordinal);
    }

    [Fact(Timeout = SerialLoad.TimeoutMs)]
    public async Task LabCheck_Url_AgainstAnHttp1HealthPort_Passes()
    {
        await using var backend = await LabBackend.StartAsync(new LabBackendOptions());

        var (code, stdout, _) = await Run("lab", "check", "--url", backend.HealthAddress.ToString());

        Assert.Equal(0, code);
        Assert.Contains("→ 200", stdout, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("HTTP/1.1 503 Service Unavailable\r\n\r\n", ProbeAnswer.Http1, false)]
    [InlineData("HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nok\n", ProbeAnswer.Http1, true)]
    [InlineData("SSH-2.0-OpenSSH_9.2\r\n", ProbeAnswer.Other, false)]
    public void HealthCheck_ClassifiesRawAnswers(string raw, ProbeAnswer answer, bool healthy)
    {
        var r = HealthCheck.Classify(new Uri("http://127.0.0.1:1/healthz"), System.Text.Encoding.ASCII.GetBytes(raw));

        Assert.Equal((answer, healthy), (r.Answer, r.Healthy));
    }

    /// <summary>Starts `loadgen` as its own process, as a user would.</summary>
    private static Process StartLoadgen(IReadOnlyDictionary<string, string?>? env, params string[] args)
    {
        var dll = typeof(LoadGen.Cli.Cli).Assembly.Location;
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add(dll);
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }

        foreach (var (k, v) in env ?? new Dictionary<string, string?>())
        {
            psi.Environment[k] = v;
        }

        return Process.Start(psi)!;
    }

    /// <summary>Runs `loadgen ARGS` to its end (killed past <paramref name="limit"/>): its exit code and what it printed.</summary>
    private static async Task<(int Code, string Out, string Err)> RunLoadgenAsync(IReadOnlyDictionary<string, string?> env, TimeSpan limit, params string[] args)
    {
        using var p = StartLoadgen(env, args);
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(limit);
        try
        {
            await p.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            p.Kill(entireProcessTree: true);
            throw;
        }

        return (p.ExitCode, await stdout, await stderr);
    }

    private static Process StartLabUp(params string[] args) => StartLoadgen(null, ["lab", "up", .. args]);

    [Theory(Timeout = SerialLoad.TimeoutMs)]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Demo_WithoutNginxAndHaproxy_FallsBackLoudly_OrFailsWhereBinariesAreRequired(bool required)
    {
        // A machine with only the .NET SDK: the binaries hidden.
        var outDir = TestTemp.Path("out");
        var env = new Dictionary<string, string?>
        {
            ["LOADGEN_NGINX"] = "none",
            ["LOADGEN_HAPROXY"] = "none",
            [LoadGen.Lab.LabBinaries.RequireVariable] = required ? "1" : null,
        };
        var (exit, o, e) = await RunLoadgenAsync(env, TimeSpan.FromSeconds(90), "demo", "--streams", "40", "--duration", "2s", "--warmup", "0s", "--out", outDir, "--quiet");

        if (required)
        {
            Assert.True(exit == 3, $"exit {exit}\n{o}\n{e}");
            Assert.Contains("LOADGEN_REQUIRE_LAB_BINARIES is set, so the embedded fallback is not allowed", e, StringComparison.Ordinal);
            Assert.False(Directory.Exists(outDir) && Directory.GetDirectories(outDir).Length > 0, "no run folder for a run that did not start");
            return;
        }

        Assert.True(exit == 0, $"exit {exit}\n{o}\n{e}");
        Assert.Contains("WARNING: ESP stand-in is the embedded .NET proxy, not NGINX", e, StringComparison.Ordinal);
        Assert.Contains("WARNING: gateway stand-in is the embedded .NET proxy, not HAProxy", e, StringComparison.Ordinal);
        var summary = LoadGen.Results.RunFolder.Open(Assert.Single(Directory.GetDirectories(outDir))).ReadSummary();
        Assert.Equal(["direct-tls", "gateway"], summary.Topologies.Select(t => t.Name));
        // Where reviewers look: summary.json's warnings (summary.md and report.html show them first).
        Assert.Contains(summary.Warnings, w => w.StartsWith("ESP stand-in is the embedded .NET proxy, not NGINX", StringComparison.Ordinal));
        Assert.Contains(summary.Warnings, w => w.StartsWith("gateway stand-in is the embedded .NET proxy, not HAProxy", StringComparison.Ordinal));
        Assert.All(summary.Topologies, t =>
        {
            Assert.Contains("FALLBACK", t.Components, StringComparison.Ordinal);
            Assert.Equal(new Dictionary<string, long> { ["client-closed"] = 160 }, t.Outcomes); // 40 streams × 4 rounds
        });
    }

    /// <summary>
    /// Each mix of installed proxies a user can have gives a demo that compares both paths, never a topology that cannot
    /// work: HAProxy in front of the embedded ESP refuses every stream, so with NGINX missing the gateway is embedded too,
    /// and the warning says why. Hidden binaries stand for missing ones (the variables set to none).
    /// </summary>
    [LabTheory("nginx", "haproxy")]
    [InlineData(true, true)]
    [InlineData(true, false)]
    [InlineData(false, true)]
    public async Task Demo_EachMixOfInstalledProxies_ComparesBothPaths_AndNamesTheMix(bool nginx, bool haproxy)
    {
        var outDir = TestTemp.Path("out");
        var env = new Dictionary<string, string?>
        {
            ["LOADGEN_NGINX"] = nginx ? null : "none",
            ["LOADGEN_HAPROXY"] = haproxy ? null : "none",
            [LoadGen.Lab.LabBinaries.RequireVariable] = null,
        };
        var (exit, o, e) = await RunLoadgenAsync(env, TimeSpan.FromSeconds(120), "demo", "--streams", "40", "--duration", "2s", "--warmup", "0s", "--out", outDir, "--quiet");

        Assert.True(exit == 0, $"exit {exit}\n{o}\n{e}");
        var summary = LoadGen.Results.RunFolder.Open(Assert.Single(Directory.GetDirectories(outDir))).ReadSummary();
        Assert.Equal(["direct-tls", "gateway"], summary.Topologies.Select(t => t.Name));
        // Both paths carried every stream to its planned end: none refused, none reset.
        Assert.All(summary.Topologies, t => Assert.Equal(new Dictionary<string, long> { ["client-closed"] = 160 }, t.Outcomes)); // 40 streams × 4 rounds
        var gateway = summary.Topologies.Single(t => t.Name == "gateway").Components ?? "";
        var direct = summary.Topologies.Single(t => t.Name == "direct-tls").Components ?? "";
        Assert.Equal(nginx, direct.Contains("(real binary)", StringComparison.Ordinal));
        // HAProxy is used only in front of real NGINX.
        Assert.Equal(nginx && haproxy, gateway.StartsWith("gateway: HAProxy", StringComparison.Ordinal));
        // The report's path card shows both paths; with real NGINX behind direct-tls they differ on the wire.
        var (directPath, gatewayPath) = (summary.Topologies[0].Path, summary.Topologies[1].Path);
        Assert.True(directPath is not null && gatewayPath is not null, "both paths recorded");
        if (nginx)
        {
            Assert.NotEmpty(directPath.Differences(gatewayPath));
        }

        var md = await File.ReadAllTextAsync(Path.Combine(Assert.Single(Directory.GetDirectories(outDir)), LoadGen.Results.RunFolder.MarkdownFile));
        Assert.Contains("| path field | direct-tls | gateway |", md, StringComparison.Ordinal);
        if (haproxy && !nginx)
        {
            Assert.Contains("WARNING: gateway stand-in is the embedded .NET proxy, not HAProxy: HAProxy is installed, but in front of the embedded ESP stand-in", e, StringComparison.Ordinal);
            Assert.Contains(summary.Warnings, w => w.Contains("refuses every stream", StringComparison.Ordinal));
        }

        // Beside the end-of-run ones (a saturated generator on a busy machine), a WARNING says the lab is not all real.
        Assert.Equal(nginx && haproxy, LoadGen.Tests.Cli.ConsoleWarnings.Besides(e, summary).Count == 0);
    }

    [LabFact("haproxy")]
    public async Task LabCheck_HaproxyAskedFor_InFrontOfTheEmbeddedEsp_IsRefusedWithTheReason()
    {
        var env = new Dictionary<string, string?> { ["LOADGEN_NGINX"] = "none", [LoadGen.Lab.LabBinaries.RequireVariable] = null };
        var (exit, o, e) = await RunLoadgenAsync(env, TimeSpan.FromSeconds(60), "lab", "check", "--topology", "gateway", "--lab", "real");

        // --lab real asks for both real binaries: NGINX is the one missing, named; never LoadGen's own crash.
        Assert.True(exit == 3, $"exit {exit}\n{o}\n{e}");
        Assert.Contains("the ESP stand-in needs NGINX", e, StringComparison.Ordinal);
        Assert.DoesNotContain("Please report it", o + e, StringComparison.Ordinal);
    }

    /// <summary>
    /// `lab backend --max-streams-per-connection N` as ESP v1 meets it: ESP carries every stream of a worker over one
    /// connection to the backend, so the kit raises this; the server's SETTINGS frame must say N.
    /// </summary>
    [Fact(Timeout = SerialLoad.TimeoutMs)]
    public async Task LabBackend_MaxStreamsPerConnection_IsWhatItsSettingsFrameAnnounces()
    {
        using var backend = LoadGen.Tests.Cli.CliProcess.Start("lab", "backend", "--grpc-port", "0", "--health-port", "0", "--max-streams-per-connection", "20000");
        var deadline = DateTime.UtcNow.AddSeconds(60);
        System.Text.RegularExpressions.Match m;
        while (!(m = System.Text.RegularExpressions.Regex.Match(backend.Out, @"lab backend: gRPC h2c http://([\d.]+):(\d+)/ ,.*20,000 streams per connection")).Success)
        {
            Assert.False(backend.Process.HasExited || DateTime.UtcNow > deadline, $"the lab backend did not come up\n{backend.Out}\n{backend.Err}");
            await Task.Delay(100);
        }

        using var tcp = new System.Net.Sockets.TcpClient();
        await tcp.ConnectAsync(m.Groups[1].Value, int.Parse(m.Groups[2].Value, System.Globalization.CultureInfo.InvariantCulture));
        var stream = tcp.GetStream();
        // The client preface and an empty SETTINGS frame; the server's first frame is its SETTINGS.
        await stream.WriteAsync("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"u8.ToArray().Concat(new byte[] { 0, 0, 0, 4, 0, 0, 0, 0, 0 }).ToArray());
        var header = new byte[9];
        await stream.ReadExactlyAsync(header);
        Assert.Equal(4, header[3]);
        var payload = new byte[(header[0] << 16) | (header[1] << 8) | header[2]];
        await stream.ReadExactlyAsync(payload);
        var settings = Enumerable.Range(0, payload.Length / 6).ToDictionary(
            i => (payload[i * 6] << 8) | payload[(i * 6) + 1],
            i => (long)(((uint)payload[(i * 6) + 2] << 24) | ((uint)payload[(i * 6) + 3] << 16) | ((uint)payload[(i * 6) + 4] << 8) | payload[(i * 6) + 5]));
        Assert.Equal(20000, settings[3]); // SETTINGS_MAX_CONCURRENT_STREAMS
    }

    private static async Task<List<string>> ReadUntilUpAsync(Process p)
    {
        var lines = new List<string>();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (await p.StandardOutput.ReadLineAsync(cts.Token) is { } line)
        {
            lines.Add(line);
            if (line.StartsWith("lab is up", StringComparison.Ordinal))
            {
                return lines;
            }
        }

        throw new InvalidOperationException($"lab up ended early:\n{string.Join('\n', lines)}\n{await p.StandardError.ReadToEndAsync()}");
    }

    private static bool Alive(int pid) => Directory.Exists($"/proc/{pid}") &&
        !File.ReadAllText($"/proc/{pid}/stat").Split(' ')[2].StartsWith('Z');

    [LabFact("nginx", "haproxy")]
    public async Task LabUp_PrintsEndpointsAndCa_AndSigtermLeavesNoChildProcess()
    {
        using var p = StartLabUp("--topologies", "direct-tls,gateway", "--lab", "real");
        var lines = await ReadUntilUpAsync(p);

        Assert.Contains(lines, l => l.StartsWith("direct-tls", StringComparison.Ordinal) && l.Contains("https://127.0.0.1:", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("gateway", StringComparison.Ordinal) && l.Contains("HAProxy", StringComparison.Ordinal));
        var ca = lines.Single(l => l.StartsWith("CA to trust", StringComparison.Ordinal)).Split(' ', StringSplitOptions.RemoveEmptyEntries)[3];
        Assert.True(File.Exists(ca), ca);
        var pids = lines.Where(l => l.StartsWith("child pid", StringComparison.Ordinal)).Select(l => int.Parse(l.Split(' ', StringSplitOptions.RemoveEmptyEntries)[2], System.Globalization.CultureInfo.InvariantCulture)).ToList();
        Assert.Equal(2, pids.Count);
        // NGINX's workers are children of its master: they must go too.
        var all = pids.Concat(pids.SelectMany(pid => File.ReadAllText($"/proc/{pid}/task/{pid}/children").Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(int.Parse))).ToList();
        Assert.All(all, pid => Assert.True(Alive(pid), $"pid {pid} not running while the lab is up"));

        using (var kill = Process.Start("kill", ["-TERM", p.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
        {
            await kill.WaitForExitAsync();
        }

        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        await p.WaitForExitAsync(cts.Token);
        Assert.Equal(0, p.ExitCode);
        Assert.False(Directory.Exists(Path.GetDirectoryName(ca)), "the lab's certificate folder was left behind");
        // Give the kernel a moment to reap; then nothing the lab started may be running.
        var deadline = DateTime.UtcNow.AddSeconds(5);
        while (all.Any(Alive) && DateTime.UtcNow < deadline)
        {
            await Task.Delay(100);
        }

        Assert.DoesNotContain(all, Alive);
    }

    [Fact(Timeout = SerialLoad.TimeoutMs)]
    public async Task LabUp_Embedded_ForADuration_StopsByItself()
    {
        using var p = StartLabUp("--topologies", "gateway", "--lab", "embedded", "--for", "1s");
        var lines = await ReadUntilUpAsync(p);

        Assert.Contains(lines, l => l.StartsWith("gateway", StringComparison.Ordinal) && l.Contains("embedded .NET proxy", StringComparison.Ordinal));
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        await p.WaitForExitAsync(cts.Token);
        Assert.Equal(0, p.ExitCode);
        Assert.Contains("lab: stopping", await p.StandardOutput.ReadToEndAsync(), StringComparison.Ordinal);
    }
}
