namespace LoadGen.Tests.History;

/// <summary>
/// Three real runs of one lab topology for the history tests, made once: two steady ones (the baselines) and a third
/// whose backend holds every reply 200 ms (the release that regressed).
/// </summary>
public sealed class HistoryRuns : IAsyncLifetime
{
    public const string Topology = "backend-h2c";

    public string Steady1 { get; private set; } = "";

    public string Steady2 { get; private set; } = "";

    public string Slow { get; private set; } = "";

    private static string Scenario(string? delay) => $"""
        name: history-test
        targets:
          - name: {Topology}
            address: lab://{Topology}
        profile:
          phases:
            - ramp: 20
              over: 500ms
            - hold: 3500ms
        messages:
          interval: 500ms
        {(delay is null ? "" : $"  directives:\n    delay: {delay}")}
        reportingInterval: 500ms
        warmup: 0s
        """;

    public async Task InitializeAsync()
    {
        var dir = TestTemp.Path("history-runs");
        Directory.CreateDirectory(dir);
        async Task<string> Make(string name, string? delay)
        {
            var file = Path.Combine(dir, name + ".yaml");
            await File.WriteAllTextAsync(file, Scenario(delay));
            var outDir = Path.Combine(dir, name);
            var (code, stdout, stderr) = await LoadGen.Tests.Cli.CliRunner.RunAsync("run", "--scenario", file, "--out", outDir, "--quiet");
            Assert.True(code == 0, $"exit {code}\n{stdout}\n{stderr}");
            return Assert.Single(Directory.GetDirectories(outDir));
        }

        Steady1 = await Make("steady1", null);
        Steady2 = await Make("steady2", null);
        Slow = await Make("slow", "200ms");
    }

    public Task DisposeAsync() => Task.CompletedTask;
}
