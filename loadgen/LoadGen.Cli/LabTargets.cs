using LoadGen.Core.Results;
using LoadGen.Core.Scenarios;
using LoadGen.Lab.Backend;

namespace LoadGen.Cli;

/// <summary>
/// Turns lab://TOPOLOGY addresses into the embedded lab, started in this process for the run.
/// Only backend-h2c (no proxy) exists so far; the proxied topologies come with the lab's proxies.
/// </summary>
internal sealed class LabTargets : IAsyncDisposable
{
    public static readonly IReadOnlyList<string> Known = ["backend-h2c"];

    private LabBackend? _backend;

    public IReadOnlyList<RunTarget> RunTargets { get; private set; } = [];

    public static IEnumerable<string> Unknown(Scenario scenario) =>
        scenario.Targets.Where(t => t.Address.Scheme == "lab" && !Known.Contains(t.Address.Host)).Select(t => $"{t.Name}: {t.Address}");

    public async Task<Scenario> ResolveAsync(Scenario scenario, CancellationToken cancellationToken)
    {
        var resolved = new List<TargetOptions>();
        var runTargets = new List<RunTarget>();
        foreach (var t in scenario.Targets)
        {
            if (t.Address.Scheme != "lab")
            {
                resolved.Add(t);
                runTargets.Add(new RunTarget(t.Name, t.Address.ToString(), null, null));
                continue;
            }

            _backend ??= await LabBackend.StartAsync(new LabBackendOptions(), cancellationToken);
            resolved.Add(t with { Address = _backend.GrpcAddress });
            runTargets.Add(new RunTarget(t.Name, t.Address.ToString(), _backend.GrpcAddress.ToString(), "backend: embedded Kestrel (in-process)"));
        }

        RunTargets = runTargets;
        return scenario with { Targets = resolved };
    }

    public async ValueTask DisposeAsync()
    {
        if (_backend is not null)
        {
            await _backend.DisposeAsync();
        }
    }
}
