using LoadGen.Core.Engine;
using LoadGen.Core.Scenarios;
using LoadGen.Lab;
using LoadGen.Results;

namespace LoadGen.Cli;

/// <summary>Turns lab://TOPOLOGY addresses into the lab's topologies, started in this process for the run.</summary>
internal sealed class LabTargets(LabPart parts = LabPart.Auto, Microsoft.Extensions.Logging.ILoggerFactory? logs = null) : IAsyncDisposable
{
    public static IReadOnlyList<string> Known => LabTopologies.Names;

    private LabTopologies? _lab;

    /// <summary>Carries out the scenario's faults on cue against the lab started for it.</summary>
    public IFaultInjector? Injector => _lab is null ? null : new LabFaultInjector(_lab);

    public IReadOnlyList<RunTarget> RunTargets { get; private set; } = [];

    /// <summary>Lab parts that are embedded stand-ins because a binary is missing: the run must say so loudly.</summary>
    public IReadOnlyList<string> Fallbacks { get; private set; } = [];

    /// <summary>Lab targets on embedded stand-ins because the user chose them (--lab embedded): every report says so, the console does not warn.</summary>
    public IReadOnlyList<string> EmbeddedByChoice { get; private set; } = [];

    public static IEnumerable<string> Unknown(Scenario scenario) =>
        scenario.Targets.Where(t => t.Address.Scheme == "lab" && !Known.Contains(t.Address.Host)).Select(t => $"{t.Name}: {t.Address}");

    /// <exception cref="LabComponentMissingException">A topology needs a proxy binary that is missing.</exception>
    public async Task<Scenario> ResolveAsync(Scenario scenario, CancellationToken cancellationToken)
    {
        _lab ??= new LabTopologies(LabFaultInjector.Options(scenario, parts) with { Logs = logs });
        var resolved = new List<TargetOptions>();
        var runTargets = new List<RunTarget>();
        var fallbacks = new List<string>();
        var chosen = new List<string>();
        foreach (var t in scenario.Targets)
        {
            if (t.Address.Scheme != "lab")
            {
                resolved.Add(t);
                runTargets.Add(new RunTarget(t.Name, t.Address.ToString(), null, null));
                continue;
            }

            var endpoint = await _lab.EnsureAsync(t.Address.Host, cancellationToken);
            resolved.Add(t with { Address = endpoint.Address, CaFile = endpoint.CaFile });
            runTargets.Add(new RunTarget(t.Name, t.Address.ToString(), endpoint.Address.ToString(), endpoint.Components));
            fallbacks.AddRange(endpoint.Fallbacks.Except(fallbacks));
            if (endpoint.Fallbacks.Count == 0 && endpoint.Components.Contains("embedded .NET proxy", StringComparison.Ordinal))
            {
                // Chosen, not forced: still not the real proxies, and a reviewer must see that.
                chosen.Add($"{t.Name}: embedded .NET stand-ins instead of NGINX/HAProxy (--lab embedded), so NGINX's and HAProxy's own timeouts, resets and buffering are not in this run");
            }
        }

        RunTargets = runTargets;
        Fallbacks = fallbacks;
        EmbeddedByChoice = chosen;
        return scenario with { Targets = resolved };
    }

    /// <summary>What the lab backend saw of the run (null without a lab, or when it cannot be asked).</summary>
    public async Task<LabBackendSeen?> BackendSeenAsync(CancellationToken cancellationToken)
    {
        if (_lab is null || await _lab.BackendStatsAsync(cancellationToken) is not { } s)
        {
            return null;
        }

        var held = s.HoldsMs is { } h ? new DelayHeld(h.Count, h.AskedMs, h.Min, h.P50, h.P99, h.Max) : null;
        return new LabBackendSeen(_lab.BackendChild is not null, s.TotalStreams, s.MessagesReceived, held);
    }

    public ValueTask DisposeAsync() => _lab?.DisposeAsync() ?? ValueTask.CompletedTask;
}
