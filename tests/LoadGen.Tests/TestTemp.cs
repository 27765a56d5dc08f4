namespace LoadGen.Tests;

/// <summary>
/// Where tests put their files: one folder per test under one root per test run, all removed when the
/// test process ends, so a suite run leaves nothing of its own in the system's temp folder.
/// </summary>
internal static class TestTemp
{
    static TestTemp()
    {
        Root = System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"loadgen-tests-{Environment.ProcessId}");
        Directory.CreateDirectory(Root);
        AppDomain.CurrentDomain.ProcessExit += (_, _) => Remove(Root);
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
        try
        {
            if (Directory.Exists(dir))
            {
                Directory.Delete(dir, recursive: true);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
        }
    }
}
