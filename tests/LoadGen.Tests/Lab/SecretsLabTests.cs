using LoadGen.Core.Outcomes;
using LoadGen.Lab.Backend;
using LoadGen.Lab.Esp;
using LoadGen.Results;
using LoadGen.Tests.Cli;

namespace LoadGen.Tests.Lab;

/// <summary>
/// ESP-style auth through real NGINX: the bearer token from an env var, the API key from a file that
/// is rotated mid-run; afterwards no output of the run carries either credential.
/// </summary>
[Collection(LoadGen.Tests.Integration.SerialLoad.Name)]
public class SecretsLabTests
{
    [LabFact("nginx")]
    public async Task TokenFromEnv_KeyFromARotatedFile_StreamsPass_AndNoOutputCarriesACredential()
    {
        var token = $"tok-{Guid.NewGuid():N}";
        var oldKey = $"key-old-{Guid.NewGuid():N}";
        var newKey = $"key-new-{Guid.NewGuid():N}";
        var envVar = $"LOADGEN_TEST_TOKEN_{Guid.NewGuid():N}";
        Environment.SetEnvironmentVariable(envVar, token);
        var dir = TestTemp.Path("secrets");
        Directory.CreateDirectory(dir);
        var keyFile = Path.Combine(dir, "api-key");
        await File.WriteAllTextAsync(keyFile, oldKey + "\n");

        await using var backend = await LabBackend.StartAsync(new LabBackendOptions());
        await using var esp = await EspStandIn.StartAsync(new EspOptions
        {
            Backend = new Uri($"grpc://{backend.GrpcAddress.Authority}"),
            ApiKey = oldKey,
            BearerToken = token,
            WorkerShutdownTimeout = TimeSpan.FromSeconds(1),
        });
        var scenario = Path.Combine(dir, "auth.yaml");
        await File.WriteAllTextAsync(scenario, $$"""
            name: auth
            targets:
              - name: esp
                address: {{esp.Http2Address}}
                metadata:
                  authorization: "Bearer ${env:{{envVar}}}"
                  x-api-key: "${file:api-key}"
                metadataRefresh: 1s
            profile:
              phases:
                - ramp: 20
                  over: 1s
                - hold: 12s
            messages:
              interval: 200ms
            interval: 1s
            """);
        var outDir = Path.Combine(dir, "out");

        var run = CliRunner.RunAsync("run", "--scenario", scenario, "--out", outDir);
        // Rotate the key on disk, give the run a refresh to read it, then make the ESP want it:
        // the reload ends the old worker's streams, and their re-opens must carry the new key.
        await Task.Delay(TimeSpan.FromSeconds(4));
        await File.WriteAllTextAsync(keyFile, newKey + "\n");
        await Task.Delay(TimeSpan.FromSeconds(2));
        await esp.ReconfigureAsync(o => o with { ApiKey = newKey });
        var (code, stdout, stderr) = await run;

        Assert.True(code == 0, $"exit {code}\n{stdout}\n{stderr}");
        var folder = Directory.GetDirectories(outDir).Single();
        var summary = RunFolder.Open(folder).ReadSummary();
        var t = Assert.Single(summary.Topologies);
        Assert.DoesNotContain("http-status:401", t.Outcomes.Keys);
        Assert.True(t.Streams.Opened > 20, $"the reload's ends were re-opened with the rotated key: opened {t.Streams.Opened}");
        Assert.Equal(20, t.Outcomes[EndCauses.ClientClosed]);
        Assert.Contains($"${{env:{envVar}}}", t.Connection, StringComparison.Ordinal);

        // The run folder, the console, and the ESP stand-in's own files (its nginx.conf asks an in-memory check).
        var outputs = Directory.GetFiles(folder, "*", SearchOption.AllDirectories).Concat(Directory.GetFiles(esp.Prefix, "*", SearchOption.AllDirectories))
            .Select(f => (Name: f, Text: File.ReadAllText(f)))
            .Append((Name: "stdout", Text: stdout)).Append((Name: "stderr", Text: stderr)).ToList();
        Assert.Contains(outputs, o => o.Name.EndsWith("report.html", StringComparison.Ordinal));
        foreach (var (name, text) in outputs)
        {
            foreach (var secret in new[] { token, oldKey, newKey })
            {
                Assert.False(text.Contains(secret, StringComparison.Ordinal), $"{name} carries a credential");
            }
        }

        Environment.SetEnvironmentVariable(envVar, null);
    }

    [Fact]
    public async Task CredentialWrittenIntoTheScenario_OrAMissingEnvVar_IsRefusedWithItsLine()
    {
        var dir = TestTemp.Path("secrets");
        Directory.CreateDirectory(dir);
        var literal = Path.Combine(dir, "literal.yaml");
        await File.WriteAllTextAsync(literal, """
            name: literal
            targets:
              - name: esp
                address: http://127.0.0.1:1
                metadata:
                  x-api-key: "key-7f3a9c"
            """);
        var missing = Path.Combine(dir, "missing.yaml");
        await File.WriteAllTextAsync(missing, """
            name: missing
            targets:
              - name: esp
                address: http://127.0.0.1:1
                metadata:
                  authorization: "Bearer ${env:LOADGEN_TEST_NO_SUCH_VAR}"
            """);

        var (code1, _, err1) = await CliRunner.RunAsync("run", "--scenario", literal);
        var (code2, _, err2) = await CliRunner.RunAsync("run", "--scenario", missing);
        var plain = Path.Combine(dir, "plain.yaml");
        await File.WriteAllTextAsync(plain, """
            name: plain
            targets:
              - name: esp
                address: http://127.0.0.1:1
            profile:
              phases:
                - ramp: 1
                  over: 1s
            """);
        var (code3, _, err3) = await CliRunner.RunAsync("run", "--scenario", plain, "-H", "x-api-key=plain-key-1234");

        Assert.Equal(2, code1);
        Assert.Contains("literal.yaml:6", err1, StringComparison.Ordinal);
        Assert.Contains("carries a credential", err1, StringComparison.Ordinal);
        Assert.DoesNotContain("key-7f3a9c", err1, StringComparison.Ordinal);
        Assert.Equal(2, code2);
        Assert.Contains("missing.yaml:6", err2, StringComparison.Ordinal);
        Assert.Contains("LOADGEN_TEST_NO_SUCH_VAR is not set", err2, StringComparison.Ordinal);
        Assert.Equal(2, code3);
        Assert.Contains("--metadata x-api-key", err3, StringComparison.Ordinal);
        Assert.Contains("carries a credential", err3, StringComparison.Ordinal);
        Assert.DoesNotContain("plain-key-1234", err3, StringComparison.Ordinal);
    }
}
