using System.Text.Json;
using LoadGen.Results;
using LoadGen.Tests.Integration;

namespace LoadGen.Tests.Lab;

/// <summary>
/// A path that changed between a baseline and a soak, as a release review meets it: the same topology name, one
/// NGINX setting changed (http2_max_concurrent_streams). compare-runs must say so before its verdict and in every
/// file, and --expect-path must turn it into a gate either way.
/// </summary>
[Collection(SerialLoad.Name)]
public class PathFingerprintLabTests
{
    private static async Task<string> RunAsync(string name, string lab)
    {
        var outDir = TestTemp.Path("out");
        var file = TestTemp.Path(name) + ".yaml";
        await File.WriteAllTextAsync(file, $"""
            name: {name}
            targets:
              - name: direct-tls
                address: lab://direct-tls
            profile:
              phases:
                - ramp: 20
                  over: 500ms
                - hold: 2s
            messages:
              interval: 200ms
            {lab}
            """);
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        var code = await LoadGen.Cli.Cli.RunAsync(["run", "--scenario", file, "--out", outDir, "--quiet"], stdout, stderr);
        Assert.True(code == 0, $"exit {code}\n{stdout}\n{stderr}");
        return Assert.Single(Directory.GetDirectories(outDir));
    }

    /// <returns>The exit code, stdout, stderr and the comparison's folder.</returns>
    private static async Task<(int Code, string Out, string Err, string? Folder)> CompareAsync(params string[] args)
    {
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        var outDir = TestTemp.Path("compare");
        var code = await LoadGen.Cli.Cli.RunAsync(["compare-runs", .. args, "--out", outDir], stdout, stderr);
        return (code, stdout.ToString(), stderr.ToString(), Directory.Exists(outDir) ? Directory.GetDirectories(outDir).SingleOrDefault() : null);
    }

    [LabFact("nginx")]
    public async Task OneNginxSettingChanged_ChangesTheFingerprint_WarnsOnEveryOutput_AndExpectPathGatesIt()
    {
        var before = await RunAsync("before", "");
        var after = await RunAsync("after", """
            lab:
              esp:
                http2MaxConcurrentStreams: 64
            """);

        var (code, o, e, folder) = await CompareAsync(before, after);

        // Informational by default (exit 0), but said before the verdict and in the files.
        Assert.True(code == 0, $"exit {code}\n{o}\n{e}");
        const string changed = "the path of 'direct-tls' changed between";
        Assert.Contains(changed, e, StringComparison.Ordinal);
        Assert.Contains("h2.max_concurrent_streams: 128 → 64", e, StringComparison.Ordinal);
        Assert.NotNull(folder);
        Assert.Contains(changed, await File.ReadAllTextAsync(Path.Combine(folder, RunFolder.MarkdownFile)), StringComparison.Ordinal);
        Assert.Contains(changed, System.Net.WebUtility.HtmlDecode(await File.ReadAllTextAsync(Path.Combine(folder, RunFolder.HtmlFile))), StringComparison.Ordinal);
        Assert.Contains(changed, await File.ReadAllTextAsync(Path.Combine(folder, RunFolder.JunitFile)), StringComparison.Ordinal);
        using (var json = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(folder, RunFolder.ComparisonFile))))
        {
            var d = Assert.Single(json.RootElement.GetProperty("comparisons")[0].GetProperty("pathDifferences").EnumerateArray());
            Assert.Equal((PathFields.MaxConcurrentStreams, "128", "64"), (d.GetProperty("field").GetString(), d.GetProperty("before").GetString(), d.GetProperty("after").GetString()));
        }

        var same = await CompareAsync(before, after, "--expect-path", "same");
        Assert.True(same.Code == 1, $"exit {same.Code}\n{same.Out}\n{same.Err}");
        Assert.Contains("expect-path same failed: h2.max_concurrent_streams: 128 → 64", same.Out, StringComparison.Ordinal);

        var migrated = await CompareAsync(before, after, "--expect-path", "changed");
        Assert.True(migrated.Code == 0, $"exit {migrated.Code}\n{migrated.Out}\n{migrated.Err}");
        Assert.Contains("expect-path changed passed", migrated.Out, StringComparison.Ordinal);
    }
}
