namespace LoadGen.Results.Analysis;

/// <summary>
/// One opened stream's end: seconds it lived since its response headers, how long each side had
/// been quiet (since the last frame, or since the headers when there was none), and whether the end
/// was planned by LoadGen (censored for survival) or not.
/// </summary>
/// <param name="EndedAtS">When the stream ended, in Unix seconds at millisecond precision (NaN when unknown).</param>
public readonly record struct EndSample(string Cause, double LifetimeS, double ClientQuietS, double ServerQuietS, bool Planned, double EndedAtS = double.NaN);

/// <summary>End samples from outcome records: the one conversion the engine (live) and a rebuild (from outcomes.ndjson) share.</summary>
public static class EndSamples
{
    /// <summary>
    /// The sample of an opened stream's end; null for a stream that never opened. A side that never
    /// sent (or never received) has been quiet since the headers.
    /// </summary>
    public static EndSample? From(OutcomeRecord outcome)
    {
        ArgumentNullException.ThrowIfNull(outcome);
        if (outcome.LifetimeS is not { } lifetime)
        {
            return null;
        }

        return new EndSample(
            outcome.Cause,
            lifetime,
            Math.Min(outcome.SinceLastSendS ?? lifetime, lifetime),
            Math.Min(outcome.SinceLastReceiveS ?? lifetime, lifetime),
            EndCauses.IsPlanned(outcome.Cause),
            UnixSeconds(outcome.Time));
    }

    /// <summary>Wall-clock seconds at millisecond precision, the unit of <see cref="EndSample.EndedAtS"/> and of fault windows.</summary>
    public static double UnixSeconds(DateTimeOffset t) => t.ToUnixTimeMilliseconds() / 1000.0;
}
