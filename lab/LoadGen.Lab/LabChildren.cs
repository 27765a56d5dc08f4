using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;

namespace LoadGen.Lab;

/// <summary>
/// Starts the lab's real proxies (NGINX, HAProxy) so that they cannot outlive LoadGen, however it
/// ends — SIGKILL and the OOM killer included — and owns the lab's temporary folders.
/// <para>
/// First line: each child starts under util-linux's <c>setpriv --pdeathsig TERM</c>, which sets
/// Linux's parent-death signal and then execs the proxy (same PID): when LoadGen dies, the kernel
/// sends the proxy SIGTERM — NGINX's fast shutdown, which also ends its workers; HAProxy's stop.
/// The kernel ties that signal to the <em>thread</em> that forked the child, not the process, so
/// every child is forked from one dedicated thread that lives as long as the process (a thread-pool
/// thread retiring would otherwise stop the proxy mid-run).
/// </para>
/// <para>
/// Second line: every lab folder holds a <see cref="OwnerFile"/> naming its owner (PID and start
/// time) and each child started in it; <see cref="SweepLeftovers"/>, run when a lab comes up, stops
/// the children of owners that are gone and removes their folders.
/// </para>
/// </summary>
public static class LabChildren
{
    /// <summary>The file in each lab folder that names its owner and children.</summary>
    public const string OwnerFile = "loadgen-lab-owner";

    /// <summary>Prefix of every lab folder in the temp folder (e.g. loadgen-lab-esp-XXXXXX).</summary>
    public const string FolderPrefix = "loadgen-lab-";

    private static readonly BlockingCollection<(ProcessStartInfo Start, TaskCompletionSource<Process> Started)> Requests = new();
    private static readonly Lazy<Thread> Spawner = new(() =>
    {
        var t = new Thread(Spawn) { IsBackground = true, Name = "loadgen-lab-spawner" };
        t.Start();
        return t;
    });

    private static readonly Lazy<string?> Setpriv = new(() =>
        OperatingSystem.IsLinux() ? new[] { "/usr/bin/setpriv", "/bin/setpriv" }.FirstOrDefault(File.Exists) : null);

    private static int _swept;

    /// <summary>True when children are bound to LoadGen's life by the parent-death signal (Linux with setpriv).</summary>
    public static bool BoundToOwner => Setpriv.Value is not null;

    /// <summary>A new lab folder in the temp folder, with this process recorded as its owner.</summary>
    public static string CreateFolder(string part)
    {
        var dir = Directory.CreateTempSubdirectory($"{FolderPrefix}{part}-").FullName;
        File.WriteAllText(Path.Combine(dir, OwnerFile), $"owner {Environment.ProcessId} {StartTime(Environment.ProcessId)}\n");
        return dir;
    }

    /// <summary>
    /// Starts <paramref name="binary"/> bound to this process's life and records it in
    /// <paramref name="folder"/>'s owner file. Standard output and error are redirected.
    /// </summary>
    public static Process Start(string binary, IReadOnlyList<string> arguments, string folder)
    {
        ArgumentNullException.ThrowIfNull(arguments);
        var start = new ProcessStartInfo(Setpriv.Value ?? binary)
        {
            UseShellExecute = false,
            RedirectStandardError = true,
            RedirectStandardOutput = true,
        };
        if (Setpriv.Value is not null)
        {
            foreach (var a in (string[])["--pdeathsig", "TERM", "--", binary])
            {
                start.ArgumentList.Add(a);
            }
        }

        foreach (var a in arguments)
        {
            start.ArgumentList.Add(a);
        }

        _ = Spawner.Value;
        var started = new TaskCompletionSource<Process>(TaskCreationOptions.RunContinuationsAsynchronously);
        Requests.Add((start, started));
        var process = started.Task.GetAwaiter().GetResult();
        File.AppendAllText(Path.Combine(folder, OwnerFile), $"child {process.Id} {StartTime(process.Id)}\n");
        return process;
    }

    /// <summary>
    /// Once per process: stops lab children whose owning LoadGen is gone (killed before it could stop
    /// them) and removes their folders. Returns one line saying what was cleaned, or null for nothing.
    /// </summary>
    public static string? SweepLeftovers() => Interlocked.Exchange(ref _swept, 1) == 1 ? null : Sweep(Path.GetTempPath());

    /// <summary>The sweep itself, over the lab folders in <paramref name="tempFolder"/>; null when nothing was left over.</summary>
    public static string? Sweep(string tempFolder)
    {
        if (!OperatingSystem.IsLinux())
        {
            return null;
        }

        var (folders, stopped, owners) = (0, 0, new SortedSet<int>());
        foreach (var dir in Directory.Exists(tempFolder) ? Directory.GetDirectories(tempFolder, FolderPrefix + "*") : [])
        {
            var records = ReadOwnerFile(Path.Combine(dir, OwnerFile));
            if (records is null || records.Owner is not { } owner || Alive(owner.Pid, owner.Started))
            {
                continue;
            }

            foreach (var child in records.Children.Where(c => Alive(c.Pid, c.Started)))
            {
                // The proxy and what it forked (NGINX's workers): SIGKILL, children of a dead owner need no grace.
                foreach (var pid in ProcessSignals.Tree(child.Pid).Reverse())
                {
                    stopped += ProcessSignals.Send(pid, 9) ? 1 : 0;
                }
            }

            try
            {
                Directory.Delete(dir, recursive: true);
                folders++;
                owners.Add(owner.Pid);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // Still held (a process exiting): the next sweep takes it.
            }
        }

        return folders == 0 ? null
            : $"lab: cleaned up after LoadGen process(es) {string.Join(", ", owners)} that ended without stopping their lab: " +
              $"{stopped} leftover NGINX/HAProxy process(es) stopped, {folders} temporary folder(s) removed";
    }

    private sealed record OwnerRecords((int Pid, long Started)? Owner, List<(int Pid, long Started)> Children);

    private static OwnerRecords? ReadOwnerFile(string path)
    {
        string[] lines;
        try
        {
            lines = File.ReadAllLines(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }

        (int, long)? owner = null;
        var children = new List<(int, long)>();
        foreach (var line in lines)
        {
            var w = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (w.Length == 3 && int.TryParse(w[1], CultureInfo.InvariantCulture, out var pid) && long.TryParse(w[2], CultureInfo.InvariantCulture, out var started))
            {
                if (w[0] == "owner")
                {
                    owner = (pid, started);
                }
                else if (w[0] == "child")
                {
                    children.Add((pid, started));
                }
            }
        }

        return new OwnerRecords(owner, children);
    }

    /// <summary>Whether <paramref name="pid"/> runs and is the process that started at <paramref name="started"/> (not a reused PID).</summary>
    private static bool Alive(int pid, long started) => StartTime(pid) is var s && s > 0 && s == started;

    /// <summary>The process's start time in clock ticks since boot (/proc/PID/stat field 22); 0 when it is gone or a zombie.</summary>
    public static long StartTime(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            // Fields after the command name, which is in parentheses and may hold spaces.
            var rest = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            return rest[0] == "Z" ? 0 : long.Parse(rest[19], CultureInfo.InvariantCulture);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException)
        {
            return 0;
        }
    }

    private static void Spawn()
    {
        foreach (var (start, started) in Requests.GetConsumingEnumerable())
        {
            try
            {
                started.SetResult(Process.Start(start) ?? throw new InvalidOperationException($"{start.FileName} did not start"));
            }
#pragma warning disable CA1031 // Any failure to start belongs to the caller, on its own thread.
            catch (Exception e)
#pragma warning restore CA1031
            {
                started.SetException(e);
            }
        }
    }
}
