using System.Text.Json;
using System.Text.Json.Serialization;
using HdrHistogram;

namespace LoadGen.Results;

/// <summary>summary.json: the run's aggregates and verdict. The schema is documented in docs/summary-schema.md.</summary>
public sealed record RunSummary
{
    public const int CurrentSchemaVersion = 2;

    public int SchemaVersion { get; init; } = CurrentSchemaVersion;

    /// <summary>The version of the end-cause vocabulary the causes below are written in (<see cref="EndCauses.VocabularyVersion"/>).</summary>
    public int VocabularyVersion { get; init; } = EndCauses.VocabularyVersion;

    public required string RunId { get; init; }

    public required string Scenario { get; init; }

    public required DateTimeOffset StartedAt { get; init; }

    public required DateTimeOffset EndedAt { get; init; }

    /// <summary>completed, interrupted (Ctrl-C / SIGTERM), aborted (an abortOnFail threshold failed) or partial (rebuilt from a killed run's folder).</summary>
    public RunCompletion Completion { get; init; } = RunCompletion.Completed;

    /// <summary>pass, fail (a threshold failed) or none (no thresholds).</summary>
    public required RunVerdict Verdict { get; init; }

    public required IReadOnlyList<TopologySummary> Topologies { get; init; }

    /// <summary>
    /// With interleaved rounds (compare): each topology's share of each round, in the order they ran,
    /// so a comparison can tell a difference from round-to-round noise. Empty for a single round.
    /// </summary>
    public IReadOnlyList<RoundSummary> Rounds { get; init; } = [];

    public IReadOnlyList<ThresholdResult> Thresholds { get; init; } = [];

    /// <summary>When <see cref="Completion"/> is aborted: the interval check that stopped the run.</summary>
    public ThresholdAbort? AbortedBy { get; init; }

    /// <summary>Faults on cue as they fired and finished (also in events.ndjson).</summary>
    public IReadOnlyList<FaultEvent> Events { get; init; } = [];

    public ProcessStats? LoadGen { get; init; }

    /// <summary>The lab backend behind this run's lab:// targets, as it saw the run; null without one.</summary>
    public LabBackendSeen? LabBackend { get; init; }

    /// <summary>What a reader must not miss about how the run was made (a target reached without verifying its certificate).</summary>
    public IReadOnlyList<string> Warnings { get; init; } = [];

    /// <summary>Whether LoadGen itself kept up (null in summaries written before this field).</summary>
    public GeneratorStats? Generator { get; init; }

    /// <summary>
    /// How messages were sent: "fixed" or "poisson" (an open loop on a schedule: latency from each message's scheduled
    /// time), or "closed" (the next message when a reply frees a slot: latency from the send). Null when not recorded.
    /// </summary>
    public string? Schedule { get; init; }

    /// <summary>In a closed loop, the messages each stream kept in flight.</summary>
    public int? InFlight { get; init; }

    public static JsonSerializerOptions JsonOptions { get; } = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        // Files for people and tools, never embedded in a page: "p99 < 50ms", not "p99 \u003C 50ms".
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase) },
    };
}

public sealed record TopologySummary
{
    public required string Name { get; init; }

    public required string Address { get; init; }

    public double DurationS { get; init; }

    /// <summary>What stood behind the address: which lab parts were real binaries and which embedded; null for your own endpoint.</summary>
    public string? Components { get; init; }

    /// <summary>How the target was reached when set beyond its address: CA, client certificate, SNI, :authority, keepalive, compression, metadata (templates, never values).</summary>
    public string? Connection { get; init; }

    /// <summary>The path's fingerprint: what its connections and streams announced on the wire (docs/fingerprint.md); null when not recorded.</summary>
    public PathSeen? Path { get; init; }

    /// <summary>Stream-hours lived: the sum of every opened stream's lifetime (the exposure for cause rates).</summary>
    public double StreamHours { get; init; }

    /// <summary>Rounds this topology ran (1 unless the run interleaved rounds).</summary>
    public int Rounds { get; init; } = 1;

    public required StreamCounts Streams { get; init; }

    public required MessageCounts Messages { get; init; }

    /// <summary>Round trip from the scheduled send time (coordinated-omission corrected).</summary>
    public required LatencyStats LatencyMs { get; init; }

    /// <summary>Round trip from the actual send time.</summary>
    public required LatencyStats LatencyUncorrectedMs { get; init; }

    /// <summary>Asking for a stream (slot wait included) to response headers.</summary>
    public required LatencyStats OpenLatencyMs { get; init; }

    /// <summary>How late messages left against their schedule: the client's own share of the corrected latency.</summary>
    public required LatencyStats SendLagMs { get; init; }

    /// <summary>Stream ends by cause.</summary>
    public required IReadOnlyDictionary<string, long> Outcomes { get; init; }

    /// <summary>Unanswered messages (<see cref="MessageCounts.Unanswered"/>) by the cause that ended their stream; empty when every message was answered.</summary>
    public IReadOnlyDictionary<string, long> UnansweredByCause { get; init; } = new Dictionary<string, long>();

    public required ConnectionCounts Connections { get; init; }

    /// <summary>Timeouts inferred from unplanned ends that cluster at one value.</summary>
    public IReadOnlyList<DetectedTimeout> DetectedTimeouts { get; init; } = [];

    /// <summary>How much of the wanted population was open during the hold phases; null when the run had none.</summary>
    public PopulationHeld? Population { get; init; }

    /// <summary>Limits that are not timeouts: ends at one message count, connections the server ends.</summary>
    public IReadOnlyList<DetectedLimit> DetectedLimits { get; init; } = [];

    public ReconnectStats? Reconnects { get; init; }

    public SurvivalSummary? Survival { get; init; }

    /// <summary>The method every stream called, "package.Service/Method".</summary>
    public string? Method { get; init; }

    /// <summary>How replies were matched to requests (ping-pong, by-field, count-only, the lab's sequence numbers).</summary>
    public string? Matching { get; init; }

    /// <summary>Count-only workloads: time between two replies on one stream (their latency is not measurable); null otherwise.</summary>
    public LatencyStats? ReplyGapMs { get; init; }

    /// <summary>Drift inside the run: each figure's trend over the hold-phase intervals (docs/history.md); empty without a hold phase.</summary>
    public IReadOnlyList<DriftResult> Drift { get; init; } = [];
}

/// <summary>One topology's part of one interleaved round.</summary>
public sealed record RoundSummary
{
    public required string Topology { get; init; }

    public required int Round { get; init; }

    public required DateTimeOffset StartedAt { get; init; }

    public double DurationS { get; init; }

    /// <summary>Attempted and opened in this round (ended, peak and slot waits are whole-run figures).</summary>
    public required StreamCounts Streams { get; init; }

    public required MessageCounts Messages { get; init; }

    /// <summary>This round's corrected round trip.</summary>
    public required LatencyStats LatencyMs { get; init; }

    /// <summary>This round's stream open latency (null in summaries written before it was recorded).</summary>
    public LatencyStats? OpenLatencyMs { get; init; }

    public required IReadOnlyDictionary<string, long> Outcomes { get; init; }
}

/// <param name="Count">Streams re-established after an unplanned end.</param>
/// <param name="TimeToReestablishMs">From the loss to the replacement's response headers.</param>
/// <param name="LostForGood">Losses still not re-established when the run ended.</param>
public sealed record ReconnectStats(long Count, LatencyStats TimeToReestablishMs, long LostForGood);

public sealed record StreamCounts(long Attempted, long Opened, long Ended, long PeakActive, long WaitedForSlot);

/// <param name="Sent">Messages the streams sent.</param>
/// <param name="Received">Replies (and pushes) the streams received.</param>
public sealed record MessageCounts(long Sent, long Received)
{
    /// <summary>Messages sent that no reply answered by the end of their stream: lost, whatever ended the stream.</summary>
    public long Unanswered { get; init; }
}

public sealed record ConnectionCounts(int Planned, int MaxStreamsPerConnection, long Opened);

/// <summary>
/// The population during hold phases, sampled every engine tick: the time-weighted mean share of the wanted
/// streams that were open, the lowest share seen, and the share of the hold spent short of wanted while
/// lost streams waited out their reconnect backoff.
/// </summary>
/// <param name="Hint">Why it sagged, when it did (held share below 99%).</param>
public sealed record PopulationHeld(double HoldS, double WantedMean, double HeldMean, double HeldShare, double MinShare, double ShortWhileBackoffShare, string? Hint)
{
    /// <summary>"held 78.2% of 100 wanted (lowest 68%)".</summary>
    public string Describe() => string.Create(System.Globalization.CultureInfo.InvariantCulture,
        $"held {HeldShare * 100:0.#}% of {WantedMean:#,0.#} wanted (lowest {MinShare * 100:0.#}%)");
}

public sealed record LatencyStats(long Count, double? P50, double? P90, double? P99, double? P999, double? Max, double? Mean)
{
    /// <summary>The 95th percentile (absent in summaries written before it was recorded).</summary>
    public double? P95 { get; init; }

    public static LatencyStats From(HistogramBase h) => new(
        h.TotalCount,
        Histograms.PercentileMs(h, 50),
        Histograms.PercentileMs(h, 90),
        Histograms.PercentileMs(h, 99),
        Histograms.PercentileMs(h, 99.9),
        Histograms.MaxMs(h),
        h.TotalCount == 0 ? null : Math.Round(h.GetMean() / 1000.0, 3))
    {
        P95 = Histograms.PercentileMs(h, 95),
    };
}

/// <param name="Actual">What was measured, in <paramref name="Unit"/>; null when nothing was (which fails).</param>
/// <param name="Unit">"ms", "per 1000 stream-hours", "share" or "new causes".</param>
public sealed record ThresholdResult(string Expression, string Topology, double? Actual, double Limit, string Unit, bool Passed)
{
    /// <summary>
    /// How the value was judged when it is not a plain figure: a <c>delta … vs …</c> threshold is judged by the run's
    /// calibrated comparison, on the upper end of its interval ("upper end of +3.2 ms [-1.0 ms, +7.4 ms]"), or why it
    /// could not be ("cannot tell: …"). Null for every other threshold.
    /// </summary>
    public string? Detail { get; init; }

    /// <summary>The measured value for people: "12.3 ms", "0.9 per 1000 stream-hours", "0.9991".</summary>
    public string ActualText => Detail ?? (Actual is not { } a ? "nothing measured" : Unit switch
    {
        "ms" => $"{a.ToString("0.###", System.Globalization.CultureInfo.InvariantCulture)} ms",
        "share" => a.ToString("0.#####", System.Globalization.CultureInfo.InvariantCulture),
        _ => $"{a.ToString("0.###", System.Globalization.CultureInfo.InvariantCulture)} {Unit}",
    });
}

/// <summary>An abortOnFail threshold that failed an interval check, <paramref name="AtS"/> seconds into the run: the run stopped there.</summary>
public sealed record ThresholdAbort(ThresholdResult Threshold, double AtS)
{
    /// <summary>"threshold 'p99 &lt; 50ms' failed for gateway 12 s into the run: 73.2 ms (limit 50 ms)".</summary>
    public string Describe() => string.Create(System.Globalization.CultureInfo.InvariantCulture,
        $"threshold '{Threshold.Expression}' failed for {Threshold.Topology} {AtS:0} s into the run: {Threshold.ActualText} (limit {Threshold.Limit:0.###}{(Threshold.Unit == "ms" ? " ms" : " " + Threshold.Unit)})");
}

/// <summary>
/// The lab backend behind a run: whether it ran as its own process (so its work was not the generator's), and how long
/// <c>directives.delay</c> really held replies — the known answer a latency difference should recover, not the delay asked.
/// </summary>
/// <param name="OwnProcess">False when it ran inside LoadGen's process (LOADGEN_LAB_BACKEND=in-process).</param>
/// <param name="Held">Null when no reply was held.</param>
public sealed record LabBackendSeen(bool OwnProcess, long Streams, long MessagesReceived, DelayHeld? Held)
{
    /// <summary>"lab backend: its own process; directives.delay 5 ms held min 5 ms, p50 5.02 ms, p99 5.61 ms, max 9.1 ms (40,000 replies)".</summary>
    public string Describe()
    {
        var where = OwnProcess ? "its own process" : "inside LoadGen's process (its work and GC count as LoadGen's send lag)";
        return Held is not { } h ? $"lab backend: {where}" : string.Create(System.Globalization.CultureInfo.InvariantCulture,
            $"lab backend: {where}; directives.delay {h.AskedMs:0.###} ms held min {h.MinMs:0.###} ms, p50 {h.P50Ms:0.###} ms, p99 {h.P99Ms:0.###} ms, max {h.MaxMs:0.###} ms ({h.Count:#,0} replies)");
    }
}

/// <param name="AskedMs">The delay asked for.</param>
public sealed record DelayHeld(long Count, double AskedMs, double MinMs, double P50Ms, double P99Ms, double MaxMs);

/// <summary>LoadGen's own footprint, so a report can show the tool was not the bottleneck.</summary>
public sealed record ProcessStats(double PeakRssMb, double CpuSeconds, double AvgCpuPercentOfOneCore, int Processors)
{
    /// <summary>Share of wall time the GC paused LoadGen (0–1).</summary>
    public double? GcPauseShare { get; init; }

    /// <summary>The longest thread-pool queue seen (work items waiting for a thread), sampled every 250 ms.</summary>
    public long? ThreadPoolQueueMax { get; init; }

    /// <summary>Managed bytes the process allocated over the run, MB (GC.GetTotalAllocatedBytes): the GC's work, per message in bench/perf.sh.</summary>
    public double? AllocatedMb { get; init; }
}

/// <summary>
/// Whether the generator kept up (see <c>GeneratorHealth</c>): its CPU share of the machine, its send lag
/// over all topologies, GC pauses and thread-pool queue; the process-only figures are null for a run
/// rebuilt from its files.
/// </summary>
/// <param name="Saturated">One of the figures says LoadGen could not keep up; <paramref name="Why"/> says which.</param>
public sealed record GeneratorStats(double? CpuShareOfCores, double? SendLagP99Ms, double? SendLagP999Ms, double? GcPauseShare, long? ThreadPoolQueueMax, bool Saturated, string? Why)
{
    /// <summary>The whole machine's busy share of its cores over the run (0–1; null when not measured): LoadGen's and everyone else's.</summary>
    public double? MachineCpuShare { get; init; }

    /// <summary>What processes other than LoadGen took of the machine (0–1); null when not measured.</summary>
    public double? OthersCpuShare => MachineCpuShare is { } m && CpuShareOfCores is { } l ? Math.Round(Math.Max(0, m - l), 3) : null;

    /// <summary>
    /// Who to blame for a saturated generator, with what would help: the machine's other load when it took at least a
    /// third of the machine (LoadGen was crowded out), else LoadGen's own work; null when nothing was measured.
    /// </summary>
    public string? Cause => OthersCpuShare is not { } others ? null
        : others >= 1.0 / 3
            ? string.Create(System.Globalization.CultureInfo.InvariantCulture, $"other processes took {others * 100:0}% of the machine, LoadGen {CpuShareOfCores * 100:0}%: stop the other load, or run LoadGen where it has the cores")
            : string.Create(System.Globalization.CultureInfo.InvariantCulture, $"LoadGen itself took {CpuShareOfCores * 100:0}% of the machine, other processes {others * 100:0}%: fewer streams per LoadGen process, or more shards");
}

/// <summary>
/// A timeout the path imposes, inferred from stream ends that cluster tightly at one value:
/// direction client-quiet, server-quiet, both-quiet or age.
/// </summary>
public sealed record DetectedTimeout(string Direction, double Seconds, string Cause, long Count);

/// <summary>
/// A limit the path imposes that is not a timeout: <see cref="Messages"/> (ends after <paramref name="Value"/>
/// messages) or <see cref="Connection"/> (the server ends connections; <paramref name="Value"/> streams per
/// connection). <paramref name="Text"/> says it in one line.
/// </summary>
public sealed record DetectedLimit(string Kind, double Value, string Cause, long Count, string Text)
{
    public const string Messages = "messages";
    public const string Connection = "connection";

    /// <summary>The server allows fewer concurrent streams per connection than planned (<c>Value</c>: about how many); the client opened more connections.</summary>
    public const string ConcurrentStreams = "concurrent-streams";

    /// <summary>Connection limits: the age at which the server ended its connections, when they cluster.</summary>
    public double? ConnectionAgeS { get; init; }
}
