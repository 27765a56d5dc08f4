using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace LoadGen.Lab;

/// <summary>Finds the real proxies the lab prefers over its embedded stand-ins.</summary>
public static class LabBinaries
{
    /// <summary>Set (to 1) where the real binaries must be used: a missing one is then an error, never a quiet fallback.</summary>
    public const string RequireVariable = "LOADGEN_REQUIRE_LAB_BINARIES";

    public static bool Required => Environment.GetEnvironmentVariable(RequireVariable) is "1" or "true";

    /// <summary>
    /// $<paramref name="overrideVariable"/>, then /usr/sbin, /usr/bin, then PATH; null when missing.
    /// The variable set to <c>none</c> hides the binary (to see what a machine without it gets).
    /// </summary>
    public static string? Find(string overrideVariable, string name)
    {
        if (Environment.GetEnvironmentVariable(overrideVariable) == "none")
        {
            return null;
        }

        var candidates = new List<string?> { Environment.GetEnvironmentVariable(overrideVariable), $"/usr/sbin/{name}", $"/usr/bin/{name}" };
        candidates.AddRange((Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries).Select(d => Path.Combine(d, name)));
        return candidates.FirstOrDefault(c => !string.IsNullOrEmpty(c) && File.Exists(c));
    }

    /// <summary>
    /// Waits until <paramref name="process"/> accepts TCP connections on every port, or throws with
    /// what it said (<paramref name="log"/>) when it exits or does not listen within 10 s.
    /// </summary>
    public static async Task WaitListeningAsync(Process process, string name, IReadOnlyList<int> ports, Func<string> log, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(process);
        ArgumentNullException.ThrowIfNull(ports);
        ArgumentNullException.ThrowIfNull(log);
        var until = DateTime.UtcNow.AddSeconds(10);
        while (DateTime.UtcNow < until)
        {
            if (process.HasExited)
            {
                var stderr = await process.StandardError.ReadToEndAsync(ct);
                throw new InvalidOperationException($"{name} exited at start (code {process.ExitCode}): {stderr}{log()}");
            }

            var all = true;
            foreach (var port in ports)
            {
                all &= await AcceptsAsync(port, ct);
            }

            if (all)
            {
                return;
            }

            await Task.Delay(50, ct);
        }

        throw new TimeoutException($"{name} did not listen on {string.Join(", ", ports)} within 10 s: {log()}");
    }

    /// <summary>Waits up to <paramref name="grace"/> for <paramref name="process"/> to exit (after a stop signal), then kills its tree.</summary>
    public static async Task ExitOrKillAsync(Process process, TimeSpan grace, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(process);
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        cts.CancelAfter(grace);
        try
        {
            await process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync(CancellationToken.None);
        }
    }

    private static async Task<bool> AcceptsAsync(int port, CancellationToken ct)
    {
        using var s = new Socket(SocketType.Stream, ProtocolType.Tcp);
        try
        {
            await s.ConnectAsync(IPAddress.Loopback, port, ct);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }
}
