using System.Diagnostics;
using System.Text;
using LoadGen.Tests.Integration;

namespace LoadGen.Tests.Deploy;

/// <summary>
/// The image cannot be built here (no container engine): this runs what its build stage runs — the
/// Dockerfile's own COPY lines into an empty folder, then its RUN publish line for linux-x64 — and starts
/// the binary it made, so the Dockerfile and the tested binary cannot drift apart.
/// </summary>
[Collection(SerialLoad.Name)]
public class PublishTests
{
    [Fact(Timeout = SerialLoad.TimeoutMs)]
    public async Task TheDockerfilesPublishStep_MakesABinaryThatRunsTheDemo_AndWritesItsReports()
    {
        var repo = RepoRoot();
        var dockerfile = File.ReadAllLines(Path.Combine(repo, "Dockerfile"));
        var build = dockerfile.SkipWhile(l => !l.StartsWith("FROM ", StringComparison.Ordinal)).Skip(1).TakeWhile(l => !l.StartsWith("FROM ", StringComparison.Ordinal)).ToList();
        var copies = build.Where(l => l.StartsWith("COPY ", StringComparison.Ordinal)).Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1..]).ToList();
        var run = Assert.Single(build, l => l.StartsWith("RUN ", StringComparison.Ordinal));
        Assert.Equal("RUN sh deploy/publish.sh \"$TARGETARCH\" /out", run);
        var src = TestTemp.Folder("image-src");
        var output = TestTemp.Path("image-out");
        var runs = TestTemp.Folder("image-runs");
        try
        {
            await PublishAndRunAsync(repo, copies, src, output, runs);
        }
        finally
        {
            // Thousands of files (a copy of the sources, a 164 MB self-contained runtime): removed now, not left to the
            // test host's exit, which the test runner does not wait for long enough to delete them all.
            TestTemp.Remove(src);
            TestTemp.Remove(output);
            TestTemp.Remove(runs);
        }
    }

    private static async Task PublishAndRunAsync(string repo, List<string[]> copies, string src, string output, string runs)
    {
        foreach (var c in copies)
        {
            foreach (var from in c[..^1])
            {
                Copy(Path.Combine(repo, from.TrimEnd('/')), Path.Combine(src, c.Length == 2 && c[^1] != "./" ? c[^1].TrimEnd('/') : from.TrimEnd('/')));
            }
        }

        // The build stage's RUN line, with Docker's TARGETARCH for an amd64 image.
        var (code, log) = await RunAsync("sh", src, MachineLoad.Deadline(TimeSpan.FromMinutes(3), TimeSpan.FromMinutes(5)), "deploy/publish.sh", "amd64", output);
        Assert.True(code == 0, $"publish failed ({code}):\n{log}");
        var binary = Path.Combine(output, "loadgen");
        Assert.True(File.Exists(binary), $"no {binary}:\n{log}");
        // Self-contained: the runtime travels with it (the final image has none).
        Assert.True(File.Exists(Path.Combine(output, "libcoreclr.so")), "not self-contained: no libcoreclr.so");

        var (demo, demoLog) = await RunAsync(binary, runs, MachineLoad.Deadline(TimeSpan.FromSeconds(90), TimeSpan.FromMinutes(2.5)),
            "demo", "--lab", "embedded", "--streams", "10", "--duration", "2s", "--warmup", "0s", "--quiet", "--out", runs);
        Assert.True(demo is 0 or 1, $"the published demo failed ({demo}):\n{demoLog}");
        var folder = Assert.Single(Directory.GetDirectories(runs));
        Assert.True(File.Exists(Path.Combine(folder, "summary.json")), demoLog);
        Assert.True(File.Exists(Path.Combine(folder, "report.html")), demoLog);
        Assert.Contains("verdict:", demoLog, StringComparison.Ordinal);

        // The history's SQLite (a native library) travels with the image too: the run is recorded and listed.
        var db = Path.Combine(runs, "history.db");
        var (add, addLog) = await RunAsync(binary, runs, MachineLoad.Deadline(TimeSpan.FromSeconds(30), TimeSpan.FromMinutes(1)), "history", "add", folder, "--release", "1.0", "--history", db);
        Assert.True(add == 0, $"the published history add failed ({add}):\n{addLog}");
        var (list, listLog) = await RunAsync(binary, runs, MachineLoad.Deadline(TimeSpan.FromSeconds(30), TimeSpan.FromMinutes(1)), "history", "list", "--history", db);
        Assert.True(list == 0 && listLog.Contains(Path.GetFileName(folder), StringComparison.Ordinal), $"the published history list ({list}):\n{listLog}");
    }

    internal static string RepoRoot()
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
        {
            if (File.Exists(Path.Combine(d.FullName, "LoadGen.sln")))
            {
                return d.FullName;
            }
        }

        throw new InvalidOperationException($"no LoadGen.sln above {AppContext.BaseDirectory}");
    }

    /// <summary>Copies a file or a folder (without bin/ and obj/, as .dockerignore leaves them out).</summary>
    private static void Copy(string from, string to)
    {
        if (File.Exists(from))
        {
            Directory.CreateDirectory(Path.GetDirectoryName(to)!);
            File.Copy(from, to);
            return;
        }

        Assert.True(Directory.Exists(from), $"the Dockerfile copies {from}, which does not exist");
        foreach (var file in Directory.EnumerateFiles(from, "*", SearchOption.AllDirectories))
        {
            var rel = Path.GetRelativePath(from, file);
            if (rel.Split(Path.DirectorySeparatorChar).Any(p => p is "bin" or "obj"))
            {
                continue;
            }

            var target = Path.Combine(to, rel);
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }
    }

    private static async Task<(int Code, string Log)> RunAsync(string file, string cwd, TimeSpan timeout, params string[] args)
    {
        var psi = new ProcessStartInfo(file) { WorkingDirectory = cwd, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }

        var log = new StringBuilder();
        using var p = Process.Start(psi)!;
        p.OutputDataReceived += (_, e) => { lock (log) { log.AppendLine(e.Data); } };
        p.ErrorDataReceived += (_, e) => { lock (log) { log.AppendLine(e.Data); } };
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await p.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            p.Kill(entireProcessTree: true);
            await p.WaitForExitAsync(CancellationToken.None);
            lock (log)
            {
                return (-1, $"killed after {timeout.TotalSeconds} s\n{log}");
            }
        }

        await Task.Delay(100, CancellationToken.None);
        lock (log)
        {
            return (p.ExitCode, log.ToString());
        }
    }
}
