using LoadGen.Core.Scenarios;
using LoadGen.Core.Scenarios.Lab;

namespace LoadGen.Core.Engine;

/// <summary>Carries out a scenario's faults on cue against the parts of a target (the lab implements it).</summary>
public interface IFaultInjector
{
    /// <summary>Does <paramref name="fault"/> to what stands behind <paramref name="target"/>; returns what was done, in words.</summary>
    /// <remarks>Completes when the fault is over (a stop or a kill "for N s" returns after N s).</remarks>
    Task<string> ApplyAsync(FaultStep fault, TargetOptions target, CancellationToken cancellationToken);

    /// <summary>
    /// How long after <see cref="ApplyAsync"/> returns the fault still ends streams (a reload's old worker
    /// closes its connections at worker_shutdown_timeout): ends until then are the fault's, not a timeout's.
    /// </summary>
    TimeSpan Lingers(FaultStep fault, TargetOptions target) => TimeSpan.Zero;
}
