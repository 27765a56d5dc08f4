namespace LoadGen.Results.Analysis;

/// <summary>
/// One opened stream's end: seconds it lived since its response headers, how long each side had
/// been quiet (since the last frame, or since the headers when there was none), and whether the end
/// was planned by LoadGen (censored for survival) or not.
/// </summary>
/// <param name="EndedAtS">When the stream ended, in Unix seconds at millisecond precision (NaN when unknown).</param>
/// <param name="SurvivedClientQuietS">The longest the client was quiet with the stream living on (a gap between sends, or a planned end's final quiet); NaN when unknown.</param>
/// <param name="SurvivedServerQuietS">The same for the server's replies.</param>
/// <param name="Sent">Messages the client sent on the stream (-1 when unknown).</param>
/// <param name="Received">Messages it received (-1 when unknown).</param>
/// <param name="Connection">The TCP connection it ran on (<see cref="OutcomeRecord.TcpConnection"/>; 0 when unknown).</param>
/// <param name="ConnectionAgeS">That connection's age at the stream's end (NaN when unknown).</param>
/// <param name="PhaseS">Seconds from the response headers to the stream's first scheduled send (NaN when unknown, or no schedule).</param>
public readonly record struct EndSample(
    string Cause,
    double LifetimeS,
    double ClientQuietS,
    double ServerQuietS,
    bool Planned,
    double EndedAtS = double.NaN,
    double SurvivedClientQuietS = double.NaN,
    double SurvivedServerQuietS = double.NaN,
    long Sent = -1,
    long Received = -1,
    long Connection = 0,
    double ConnectionAgeS = double.NaN,
    double PhaseS = double.NaN);

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

        var clientQuiet = Math.Min(outcome.SinceLastSendS ?? lifetime, lifetime);
        var serverQuiet = Math.Min(outcome.SinceLastReceiveS ?? lifetime, lifetime);
        var planned = EndCauses.IsPlanned(outcome.Cause);
        // A planned end's last quiet was survived too: LoadGen ended the stream, not the quiet.
        double Survived(double? longestGap, double finalQuiet) =>
            longestGap is not { } gap ? double.NaN : planned ? Math.Max(gap, finalQuiet) : gap;
        return new EndSample(
            outcome.Cause,
            lifetime,
            clientQuiet,
            serverQuiet,
            planned,
            UnixSeconds(outcome.Time),
            Survived(outcome.LongestSendGapS, clientQuiet),
            Survived(outcome.LongestReceiveGapS, serverQuiet),
            outcome.Sent,
            outcome.Received,
            outcome.TcpConnection ?? 0,
            outcome.TcpConnectionAgeS ?? double.NaN,
            outcome.PhaseS ?? double.NaN);
    }

    /// <summary>Wall-clock seconds at millisecond precision, the unit of <see cref="EndSample.EndedAtS"/> and of fault windows.</summary>
    public static double UnixSeconds(DateTimeOffset t) => t.ToUnixTimeMilliseconds() / 1000.0;
}
