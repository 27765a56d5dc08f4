using System.Diagnostics;
using LoadGen.Lab;

namespace LoadGen.Tests.Foreign;

/// <summary>
/// A grpc-go 1.33 server (Foreign/grpc-go/echo.go, built once per test run from Debian's golang-google-grpc-dev in
/// GOPATH mode) as a child process: the lab's Chat as an echo, with grpc-go's own server options as flags. It exits
/// when its stdin closes, so a killed test host leaves nothing running.
/// </summary>
internal sealed class GoServer : IDisposable
{
    /// <summary>Where Debian's golang-google-grpc-dev puts grpc-go's source.</summary>
    public const string GoPath = "/usr/share/gocode";

    private static readonly SemaphoreSlim Building = new(1, 1);
    private static string? _binary;
    private readonly Process _process;

    private GoServer(Process process, int port)
    {
        _process = process;
        Address = new Uri($"http://127.0.0.1:{port}");
    }

    public Uri Address { get; }

    /// <summary>Why grpc-go servers cannot run here (null when they can): the Go toolchain or grpc-go's source is missing.</summary>
    public static string? Missing =>
        LabBinaries.Find("LOADGEN_GO", "go") is null ? "go not installed (apt-get install golang-go golang-google-grpc-dev)"
        : !Directory.Exists(Path.Combine(GoPath, "src", "google.golang.org", "grpc")) ? $"grpc-go source not in {GoPath} (apt-get install golang-google-grpc-dev)"
        : null;

    /// <param name="flags">echo.go's flags, e.g. "-max-connection-age=3s".</param>
    public static async Task<GoServer> StartAsync(params string[] flags)
    {
        var binary = await BuildAsync();
        var psi = new ProcessStartInfo(binary) { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var f in flags)
        {
            psi.ArgumentList.Add(f);
        }

        var process = Process.Start(psi)!;
        using var wait = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var line = await process.StandardOutput.ReadLineAsync(wait.Token);
        if (!int.TryParse(line, out var port))
        {
            process.Kill();
            throw new InvalidOperationException($"the grpc-go server did not say its port: '{line}' {await process.StandardError.ReadToEndAsync(wait.Token)}");
        }

        return new GoServer(process, port);
    }

    private static async Task<string> BuildAsync()
    {
        await Building.WaitAsync();
        try
        {
            if (_binary is not null)
            {
                return _binary;
            }

            var source = Path.Combine(Deploy.PublishTests.RepoRoot(), "tests", "LoadGen.Tests", "Foreign", "grpc-go", "echo.go");
            var output = Path.Combine(TestTemp.Folder("grpc-go"), "echo");
            var psi = new ProcessStartInfo(LabBinaries.Find("LOADGEN_GO", "go") ?? "go") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            foreach (var a in new[] { "build", "-o", output, source })
            {
                psi.ArgumentList.Add(a);
            }

            psi.Environment["GOPATH"] = GoPath;
            psi.Environment["GO111MODULE"] = "off";
            psi.Environment["GOFLAGS"] = "";
            using var go = Process.Start(psi)!;
            using var deadline = new CancellationTokenSource(Integration.MachineLoad.Deadline(TimeSpan.FromMinutes(2), TimeSpan.FromMinutes(5)));
            var errors = go.StandardError.ReadToEndAsync(deadline.Token);
            await go.WaitForExitAsync(deadline.Token);
            if (go.ExitCode != 0)
            {
                throw new InvalidOperationException($"go build {source} failed ({go.ExitCode}): {await errors}");
            }

            return _binary = output;
        }
        finally
        {
            Building.Release();
        }
    }

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.Kill();
            _process.WaitForExit(5_000);
        }

        _process.Dispose();
    }
}
