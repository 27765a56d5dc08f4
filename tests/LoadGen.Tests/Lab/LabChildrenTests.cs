using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;
using LoadGen.Lab;
using LoadGen.Tests.Cli;
using LoadGen.Tests.Integration;

namespace LoadGen.Tests.Lab;

/// <summary>A LoadGen that is killed — SIGKILL, the OOM killer, a CI timeout — leaves no proxy running and nothing behind.</summary>
[Collection(SerialLoad.Name)]
public partial class LabChildrenTests
{
    private static readonly string[] ProxyConfigs = ["nginx.conf", "haproxy.cfg"];

    [LabFact("nginx", "haproxy")]
    public async Task LabUp_Sigkill_LeavesNoProxyRunning_AndItsPortsFree()
    {
        using var p = CliProcess.Start("lab", "up", "--topologies", "direct-tls,gateway", "--lab", "real");
        await WaitForAsync(() => p.Out.Contains("lab is up", StringComparison.Ordinal), p, "lab is up");
        var printed = p.Out.Split('\n').Where(l => l.StartsWith("child pid", StringComparison.Ordinal))
            .Select(l => int.Parse(l.Split(' ', StringSplitOptions.RemoveEmptyEntries)[2], CultureInfo.InvariantCulture)).ToList();
        Assert.Equal(2, printed.Count);

        await KillAndAssertNothingLeftAsync(p);
    }

    [LabFact("nginx", "haproxy")]
    public async Task LabRun_Sigkill_LeavesNoProxyRunning_AndItsPortsFree()
    {
        var scenario = await TempScenario.WriteAsync("killed-lab", """
            name: killed-lab
            targets:
              - name: gateway
                address: lab://gateway
            profile:
              phases:
                - ramp: 20
                  over: 1s
                - hold: 60s
            messages:
              interval: 200ms
            interval: 1s
            """);
        using var p = CliProcess.Start("run", "--scenario", scenario.File, "--out", scenario.OutDir, "--lab", "real", "--quiet");
        await p.WaitForIntervalsAsync(scenario.OutDir, 2, TimeSpan.FromSeconds(60));

        // A run starts the lab backend as its own process too: it must go with LoadGen like the proxies.
        await KillAndAssertNothingLeftAsync(p, backendChild: true);
        TestTemp.Remove(scenario.Dir);
    }

    [Fact(Timeout = SerialLoad.TimeoutMs)]
    public async Task Sweep_StopsADeadOwnersChildren_RemovesItsFolder_AndLeavesLiveOwnersAlone()
    {
        var temp = TestTemp.Folder("sweep");
        using var ended = Process.Start("true")!;
        await ended.WaitForExitAsync();
        using var orphan = Process.Start("sleep", "60")!;
        using var other = Process.Start("sleep", "60")!;
        try
        {
            // A dead owner's folder: its child still runs; a second record's PID belongs to a process
            // started at another time (a reused PID) and must not be touched.
            var dead = Directory.CreateDirectory(Path.Combine(temp, LabChildren.FolderPrefix + "esp-dead")).FullName;
            await File.WriteAllTextAsync(Path.Combine(dead, LabChildren.OwnerFile),
                $"owner {ended.Id} 1\nchild {orphan.Id} {LabChildren.StartTime(orphan.Id)}\nchild {other.Id} 1\n");
            // A live owner's folder (this process): kept, its child untouched.
            var live = Directory.CreateDirectory(Path.Combine(temp, LabChildren.FolderPrefix + "tls-live")).FullName;
            await File.WriteAllTextAsync(Path.Combine(live, LabChildren.OwnerFile),
                $"owner {Environment.ProcessId} {LabChildren.StartTime(Environment.ProcessId)}\nchild {other.Id} {LabChildren.StartTime(other.Id)}\n");

            var said = LabChildren.Sweep(temp);

            Assert.NotNull(said);
            Assert.Contains($"LoadGen process(es) {ended.Id} ", said, StringComparison.Ordinal);
            Assert.Contains("1 leftover NGINX/HAProxy process(es) stopped, 1 temporary folder(s) removed", said, StringComparison.Ordinal);
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            await orphan.WaitForExitAsync(cts.Token);
            Assert.False(Directory.Exists(dead), "the dead owner's folder was left");
            Assert.True(Directory.Exists(live), "a live owner's folder was removed");
            Assert.False(other.HasExited, "a process of a live owner (and a reused PID) was stopped");
            Assert.Null(LabChildren.Sweep(temp));
        }
        finally
        {
            foreach (var s in new[] { orphan, other }.Where(s => !s.HasExited))
            {
                s.Kill();
            }

            TestTemp.Remove(temp);
        }
    }

    /// <summary>
    /// SIGKILLs <paramref name="p"/> and checks, by PID and port, that every proxy it started is gone within
    /// a few seconds; then that the next lab's sweep removes the folders it left.
    /// </summary>
    private static async Task KillAndAssertNothingLeftAsync(CliProcess p, bool backendChild = false)
    {
        var folders = FoldersOwnedBy(p.Pid);
        // The TLS folder, NGINX's prefix and HAProxy's folder (and the backend's, when it runs as its own process).
        Assert.True(folders.Count == (backendChild ? 4 : 3), $"lab folders of pid {p.Pid}: {string.Join(", ", folders)}\n{p.Out}\n{p.Err}");
        var proxies = ProcessSignals.Tree(p.Pid).Skip(1).Where(pid => Command(pid) is "nginx" or "haproxy" || (backendChild && Command(pid) is "dotnet")).ToList();
        Assert.True(proxies.Count >= (backendChild ? 4 : 3), $"expected NGINX's master and worker and HAProxy{(backendChild ? " and the backend" : "")} under pid {p.Pid}, found {proxies.Count}");
        var ports = folders.SelectMany(f => ProxyConfigs.Select(n => Path.Combine(f, n)).Where(File.Exists))
            .SelectMany(f => PortRegex().Matches(File.ReadAllText(f)).Select(m => int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture)))
            .Distinct().ToList();
        Assert.True(ports.Count >= 3, $"ports read from the proxies' configs: {string.Join(", ", ports)}");
        var started = proxies.ToDictionary(pid => pid, LabChildren.StartTime);

        Assert.True(ProcessSignals.Send(p.Pid, 9), "SIGKILL by PID");
        Assert.True(await p.WaitForExitAsync(TimeSpan.FromSeconds(10)), "loadgen did not die of SIGKILL");

        var deadline = DateTime.UtcNow.AddSeconds(5);
        while (DateTime.UtcNow < deadline && proxies.Any(pid => LabChildren.StartTime(pid) == started[pid]))
        {
            await Task.Delay(100);
        }

        Assert.Empty(proxies.Where(pid => LabChildren.StartTime(pid) == started[pid]).Select(pid => $"{pid} ({Command(pid)})"));
        foreach (var port in ports)
        {
            Assert.False(await AcceptsAsync(port), $"port {port} still accepts connections after the kill");
        }

        // The second line of defence: the next lab's sweep removes what the killed one left.
        LabChildren.Sweep(Path.GetTempPath());
        Assert.Empty(FoldersOwnedBy(p.Pid));
    }

    private static List<string> FoldersOwnedBy(int pid) =>
        Directory.GetDirectories(Path.GetTempPath(), LabChildren.FolderPrefix + "*")
            .Where(d => File.Exists(Path.Combine(d, LabChildren.OwnerFile)) &&
                        File.ReadLines(Path.Combine(d, LabChildren.OwnerFile)).FirstOrDefault()?.StartsWith($"owner {pid} ", StringComparison.Ordinal) == true)
            .ToList();

    private static async Task WaitForAsync(Func<bool> condition, CliProcess p, string what)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!condition())
        {
            if (DateTime.UtcNow > deadline || p.Process.HasExited)
            {
                throw new TimeoutException($"no '{what}' within 30 s (exited: {p.Process.HasExited})\n{p.Out}\n{p.Err}");
            }

            await Task.Delay(100);
        }
    }

    private static string Command(int pid)
    {
        try
        {
            return File.ReadAllText($"/proc/{pid}/comm").Trim();
        }
        catch (IOException)
        {
            return "";
        }
    }

    private static async Task<bool> AcceptsAsync(int port)
    {
        using var s = new Socket(SocketType.Stream, ProtocolType.Tcp);
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(2));
        try
        {
            await s.ConnectAsync(IPAddress.Loopback, port, cts.Token);
            return true;
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException)
        {
            return false;
        }
    }

    [GeneratedRegex(@"127\.0\.0\.1:(\d+)")]
    private static partial Regex PortRegex();
}
