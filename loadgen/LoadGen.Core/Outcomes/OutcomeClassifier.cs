using System.Net.Http;
using System.Net.Sockets;
using System.Security.Authentication;
using Grpc.Core;

namespace LoadGen.Core.Outcomes;

/// <summary>What ended a stream, as one cause from the vocabulary in docs/outcomes.md.</summary>
public sealed record Classification(string Cause, string? GrpcStatus, long? Http2Code, string ExceptionChain, string? Detail);

/// <summary>
/// Turns the exception that ended a stream into one cause, reading the whole exception chain:
/// the gRPC status, the HTTP/2 error code of an RST_STREAM or GOAWAY (HttpProtocolException),
/// socket and TLS failures. See ../shared/docs/STREAM-FAULTS.md for what each hop produces.
/// </summary>
public static partial class OutcomeClassifier
{
    [System.Text.RegularExpressions.GeneratedRegex(@"HTTP status code: (\d{3})")]
    private static partial System.Text.RegularExpressions.Regex HttpStatus();

    /// <summary>Bumped whenever a cause is added, renamed or re-derived.</summary>
    public const int VocabularyVersion = 5;

    public const string ClientClosed = "client-closed";
    public const string ClientCancelled = "client-cancelled";

    /// <summary>The client ended the stream on purpose (closed at the profile's end, or cancelled): every other cause is unplanned.</summary>
    public static bool IsPlanned(string cause) => cause is ClientClosed or ClientCancelled;
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

    /// <summary>Refused unprocessed after its first message was written (see <see cref="Engine.StreamNotProcessedException"/>).</summary>
    public const string NotProcessed = "not-processed";

    public static Classification Classify(Exception exception)
    {
        ArgumentNullException.ThrowIfNull(exception);
        var chain = Chain(exception).ToList();
        var kinds = string.Join(" > ", chain.Select(e => e.GetType().Name));
        var rpc = chain.OfType<RpcException>().FirstOrDefault();
        var status = rpc?.StatusCode.ToString();
        var detail = rpc?.Status.Detail ?? exception.Message;

        if (chain.OfType<Workloads.WorkloadCodeException>().FirstOrDefault() is { InnerException: { } thrown })
        {
            return new Classification(WorkloadErrorPrefix + thrown.GetType().Name, status, null, kinds, thrown.Message);
        }

        if (chain.Any(e => e is Engine.StreamNotProcessedException))
        {
            return new Classification(NotProcessed, status, null, kinds, detail);
        }

        // Before the HTTP/2 codes: .NET reports its own ping timeout as an HttpProtocolException with
        // PROTOCOL_ERROR ("didn't respond to a ping request …"), which no server sent.
        if (chain.Any(e => e.Message.Contains("KeepAlivePingTimeout", StringComparison.Ordinal) || e.Message.Contains("respond to a ping", StringComparison.Ordinal)))
        {
            return new Classification(KeepaliveTimeout, status, null, kinds, detail);
        }

        var protocol = chain.OfType<HttpProtocolException>().FirstOrDefault();
        if (protocol is not null)
        {
            var name = Http2ErrorName(protocol.ErrorCode);
            var cause = protocol.Message.Contains("closed the connection", StringComparison.OrdinalIgnoreCase)
                ? $"goaway:{name}"
                : $"rst:{name}";
            return new Classification(cause, status, protocol.ErrorCode, kinds, detail);
        }

        // A non-200 answer (a proxy's error page, an auth rejection): Grpc.Net.Client reports
        // "Bad gRPC response. HTTP status code: N" and keeps no structured copy of N.
        if (rpc is not null && HttpStatus().Match(rpc.Status.Detail) is { Success: true } http)
        {
            return new Classification($"http-status:{http.Groups[1].Value}", status, null, kinds, detail);
        }

        if (rpc is not null)
        {
            switch (rpc.StatusCode)
            {
                case StatusCode.DeadlineExceeded when rpc.Status.Detail.Contains("Deadline", StringComparison.OrdinalIgnoreCase):
                    return new Classification(DeadlineExceeded, status, null, kinds, detail);
                case StatusCode.Cancelled when chain.Any(e => e is OperationCanceledException) && rpc.Status.DebugException is not null:
                    return new Classification(ClientCancelled, status, null, kinds, detail);
            }
        }

        // No HTTP/2 there: TLS ALPN chose HTTP/1.1, or the server never answered the HTTP/2 preface with SETTINGS.
        if (chain.OfType<HttpRequestException>().Any(e => e.HttpRequestError == HttpRequestError.VersionNegotiationError
            || e.Message.Contains("did not complete the HTTP/2 handshake", StringComparison.Ordinal)))
        {
            return new Classification(Http2Unavailable, status, null, kinds, detail);
        }

        if (chain.Any(e => e is AuthenticationException))
        {
            return new Classification(TlsFailed, status, null, kinds, detail);
        }

        if (chain.OfType<SocketException>().FirstOrDefault() is { } socket &&
            socket.SocketErrorCode is SocketError.ConnectionRefused or SocketError.HostUnreachable or SocketError.NetworkUnreachable
                or SocketError.HostNotFound or SocketError.TimedOut or SocketError.AddressNotAvailable)
        {
            return new Classification(ConnectFailed, status, null, kinds, detail);
        }

        if (chain.OfType<HttpRequestException>().FirstOrDefault() is { HttpRequestError: HttpRequestError.ConnectionError or HttpRequestError.NameResolutionError })
        {
            return new Classification(ConnectFailed, status, null, kinds, detail);
        }

        if (rpc is not null && rpc.StatusCode != StatusCode.Unavailable && rpc.StatusCode != StatusCode.Unknown)
        {
            return new Classification($"server-status:{rpc.StatusCode}", status, null, kinds, detail);
        }

        if (chain.Any(e => e is IOException or SocketException or HttpIOException))
        {
            return new Classification(ConnectionLost, status, null, kinds, detail);
        }

        if (rpc is not null)
        {
            return new Classification($"server-status:{rpc.StatusCode}", status, null, kinds, detail);
        }

        if (chain.Any(e => e is OperationCanceledException))
        {
            return new Classification(ClientCancelled, status, null, kinds, detail);
        }

        return new Classification($"error:{exception.GetType().Name}", status, null, kinds, detail);
    }

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

    private static IEnumerable<Exception> Chain(Exception e)
    {
        for (Exception? cur = e; cur is not null; cur = cur is RpcException { Status.DebugException: { } debug } ? debug : cur.InnerException)
        {
            yield return cur;
            if (cur is AggregateException agg && agg.InnerExceptions.Count > 1)
            {
                foreach (var inner in agg.InnerExceptions.Skip(1))
                {
                    yield return inner;
                }
            }
        }
    }
}
