using System.Diagnostics;
using System.Text;
using LoadGen.Results;

namespace LoadGen.Tests.Cli;

/// <summary>
/// `loadgen` as its own process, as a user runs it: for what only a real process shows (signals,
/// SIGKILL). Output is captured; a process still running when disposed is killed.
/// </summary>
internal sealed class CliProcess : IDisposable
{
    private readonly StringBuilder _out = new();
    private readonly StringBuilder _err = new();

    private CliProcess(Process process) => Process = process;

    public Process Process { get; }

    public int Pid => Process.Id;

    public string Out
    {
        get
        {
            lock (_out)
            {
                return _out.ToString();
            }
        }
    }

    public string Err
    {
        get
        {
            lock (_err)
            {
                return _err.ToString();
            }
        }
    }

    public static CliProcess Start(params string[] args) => Start(null, args);

    /// <param name="env">Variables set (a null value removes one) in the process's environment only.</param>
    public static CliProcess Start(IReadOnlyDictionary<string, string?>? env, params string[] args)
    {
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var (k, v) in env ?? new Dictionary<string, string?>())
        {
            psi.Environment[k] = v;
        }

        psi.ArgumentList.Add(typeof(LoadGen.Cli.Cli).Assembly.Location);
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }

        var p = new CliProcess(Process.Start(psi)!);
        p.Process.OutputDataReceived += (_, e) => Append(p._out, e.Data);
        p.Process.ErrorDataReceived += (_, e) => Append(p._err, e.Data);
        p.Process.BeginOutputReadLine();
        p.Process.BeginErrorReadLine();
        return p;
    }

    /// <summary>Waits until the run folder in <paramref name="outDir"/> has flushed <paramref name="intervals"/> intervals; returns it.</summary>
    /// <param name="timeout">On a quiet machine; stretched with the load (<see cref="Integration.MachineLoad.Deadline"/>, at most 3×).</param>
    public async Task<string> WaitForIntervalsAsync(string outDir, int intervals, TimeSpan timeout)
    {
        timeout = Integration.MachineLoad.Deadline(timeout, timeout * 3);
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline && !Process.HasExited)
        {
            var folder = Directory.Exists(outDir) ? Directory.GetDirectories(outDir).FirstOrDefault() : null;
            var file = folder is null ? null : Path.Combine(folder, RunFolder.IntervalsFile);
            if (file is not null && File.Exists(file) && File.ReadLines(file).Count() >= intervals)
            {
                return folder!;
            }

            await Task.Delay(100);
        }

        throw new TimeoutException($"no run folder with {intervals} intervals in {outDir} after {timeout.TotalSeconds} s (exited: {Process.HasExited})\n{Out}\n{Err}");
    }

    /// <summary>
    /// Waits for the exit; false when it did not come within <paramref name="timeout"/> — the time on a quiet machine,
    /// stretched with the load (<see cref="Integration.MachineLoad.Deadline"/>, at most 3×): a busy runner is slower, not wrong.
    /// </summary>
    /// <param name="stretch">False where the time itself is the claim ("exits at once"): then exactly <paramref name="timeout"/>.</param>
    public async Task<bool> WaitForExitAsync(TimeSpan timeout, bool stretch = true)
    {
        using var cts = new CancellationTokenSource(stretch ? Integration.MachineLoad.Deadline(timeout, timeout * 3) : timeout);
        try
        {
            await Process.WaitForExitAsync(cts.Token);
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    public void Dispose()
    {
        if (!Process.HasExited)
        {
            Process.Kill(entireProcessTree: true);
            Process.WaitForExit();
        }

        Process.Dispose();
    }

    private static void Append(StringBuilder sb, string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (sb)
        {
            sb.AppendLine(line);
        }
    }
}
