using LoadGen.Core.Outcomes;
using LoadGen.Core.Workloads;
using LoadGen.Results;

namespace LoadGen.Core.Engine;

/// <summary>How one stream's end becomes one cause, from where it arose: the server's status, the client's own close or cancel, an open that stalled.</summary>
internal sealed partial class LoadStream
{
    /// <summary>Whether the call already has its final status (the server ended it): a write failing then is the server's doing, not the client's.</summary>
    private static bool CallEnded(IStreamCall call)
    {
        try
        {
            _ = call.GetStatus();
            return true;
        }
        catch (InvalidOperationException)
        {
            return false;
        }
    }

    private Classification OpenStalled() => new(EndCauses.OpenStalled, null, null, "TimeoutException",
        $"no response headers within {_s.OpenTimeout.TotalSeconds:0.###} s (slot wait included)");

    private static Classification ServerEnded(IStreamCall call)
    {
        var status = call.GetStatus();
        return new Classification(EndCauses.ServerStatus(status.StatusCode.ToString()), status.StatusCode.ToString(), null, "", status.Detail.Length == 0 ? null : status.Detail);
    }

    private static Classification Cancelled(Exception e) =>
        OutcomeClassifier.Classify(e) with { Cause = EndCauses.ClientCancelled };
}
