namespace LoadGen.Tests;

/// <summary>
/// Where tests put their files: one folder per test under one root per test run, all removed when the runner is done
/// with the assembly (<see cref="TestTempCleanup"/>) and again when the test process ends; the root lives under the
/// test build's output, never in the system's temp folder.
/// </summary>
internal static class TestTemp
{
    static TestTemp()
    {
        // Under the test build's output, not the system's temp folder: the test host is ended soon after the last test,
        // and a loaded CI run twice caught the removal half done (/tmp/loadgen-tests-* left behind, though every test
        // passed). What a killed host leaves here is swept by the next run (folders of processes that are gone);
        // .ci/run still checks the system's temp folder for what LoadGen itself leaves.
        var parent = System.IO.Path.Combine(AppContext.BaseDirectory, "test-temp");
        Root = System.IO.Path.Combine(parent, $"run-{Environment.ProcessId}");
        SweepDeadRuns(parent);
        Directory.CreateDirectory(Root);
        AppDomain.CurrentDomain.ProcessExit += (_, _) => RemoveRoot();
    }

    private static readonly Lock Removing = new();

    /// <summary>Removes the folders of earlier test runs whose process is gone.</summary>
    private static void SweepDeadRuns(string parent)
    {
        if (!Directory.Exists(parent))
        {
            return;
        }

        foreach (var dir in Directory.GetDirectories(parent, "run-*"))
        {
            if (int.TryParse(System.IO.Path.GetFileName(dir)["run-".Length..], out var pid) && pid != Environment.ProcessId && !Alive(pid))
            {
                Remove(dir);
            }
        }
    }

    private static bool Alive(int pid)
    {
        try
        {
            using var p = System.Diagnostics.Process.GetProcessById(pid);
            return !p.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }

    /// <summary>
    /// Removes this run's folder, one caller at a time: the runner's disposal and the process exit came 15 ms apart and
    /// deleted the same tree at once, each stopping at a file the other had just removed (a loaded CI run passed all
    /// 426 tests and left /tmp/loadgen-tests-* half deleted). The process exit waits for a removal under way.
    /// </summary>
    public static void RemoveRoot()
    {
        lock (Removing)
        {
            Remove(Root);
        }
    }

    /// <summary>This test run's folder (removed at the end of the run).</summary>
    public static string Root { get; }

    /// <summary>A new, empty folder for one test.</summary>
    public static string Folder(string name)
    {
        var dir = Path(name);
        Directory.CreateDirectory(dir);
        return dir;
    }

    /// <summary>A fresh path under the run's folder that does not exist yet (for a file, or a folder a command creates).</summary>
    public static string Path(string name) => System.IO.Path.Combine(Root, $"{name}-{Guid.NewGuid():N}");

    /// <summary>Removes <paramref name="dir"/> and what is in it; a file still held is left to the end of the run.</summary>
    public static void Remove(string dir)
    {
        // Three tries: a file that something else removed or made while the tree was walked fails one pass.
        for (var attempt = 0; attempt < 3 && Directory.Exists(dir); attempt++)
        {
            try
            {
                Directory.Delete(dir, recursive: true);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
            }
        }
    }
}
