namespace LoadGen.Results;

/// <summary>
/// The vocabulary of stream ends written to outcomes.ndjson and summary.json (docs/outcomes.md): one
/// cause per ended stream, with builders for the families that carry a code or a name.
/// </summary>
public static class EndCauses
{
    /// <summary>Bumped whenever a cause is added, renamed or re-derived; written into summary.json.</summary>
    public const int VocabularyVersion = 9;

    public const string ClientClosed = "client-closed";
    public const string ClientCancelled = "client-cancelled";
    public const string OpenStalled = "open-stalled";
    public const string ConnectFailed = "connect-failed";
    public const string TlsFailed = "tls-failed";
    public const string ConnectionLost = "connection-lost";
    public const string DeadlineExceeded = "deadline-exceeded";
    public const string KeepaliveTimeout = "keepalive-timeout";

    /// <summary>The target offered no HTTP/2 (TLS ALPN chose HTTP/1.1, or no SETTINGS came back for the preface): gRPC cannot run there.</summary>
    public const string Http2Unavailable = "http2-unavailable";

    /// <summary>The workload's own code threw (a code-first message, reply or matching function): "workload-error:TYPE".</summary>
    public const string WorkloadErrorPrefix = "workload-error:";

    /// <summary>LoadGen's own client failed the stream before anything reached the wire or the peer: "client-error:WHAT" (new in vocabulary 6).</summary>
    public const string ClientErrorPrefix = "client-error:";

    /// <summary>A message larger than the target's maxSendMessageSize: the client refused to send it.</summary>
    public const string MessageTooLarge = ClientErrorPrefix + "message-too-large";

    /// <summary>A reply larger than the target's maxReceiveMessageSize: the client refused to read it (the server sent no status; new in vocabulary 8).</summary>
    public const string ReplyTooLarge = ClientErrorPrefix + "reply-too-large";

    /// <summary>
    /// The server sent a GOAWAY, then closed (or reset) the connection with this stream still open on it — gRPC
    /// servers' MAX_CONNECTION_AGE_GRACE (new in vocabulary 7; seen on h2c connections, whose frames LoadGen reads).
    /// </summary>
    public const string ClosedAfterGoAway = "connection-closed-after-goaway";

    /// <summary>An http:// (plaintext) address where the target speaks TLS: it answered with TLS, or said so (new in vocabulary 7).</summary>
    public const string TlsRequired = "tls-required";

    /// <summary>"protocol-error:PROTOCOL_ERROR": the client found the peer's HTTP/2 invalid and dropped the connection itself — no RST_STREAM or GOAWAY carried that code (new in vocabulary 7).</summary>
    public static string ClientProtocolError(long http2Code) => $"protocol-error:{Http2ErrorName(http2Code)}";

    /// <summary>Refused unprocessed after its first message was written (the server's GOAWAY came first).</summary>
    public const string NotProcessed = "not-processed";

    /// <summary>"client-error:Internal": the client raised this status itself, for a reason without a name of its own.</summary>
    public static string ClientError(string what) => ClientErrorPrefix + what;

    /// <summary>The client ended the stream on purpose (closed at the profile's end, or cancelled): every other cause is unplanned.</summary>
    public static bool IsPlanned(string cause) => cause is ClientClosed or ClientCancelled;

    /// <summary>"rst:CANCEL": an RST_STREAM with that HTTP/2 error code.</summary>
    public static string Reset(long http2Code) => $"rst:{Http2ErrorName(http2Code)}";

    /// <summary>"goaway:NO_ERROR": the connection ended by a GOAWAY with that HTTP/2 error code.</summary>
    public static string GoAway(long http2Code) => $"goaway:{Http2ErrorName(http2Code)}";

    /// <summary>"server-status:Internal": the server (or a proxy) ended the call with that gRPC status.</summary>
    public static string ServerStatus(string grpcStatus) => $"server-status:{grpcStatus}";

    /// <summary>"http-status:502": a non-200 HTTP answer instead of a gRPC one.</summary>
    public static string HttpStatus(string code) => $"http-status:{code}";

    /// <summary>"workload-error:FormatException".</summary>
    public static string WorkloadError(string exceptionType) => WorkloadErrorPrefix + exceptionType;

    /// <summary>"error:TYPE": an exception no rule knows.</summary>
    public static string Unknown(string exceptionType) => $"error:{exceptionType}";

    /// <summary>The HTTP/2 error code's name (RFC 9113 §7), or 0x… for one it does not define.</summary>
    public static string Http2ErrorName(long code) => code switch
    {
        0x0 => "NO_ERROR",
        0x1 => "PROTOCOL_ERROR",
        0x2 => "INTERNAL_ERROR",
        0x3 => "FLOW_CONTROL_ERROR",
        0x4 => "SETTINGS_TIMEOUT",
        0x5 => "STREAM_CLOSED",
        0x6 => "FRAME_SIZE_ERROR",
        0x7 => "REFUSED_STREAM",
        0x8 => "CANCEL",
        0x9 => "COMPRESSION_ERROR",
        0xa => "CONNECT_ERROR",
        0xb => "ENHANCE_YOUR_CALM",
        0xc => "INADEQUATE_SECURITY",
        0xd => "HTTP_1_1_REQUIRED",
        _ => $"0x{code:x}",
    };
}

/// <summary>
/// A word of the run folder's vocabulary kept as a type, so that no code compares it with a literal: its JSON is the
/// plain string it always was (<see cref="VocabularyJsonConverter{T}"/>).
/// </summary>
public interface IVocabularyWord<TSelf>
    where TSelf : struct, IVocabularyWord<TSelf>
{
    /// <summary>The word as written in summary.json and run.json.</summary>
    string Value { get; }

    /// <summary>The word for <paramref name="value"/>; a <see cref="System.Text.Json.JsonException"/> naming what is expected when it is none.</summary>
    static abstract TSelf Parse(string value);
}

/// <summary>Reads and writes a vocabulary word as its plain JSON string.</summary>
public sealed class VocabularyJsonConverter<T> : System.Text.Json.Serialization.JsonConverter<T>
    where T : struct, IVocabularyWord<T>
{
    public override T Read(ref System.Text.Json.Utf8JsonReader reader, Type typeToConvert, System.Text.Json.JsonSerializerOptions options) =>
        T.Parse(reader.GetString() ?? throw new System.Text.Json.JsonException($"{typeof(T).Name}: expected a string"));

    public override void Write(System.Text.Json.Utf8JsonWriter writer, T value, System.Text.Json.JsonSerializerOptions options)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.WriteStringValue(value.Value);
    }
}

/// <summary>How a run ended (summary.json and run.json <c>completion</c>).</summary>
[System.Text.Json.Serialization.JsonConverter(typeof(VocabularyJsonConverter<RunCompletion>))]
public readonly record struct RunCompletion : IVocabularyWord<RunCompletion>
{
    public static readonly RunCompletion Completed = new("completed");

    /// <summary>Ctrl-C or SIGTERM.</summary>
    public static readonly RunCompletion Interrupted = new("interrupted");

    /// <summary>An abortOnFail threshold failed an interval check.</summary>
    public static readonly RunCompletion Aborted = new("aborted");

    /// <summary>Rebuilt from a folder whose run never finished (killed).</summary>
    public static readonly RunCompletion Partial = new("partial");

    private RunCompletion(string value) => Value = value;

    public string Value { get; }

    public static RunCompletion Parse(string value) => value switch
    {
        "completed" => Completed,
        "interrupted" => Interrupted,
        "aborted" => Aborted,
        "partial" => Partial,
        _ => throw new System.Text.Json.JsonException($"completion '{value}': expected completed, interrupted, aborted or partial"),
    };

    public override string ToString() => Value;
}

/// <summary>summary.json's <c>verdict</c>: the run's own thresholds (a comparison's verdict is <c>ComparisonVerdict</c>, in the reports).</summary>
[System.Text.Json.Serialization.JsonConverter(typeof(VocabularyJsonConverter<RunVerdict>))]
public readonly record struct RunVerdict : IVocabularyWord<RunVerdict>
{
    public static readonly RunVerdict Pass = new("pass");
    public static readonly RunVerdict Fail = new("fail");

    /// <summary>No thresholds were set.</summary>
    public static readonly RunVerdict None = new("none");

    private RunVerdict(string value) => Value = value;

    public string Value { get; }

    public static RunVerdict Parse(string value) => value switch
    {
        "pass" => Pass,
        "fail" => Fail,
        "none" => None,
        _ => throw new System.Text.Json.JsonException($"verdict '{value}': expected pass, fail or none"),
    };

    /// <summary>pass or fail from threshold results (fail when the run was aborted); none without thresholds.</summary>
    public static RunVerdict From(IReadOnlyCollection<ThresholdResult> thresholds, bool aborted) =>
        aborted ? Fail : thresholds.Count == 0 ? None : thresholds.All(t => t.Passed) ? Pass : Fail;

    public override string ToString() => Value;
}
