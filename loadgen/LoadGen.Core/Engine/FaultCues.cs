using LoadGen.Core.Scenarios;
using LoadGen.Core.Scenarios.Lab;
using LoadGen.Results;
using Microsoft.Extensions.Logging;

namespace LoadGen.Core.Engine;

/// <summary>
/// Carries out a scenario's faults on cue against a topology and writes each to events.ndjson as it
/// fires and as it finishes, with the span whose stream ends are its doing.
/// </summary>
internal sealed class FaultCues(IFaultInjector? injector, NdjsonWriter<FaultEvent> events, Action<FaultEvent>? observer, TimeProvider time, ILogger log)
{
    /// <summary>Ends this soon after a fault on cue finished are still the fault's doing.</summary>
    private static readonly TimeSpan Aftermath = TimeSpan.FromSeconds(1);

    /// <summary>Fires <paramref name="step"/>; the task ends when the fault has (it never throws).</summary>
    public async Task FireAsync(FaultStep step, TargetOptions target, int? round, CancellationToken cancellationToken)
    {
        var firedAt = time.GetUtcNow();
        FaultEvent Event(string state, string? detail) => new()
        {
            Time = time.GetUtcNow(),
            Topology = target.Name,
            Round = round,
            AtS = step.At.TotalSeconds,
            Action = step.Name,
            Description = step.Describe(),
            State = state,
            Detail = detail,
        };

        void Write(FaultEvent e)
        {
            events.Write(e);
            EngineLog.Fault(log, e.Topology, e.Action, e.AtS, e.State, e.Detail);
            observer?.Invoke(e);
        }

        Write(Event("fired", null));
        FaultEvent end;
        try
        {
            var detail = await injector!.ApplyAsync(step, target, cancellationToken);
            end = Event("done", detail);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            end = Event("failed", $"{e.GetType().Name}: {e.Message}");
        }

        // Stream ends from the firing until the fault's aftermath (and what the lab says lingers) are the fault's doing.
        Write(end with { AffectedFrom = firedAt, AffectedUntil = end.Time + Aftermath + injector!.Lingers(step, target) });
    }
}
