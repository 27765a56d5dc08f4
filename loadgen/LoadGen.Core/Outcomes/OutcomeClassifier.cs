using System.Net.Http;
using System.Net.Sockets;
using System.Security.Authentication;
using Grpc.Core;
using LoadGen.Results;
using static LoadGen.Results.EndCauses;

namespace LoadGen.Core.Outcomes;

/// <summary>What ended a stream, as one cause from the vocabulary in docs/outcomes.md.</summary>
public sealed record Classification(string Cause, string? GrpcStatus, long? Http2Code, string ExceptionChain, string? Detail)
{
    /// <summary>The exception the cause was decided from (null when none was raised): for the log, never for a file or report.</summary>
    public Exception? Error { get; init; }
}

/// <summary>
/// Turns the exception that ended a stream into one cause, reading the whole exception chain:
/// the gRPC status, the HTTP/2 error code of an RST_STREAM or GOAWAY (HttpProtocolException),
/// socket and TLS failures. See docs/stream-faults.md for what each hop produces.
/// </summary>
public static partial class OutcomeClassifier
{
    [System.Text.RegularExpressions.GeneratedRegex(@"HTTP status code: (\d{3})")]
    private static partial System.Text.RegularExpressions.Regex HttpStatusPattern();

    /// <summary>
    /// True when the client raised the failure itself: a gRPC status with nothing from the transport
    /// underneath (no HTTP/2 frame, socket, I/O, TLS error, no cancellation) — e.g. Grpc.Net.Client's own
    /// size check refusing a message over maxSendMessageSize (ResourceExhausted).
    /// </summary>
    public static bool IsClientRaised(Exception exception)
    {
        ArgumentNullException.ThrowIfNull(exception);
        var chain = Chain(exception).ToList();
        return chain.OfType<RpcException>().Any()
            && !chain.Any(e => e is HttpRequestException or HttpProtocolException or IOException or SocketException or AuthenticationException or OperationCanceledException);
    }

    /// <summary>A write the client refused itself (<see cref="IsClientRaised"/>): client-error:…, never the server's status.</summary>
    public static Classification ClassifySendFailure(Exception exception)
    {
        ArgumentNullException.ThrowIfNull(exception);
        if (!IsClientRaised(exception))
        {
            return Classify(exception);
        }

        var chain = Chain(exception).ToList();
        var rpc = chain.OfType<RpcException>().First();
        var cause = rpc.StatusCode == StatusCode.ResourceExhausted ? MessageTooLarge : ClientError(rpc.StatusCode.ToString());
        return new Classification(cause, rpc.StatusCode.ToString(), null, string.Join(" > ", chain.Select(e => e.GetType().Name)), rpc.Status.Detail) { Error = exception };
    }

    /// <summary>
    /// A read that failed: when the client raised the status itself (<see cref="IsClientRaised"/>) and the server
    /// sent no trailers (<paramref name="serverSentTrailers"/> false), the server said nothing — e.g. Grpc.Net.Client
    /// refusing a reply over maxReceiveMessageSize (ResourceExhausted): client-error:reply-too-large. A server's
    /// own ResourceExhausted comes in its trailers and stays server-status:ResourceExhausted.
    /// </summary>
    public static Classification ClassifyReceiveFailure(Exception exception, bool serverSentTrailers)
    {
        ArgumentNullException.ThrowIfNull(exception);
        if (serverSentTrailers || !IsClientRaised(exception))
        {
            return Classify(exception);
        }

        var chain = Chain(exception).ToList();
        var rpc = chain.OfType<RpcException>().First();
        var cause = rpc.StatusCode == StatusCode.ResourceExhausted ? ReplyTooLarge : ClientError(rpc.StatusCode.ToString());
        return new Classification(cause, rpc.StatusCode.ToString(), null, string.Join(" > ", chain.Select(e => e.GetType().Name)), rpc.Status.Detail) { Error = exception };
    }

    /// <summary>
    /// One server action, one cause: a stream that ended on a connection whose server had sent a GOAWAY is put
    /// down to that GOAWAY, whatever the client made of the end. grpc C-core ends each stream of an aged connection
    /// with trailers (UNAVAILABLE) and RST_STREAM(NO_ERROR), then closes; Grpc.Net.Client surfaces that as the
    /// status, as a PROTOCOL_ERROR of its own, or as the closed connection, stream by stream. The first two become
    /// <see cref="EndCauses.ClosedAfterGoAway"/> (the client's reading kept in the detail); under a GOAWAY with an
    /// error code (ENHANCE_YOUR_CALM: too many pings) every end becomes <c>goaway:CODE</c>.
    /// </summary>
    /// <param name="goAway">The GOAWAY the stream's connection received before the stream ended (null: none, or not watched).</param>
    public static Classification AfterGoAway(Classification outcome, Connections.GoAwayFrame? goAway)
    {
        ArgumentNullException.ThrowIfNull(outcome);
        if (goAway is null || IsPlanned(outcome.Cause))
        {
            return outcome;
        }

        var graceful = goAway.ErrorCode == 0;
        var endsWithConnection = outcome.Cause == ServerStatus("Unavailable") || outcome.Cause.StartsWith("protocol-error:", StringComparison.Ordinal)
            || outcome.Cause == Reset(0);
        var anyTransportEnd = endsWithConnection || outcome.Cause is ClosedAfterGoAway or ConnectionLost || outcome.Cause.StartsWith("goaway:", StringComparison.Ordinal);
        if (graceful ? !endsWithConnection : !anyTransportEnd)
        {
            return outcome;
        }

        var frame = $"GOAWAY {Http2ErrorName(goAway.ErrorCode)} (last stream {goAway.LastStreamId}{(goAway.DebugData.Length > 0 ? $", debug data '{goAway.DebugData}'" : "")})";
        var client = $"the client read the end as {outcome.Cause}{(outcome.GrpcStatus is { } st && !outcome.Cause.EndsWith(st, StringComparison.Ordinal) ? $" (status {st})" : "")}" +
            (outcome.Detail is { Length: > 0 } d ? $": {d}" : "");
        if (graceful)
        {
            return outcome with { Cause = ClosedAfterGoAway, Http2Code = 0, Detail = $"the server sent {frame}, then ended the stream with its connection; {client}" };
        }

        var pings = goAway.ErrorCode == 0xb && goAway.DebugData.Contains("ping", StringComparison.OrdinalIgnoreCase)
            ? " — the server refuses this client's keepalive pings as too frequent: set keepalive.delay at or above its minimum ping interval " +
              "(grpc servers: 5 min unless set, grpc.http2.min_ping_interval_without_data_ms / grpc-go keepalive.EnforcementPolicy.MinTime), or ask for pings to be permitted"
            : "";
        return outcome with { Cause = GoAway(goAway.ErrorCode), Http2Code = goAway.ErrorCode, Detail = $"the server sent {frame}{pings}; {client}" };
    }

    public static Classification Classify(Exception exception)
    {
        ArgumentNullException.ThrowIfNull(exception);
        return Decide(exception) with { Error = exception };
    }

    private static Classification Decide(Exception exception)
    {
        var chain = Chain(exception).ToList();
        var kinds = string.Join(" > ", chain.Select(e => e.GetType().Name));
        var rpc = chain.OfType<RpcException>().FirstOrDefault();
        var status = rpc?.StatusCode.ToString();
        var detail = rpc?.Status.Detail ?? exception.Message;

        if (chain.OfType<Workloads.WorkloadCodeException>().FirstOrDefault() is { InnerException: { } thrown })
        {
            return new Classification(WorkloadError(thrown.GetType().Name), status, null, kinds, thrown.Message);
        }

        if (chain.Any(e => e is Connections.StreamNotProcessedException))
        {
            return new Classification(NotProcessed, status, null, kinds, detail);
        }

        // What LoadGen saw on the wire itself (ServerFrames, on h2c and TLS connections), before anything the client made of it.
        if (chain.OfType<Connections.Http1AnswerException>().FirstOrDefault() is { } http1)
        {
            return new Classification(Http2Unavailable, status, null, kinds, http1.Message);
        }

        if (chain.OfType<Connections.NotHttp2AnswerException>().FirstOrDefault() is { } notHttp2)
        {
            return new Classification(Http2Unavailable, status, null, kinds, notHttp2.Message);
        }

        if (chain.OfType<Connections.TlsAnswerException>().FirstOrDefault() is { } tlsAnswer)
        {
            return new Classification(TlsRequired, status, null, kinds, tlsAnswer.Message);
        }

        if (chain.OfType<Connections.ClosedAfterGoAwayException>().FirstOrDefault() is { } afterGoAway)
        {
            return new Classification(ClosedAfterGoAway, status, afterGoAway.ErrorCode, kinds, afterGoAway.Message);
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
            // SocketsHttpHandler makes one exception type for three origins; which factory made it is carried
            // only by its message (its resource string): an RST_STREAM received ("reset the stream"), a GOAWAY
            // received ("closed the connection"), or an error the client detected itself in what it read
            // ("sent invalid data") — then no frame carried that code, and it is never called rst:*.
            var cause = protocol.Message.Contains("closed the connection", StringComparison.OrdinalIgnoreCase) ? GoAway(protocol.ErrorCode)
                : protocol.Message.Contains("reset the stream", StringComparison.OrdinalIgnoreCase) ? Reset(protocol.ErrorCode)
                : ClientProtocolError(protocol.ErrorCode);
            return new Classification(cause, status, protocol.ErrorCode, kinds, detail);
        }

        // A non-200 answer (a proxy's error page, an auth rejection): Grpc.Net.Client reports
        // "Bad gRPC response. HTTP status code: N" and keeps no structured copy of N.
        if (rpc is not null && HttpStatusPattern().Match(rpc.Status.Detail) is { Success: true } http)
        {
            return new Classification(HttpStatus(http.Groups[1].Value), status, null, kinds, detail);
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
        var handshakeIncomplete = chain.OfType<HttpRequestException>().Any(e => e.Message.Contains("did not complete the HTTP/2 handshake", StringComparison.Ordinal));
        if (handshakeIncomplete && chain.OfType<SocketException>().Any(e => e.SocketErrorCode is SocketError.ConnectionReset or SocketError.ConnectionAborted))
        {
            // The peer reset the connection while the handshake was under way (a server dropping a connection
            // right after it read the first stream, its SETTINGS lost with the reset): a dropped connection,
            // which says nothing about whether it speaks HTTP/2.
            return new Classification(ConnectionLost, status, null, kinds, detail);
        }

        if (handshakeIncomplete || chain.OfType<HttpRequestException>().Any(e => e.HttpRequestError == HttpRequestError.VersionNegotiationError))
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
            return new Classification(ServerStatus(rpc.StatusCode.ToString()), status, null, kinds, detail);
        }

        if (chain.Any(e => e is IOException or SocketException or HttpIOException))
        {
            return new Classification(ConnectionLost, status, null, kinds, detail);
        }

        if (rpc is not null)
        {
            return new Classification(ServerStatus(rpc.StatusCode.ToString()), status, null, kinds, detail);
        }

        if (chain.Any(e => e is OperationCanceledException))
        {
            return new Classification(ClientCancelled, status, null, kinds, detail);
        }

        return new Classification(Unknown(exception.GetType().Name), status, null, kinds, detail);
    }

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
