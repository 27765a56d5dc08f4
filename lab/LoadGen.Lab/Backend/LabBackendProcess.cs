using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;

namespace LoadGen.Lab.Backend;

/// <summary>
/// The lab backend as a child process (<c>loadgen lab backend</c>), so its work and its GC pauses are not the
/// generator's send lag: what <c>run</c>, <c>compare</c> and <c>demo</c> use, as the bench always did. Bound to
/// LoadGen's life like the real proxies (<see cref="LabChildren"/>); its counters and the holds of
/// <c>directives.delay</c> are read over HTTP from its health port (<see cref="LabBackend.StatsPath"/>).
/// </summary>
public sealed class LabBackendProcess : IAsyncDisposable
{
    private readonly IReadOnlyList<string> _command;
    private readonly LabBackendOptions _options;
    private readonly string _folder;
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(10) };
    private Process _process;

    private LabBackendProcess(IReadOnlyList<string> command, LabBackendOptions options, string folder, Process process)
    {
        _command = command;
        _options = options;
        _folder = folder;
        _process = process;
        var host = options.Host.Contains(':', StringComparison.Ordinal) ? $"[{options.Host}]" : options.Host;
        GrpcAddress = new Uri($"http://{host}:{options.GrpcPort}");
        HealthAddress = new Uri($"http://{host}:{options.HealthPort}{options.HealthPath}");
        StatsAddress = new Uri($"http://{host}:{options.HealthPort}{LabBackend.StatsPath}");
    }

    public Uri GrpcAddress { get; }

    public Uri HealthAddress { get; }

    public Uri StatsAddress { get; }

    /// <summary>The child's process id (the lab's children, for tests that check nothing is left).</summary>
    public int ProcessId => _process.Id;

    /// <summary>
    /// Starts <paramref name="command"/> + <c>lab backend …</c> on free ports (or the options' ports) and returns once it
    /// answers its health check.
    /// </summary>
    /// <param name="command">How to start LoadGen itself: the apphost, or the dotnet host and loadgen.dll.</param>
    public static async Task<LabBackendProcess> StartAsync(IReadOnlyList<string> command, LabBackendOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(command);
        ArgumentNullException.ThrowIfNull(options);
        if (options.Tls is not null || options.StreamCutoff is not null)
        {
            throw new ArgumentException("the backend's own process serves h2c without a cut-off (TLS and cut-offs are for the in-process backend)", nameof(options));
        }

        var ip = IPAddress.Parse(options.Host);
        options = options with
        {
            GrpcPort = options.GrpcPort == 0 ? LabBackend.FreePort(ip) : options.GrpcPort,
            HealthPort = options.HealthPort == 0 ? LabBackend.FreePort(ip) : options.HealthPort,
        };
        var folder = LabChildren.CreateFolder("backend");
        var child = new LabBackendProcess(command, options, folder, Launch(command, options, folder));
        await child.WaitReadyAsync(cancellationToken);
        return child;
    }

    /// <summary>The arguments of <c>loadgen lab backend</c> that give it these options.</summary>
    public static IReadOnlyList<string> Arguments(LabBackendOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var args = new List<string>
        {
            "lab", "backend", "--host", options.Host,
            "--grpc-port", options.GrpcPort.ToString(CultureInfo.InvariantCulture),
            "--health-port", options.HealthPort.ToString(CultureInfo.InvariantCulture),
            "--max-streams-per-connection", options.MaxStreamsPerConnection.ToString(CultureInfo.InvariantCulture),
        };
        if (options.MaxConnectionAge is { } age)
        {
            args.AddRange(["--max-connection-age", Ms(age), "--max-connection-age-grace", Ms(options.MaxConnectionAgeGrace)]);
        }

        return args;
    }

    private static string Ms(TimeSpan t) => t.TotalMilliseconds.ToString("0", CultureInfo.InvariantCulture) + "ms";

    private static Process Launch(IReadOnlyList<string> command, LabBackendOptions options, string folder) =>
        LabChildren.Start(command[0], [.. command.Skip(1), .. Arguments(options)], folder);

    private async Task WaitReadyAsync(CancellationToken cancellationToken)
    {
        // A .NET process starts in well under a second here; a loaded CI machine gets 30 s before it is an error.
        var until = Stopwatch.GetTimestamp() + (30 * Stopwatch.Frequency);
        while (Stopwatch.GetTimestamp() < until)
        {
            if (_process.HasExited)
            {
                var stderr = await _process.StandardError.ReadToEndAsync(cancellationToken);
                var stdout = await _process.StandardOutput.ReadToEndAsync(cancellationToken);
                throw new InvalidOperationException($"the lab backend's process exited at start (code {_process.ExitCode}): {stderr}{stdout}".Trim());
            }

            try
            {
                using var response = await _http.GetAsync(HealthAddress, cancellationToken);
                if (response.IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
            }
            catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
            }

            await Task.Delay(50, cancellationToken);
        }

        throw new InvalidOperationException($"the lab backend's process did not answer {HealthAddress} within 30 s");
    }

    /// <summary>What the backend has seen so far (streams, messages, the holds of <c>directives.delay</c>).</summary>
    public async Task<LabBackendSnapshot?> StatsAsync(CancellationToken cancellationToken = default)
    {
        try
        {
            return await _http.GetFromJsonAsync<LabBackendSnapshot>(StatsAddress, cancellationToken);
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException or System.Text.Json.JsonException)
        {
            return null;
        }
    }

    /// <summary>
    /// As a crash: SIGKILL (every TCP connection dropped by the kernel at once), down for <paramref name="down"/>, then a
    /// fresh process on the same ports. Its counters start again from zero.
    /// </summary>
    public async Task<string> KillAndRestartAsync(TimeSpan down, CancellationToken cancellationToken = default)
    {
        _process.Kill(entireProcessTree: true);
        await _process.WaitForExitAsync(CancellationToken.None);
        _process.Dispose();
        await Task.Delay(down, cancellationToken);
        _process = Launch(_command, _options, _folder);
        await WaitReadyAsync(cancellationToken);
        return $"backend process killed (SIGKILL: every connection dropped), down {down.TotalSeconds:0.###} s, back on port {_options.GrpcPort}";
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            // SIGTERM: the backend stops as on Ctrl-C; killed if it has not within 5 s.
            ProcessSignals.Send(_process.Id, ProcessSignals.SigTerm);
            await LabBinaries.ExitOrKillAsync(_process, TimeSpan.FromSeconds(5));
        }

        _process.Dispose();
        _http.Dispose();
        try
        {
            Directory.Delete(_folder, recursive: true);
        }
        catch (IOException)
        {
            // Left for the OS to clean.
        }
    }
}

/// <summary>What a lab backend reports at <see cref="LabBackend.StatsPath"/>.</summary>
/// <param name="HoldsMs">How long <c>directives.delay</c> really held replies: count, min, p50, p99, max (ms); null when nothing was held.</param>
public sealed record LabBackendSnapshot(long TotalStreams, long ActiveStreams, long MessagesReceived, long MessagesSent, LabHolds? HoldsMs);

/// <param name="AskedMs">The delay asked for (the most common one, when several were).</param>
public sealed record LabHolds(long Count, double AskedMs, double Min, double P50, double P99, double Max);
