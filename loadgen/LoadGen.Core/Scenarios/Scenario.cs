using LoadGen.Core.Scenarios.Lab;
using LoadGen.Core.Workloads;
using LoadGen.Results;
using LoadGen.Results.Analysis;

namespace LoadGen.Core.Scenarios;

/// <summary>A whole load test: the same workload run against each target (topology) in turn.</summary>
public sealed partial record Scenario
{
    public string Name { get; init; } = "scenario";

    public IReadOnlyList<TargetOptions> Targets { get; init; } = [];

    public PopulationProfile Profile { get; init; } = new();

    public MessagePlan Messages { get; init; } = new();

    public ConnectionOptions Connections { get; init; } = new();

    public ReconnectPolicy Reconnect { get; init; } = new();

    /// <summary>Bounds for `loadgen probe-timeouts`; defaults when the file has no 'probe' section.</summary>
    public ProbeOptions Probe { get; init; } = new();

    /// <summary>
    /// How often interval histograms are cut, the run folder flushed and progress shown (YAML
    /// <c>reportingInterval:</c>, NBomber's word; <c>interval:</c> at the top level is its deprecated
    /// alias — <see cref="MessagePlan.Interval"/> is the message rate). Default 5 s.
    /// </summary>
    public TimeSpan ReportingInterval { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Interleaved rounds: with N &gt; 1 the targets take turns (A, B, then B, A: the order reversed every other round), N rounds each, every
    /// round running the profile with its hold phases cut to 1/N. 1 runs each target once, in order.
    /// </summary>
    public int Rounds { get; init; } = 1;

    /// <summary>How long streams get to close gracefully at the end before they are cancelled. Default 10 s.</summary>
    public TimeSpan CloseTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Before anything is measured, each target carries up to <see cref="Engine.LoadEngine.WarmUpStreams"/> streams for this long,
    /// recorded nowhere: the process's first TLS handshakes and calls (JIT, certificate checks) would
    /// otherwise land on whichever topology runs first. 0 (default) = none; `compare` and `demo` use 4 s.
    /// </summary>
    public TimeSpan WarmUp { get; init; }

    public IReadOnlyList<Threshold> Thresholds { get; init; } = [];

    /// <summary>How the targets are compared: primary figures, equivalence margins, and whether the comparison gates the exit code.</summary>
    public ComparisonSettings Comparison { get; init; } = new();

    /// <summary>How lab:// topologies are built (ESP and gateway settings).</summary>
    public LabSettings Lab { get; init; } = new();

    /// <summary>Faults on cue, each at a time after every target's (every round's) start; lab:// targets only.</summary>
    public IReadOnlyList<FaultStep> Faults { get; init; } = [];

    /// <summary>
    /// What each stream does on the wire: null runs the lab service's Chat with <see cref="Messages"/>'
    /// payload and directives; a scenario's <c>service:</c> section, or C# code, sets another.
    /// </summary>
    public Workloads.StreamWorkload? Workload { get; init; }

    /// <summary>The scenario's <c>service:</c> section, when it drives the user's own method (see <see cref="Workload"/>).</summary>
    public ServiceSpec? Service { get; init; }

    /// <summary>Where the scenario came from (file path, or "built-in:NAME").</summary>
    public string Source { get; init; } = "code";

    /// <summary>What the loader accepted but wants changed (a deprecated key), each with file and line; said before a run and by validate.</summary>
    public IReadOnlyList<string> LoadWarnings { get; init; } = [];
}

/// <summary>A named endpoint: one topology of the comparison.</summary>
public sealed record TargetOptions
{
    public required string Name { get; init; }

    /// <summary>http://host:port for h2c, https://host:port for TLS.</summary>
    public required Uri Address { get; init; }

    /// <summary>
    /// PEM file of the CA(s) to trust for this target's TLS certificate, instead of the system's
    /// (a private CA; the lab's own). Revocation is not checked against such a CA.
    /// </summary>
    public string? CaFile { get; init; }

    /// <summary>PEM client certificate for mutual TLS (with <see cref="ClientKeyFile"/>).</summary>
    public string? ClientCertFile { get; init; }

    /// <summary>PEM private key of <see cref="ClientCertFile"/>.</summary>
    public string? ClientKeyFile { get; init; }

    /// <summary>The :authority every stream carries (a gateway routes on it); the address's host:port when null.</summary>
    public string? Authority { get; init; }

    /// <summary>
    /// The TLS server name (SNI) sent and checked against the certificate; when null, the host of
    /// <see cref="Authority"/>, else of the address. A gateway that routes on SNI needs the name it
    /// knows while the address is an IP.
    /// </summary>
    public string? ServerName { get; init; }

    /// <summary>Accept any server certificate. Said loudly on the console and in every report.</summary>
    public bool Insecure { get; init; }

    /// <summary>HTTP/2 keepalive pings; null sends none (SocketsHttpHandler's default).</summary>
    public KeepAlivePings? KeepAlive { get; init; }

    /// <summary>Largest message the client accepts. Default 32 MiB.</summary>
    public int MaxReceiveMessageBytes { get; init; } = 32 * 1024 * 1024;

    /// <summary>Largest message the client sends. Default 32 MiB.</summary>
    public int MaxSendMessageBytes { get; init; } = 32 * 1024 * 1024;

    /// <summary>Message compression the client asks for on every stream ("gzip"); null sends messages uncompressed.</summary>
    public string? Compression { get; init; }

    /// <summary>
    /// Request metadata on every stream, as templates: <c>${env:NAME}</c> and <c>${file:PATH}</c> are
    /// replaced by the variable's value or the file's contents (trimmed). Secrets come only that way.
    /// </summary>
    public IReadOnlyList<MetadataEntry> Metadata { get; init; } = [];

    /// <summary>How often ${file:…} values are read again (tokens expire during a soak). Default 60 s.</summary>
    public TimeSpan MetadataRefresh { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>What a report should know about how this target was reached (never a credential).</summary>
    public IEnumerable<string> DescribeConnection()
    {
        if (Insecure)
        {
            yield return "INSECURE: server certificate not verified";
        }

        if (CaFile is not null)
        {
            yield return $"CA {CaFile}";
        }

        if (ClientCertFile is not null)
        {
            yield return $"client certificate {ClientCertFile}";
        }

        if (ServerName is not null)
        {
            yield return $"SNI {ServerName}";
        }

        if (Authority is not null)
        {
            yield return $":authority {Authority}";
        }

        if (KeepAlive is { } k)
        {
            yield return $"keepalive pings every {Durations.Format(k.Delay)} (timeout {Durations.Format(k.Timeout)}, {k.Policy.ToString().ToLowerInvariant()})";
        }

        if (Compression is not null)
        {
            yield return $"compression {Compression}";
        }

        foreach (var m in Metadata)
        {
            yield return $"metadata {m.Name}: {MetadataTemplate.Shown(m)}";
        }
    }
}

/// <summary>HTTP/2 PING keepalive, as SocketsHttpHandler's KeepAlivePing* settings.</summary>
public sealed record KeepAlivePings(TimeSpan Delay, TimeSpan Timeout, KeepAlivePolicy Policy);

/// <summary>When pings are sent: always, or only while the connection carries a stream.</summary>
public enum KeepAlivePolicy
{
    Always,
    WithActiveRequests,
}

/// <summary>
/// One request metadata entry; <see cref="Template"/> may hold ${env:NAME} and ${file:PATH}
/// placeholders. The template itself holds no secret (the loader refuses literal credentials), so it
/// is what run.json and reports show.
/// </summary>
public sealed record MetadataEntry(string Name, string Template);

/// <summary>Per-stream send plan.</summary>
public sealed record MessagePlan
{
    /// <summary>fixed: one message every <see cref="Interval"/>; poisson: exponential gaps with that mean; closed: the next message as a reply frees a slot (no interval).</summary>
    public ScheduleKind Schedule { get; init; } = ScheduleKind.Fixed;

    /// <summary>Mean time between two messages of one stream. Default 1 s.</summary>
    public TimeSpan Interval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Payload bytes per message. Default 64.</summary>
    public int PayloadBytes { get; init; } = 64;

    /// <summary>
    /// Most messages a stream may have unanswered; the sender waits (and the wait counts against
    /// latency from the scheduled time). 0 = no cap: a purely open loop. Default 0.
    /// </summary>
    public int MaxInFlight { get; init; }

    /// <summary>Messages a stream keeps unanswered: <see cref="MaxInFlight"/>, and 1 in a closed loop left unset.</summary>
    public int InFlightCap => Schedule == ScheduleKind.Closed ? Math.Max(1, MaxInFlight) : MaxInFlight;

    /// <summary>Directives attached to every message, for the lab backend (delay, fan-out…).</summary>
    public LabDirectives? Directives { get; init; }

    /// <summary>Directives sent once, with each stream's first message (cut-offs, pushes, ends…).</summary>
    public StreamDirectives? First { get; init; }

    /// <summary>When set, a stream stops sending once it is this old (it stays open, quiet).</summary>
    public TimeSpan? ClientQuietAfter { get; init; }
}

/// <summary>
/// What a real client does when its stream dies unplanned: re-open after exponential backoff with
/// jitter. Defaults are gRPC's connection-backoff ones (initial 1 s, multiplier 1.6, jitter 0.2, max 120 s).
/// The attempt count resets once a stream opens; re-opens share the profile's opens-per-second cap.
/// </summary>
public sealed record ReconnectPolicy
{
    public bool Enabled { get; init; } = true;

    public TimeSpan Initial { get; init; } = TimeSpan.FromSeconds(1);

    public double Multiplier { get; init; } = 1.6;

    public double Jitter { get; init; } = 0.2;

    public TimeSpan Max { get; init; } = TimeSpan.FromSeconds(120);

    /// <summary>Delay before re-open attempt <paramref name="attempt"/> (0 = the first after a loss).</summary>
    public TimeSpan Delay(int attempt, Random random)
    {
        ArgumentNullException.ThrowIfNull(random);
        var bare = Math.Min(Initial.TotalSeconds * Math.Pow(Multiplier, Math.Min(attempt, 64)), Max.TotalSeconds);
        return TimeSpan.FromSeconds(bare * (1 + (Jitter * ((2 * random.NextDouble()) - 1))));
    }
}

public enum ScheduleKind
{
    Fixed,
    Poisson,

    /// <summary>
    /// No schedule: each stream keeps <see cref="MessagePlan.MaxInFlight"/> messages (1 when unset) unanswered and sends
    /// the next as soon as a reply frees a slot — as fast as the path allows. Latency is from each send.
    /// </summary>
    Closed,
}

/// <summary>The client's connection pool for one target.</summary>
public sealed record ConnectionOptions
{
    /// <summary>HTTP/2 connections to open; 0 = enough for the profile's peak at <see cref="MaxStreamsPerConnection"/>.</summary>
    public int Count { get; init; }

    /// <summary>
    /// Streams per connection the pool places before it uses another. Default 100 (Kestrel's and
    /// Istio's edge default; under NGINX's 128), so servers never make streams queue.
    /// </summary>
    public int MaxStreamsPerConnection { get; init; } = 100;

    /// <summary>A stream that has no response headers this long after it asked for a slot ends as open-stalled. Default 10 s.</summary>
    public TimeSpan OpenTimeout { get; init; } = TimeSpan.FromSeconds(10);
}
