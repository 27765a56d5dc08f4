using System.Globalization;
using System.Runtime.InteropServices;

namespace LoadGen.Lab;

/// <summary>POSIX signals to the lab's child processes (Linux numbering), and their process trees.</summary>
public static partial class ProcessSignals
{
    public const int SigUsr1 = 10;
    public const int SigTerm = 15;
    public const int SigCont = 18;
    public const int SigStop = 19;

    /// <summary>Sends <paramref name="signal"/> to <paramref name="pid"/>; false when the process is gone.</summary>
    public static bool Send(int pid, int signal) => Kill(pid, signal) == 0;

    /// <summary>The process and its descendants (NGINX's master and its workers), parents first.</summary>
    public static IReadOnlyList<int> Tree(int pid)
    {
        var all = new List<int> { pid };
        for (var i = 0; i < all.Count; i++)
        {
            // Each thread lists the children it forked (LoadGen forks its lab children from a thread of its own).
            var tasks = $"/proc/{all[i]}/task";
            foreach (var task in Directory.Exists(tasks) ? Directory.GetDirectories(tasks) : [])
            {
                try
                {
                    all.AddRange(File.ReadAllText(Path.Combine(task, "children")).Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(s => int.Parse(s, CultureInfo.InvariantCulture)));
                }
                catch (IOException)
                {
                    // The thread or process ended while being read.
                }
            }
        }

        return all;
    }

    /// <summary>
    /// Freezes a process tree (SIGSTOP) for <paramref name="duration"/>, then thaws it (SIGCONT) — a
    /// silent black hole: connections stay open, nothing answers. Thaws even when cancelled.
    /// </summary>
    public static async Task FreezeAsync(int pid, TimeSpan duration, CancellationToken cancellationToken = default)
    {
        var tree = Tree(pid);
        foreach (var p in tree)
        {
            Send(p, SigStop);
        }

        try
        {
            await Task.Delay(duration, cancellationToken);
        }
        finally
        {
            foreach (var p in tree)
            {
                Send(p, SigCont);
            }
        }
    }

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int sig);
}
