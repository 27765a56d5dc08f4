using System.Net;
using System.Runtime.CompilerServices;

namespace LoadGen.Core.Connections;

/// <summary>
/// The server refused a stream it had not processed (RST_STREAM REFUSED_STREAM, or a GOAWAY whose
/// last stream id is below it) after the stream's first message had been written. SocketsHttpHandler
/// would send the request again on another connection, but a gRPC request body is written once:
/// the retry goes out without its message and the call hangs. LoadGen ends it with this instead.
/// </summary>
public sealed class StreamNotProcessedException : HttpRequestException
{
    public StreamNotProcessedException()
        : base("the server refused the stream before processing it (REFUSED_STREAM or GOAWAY) after its first message was written; " +
            "SocketsHttpHandler's retry would go out without that message and hang (dotnet/runtime#53914), so LoadGen ended it")
    {
    }

    public StreamNotProcessedException(string message)
        : base(message)
    {
    }

    public StreamNotProcessedException(string message, Exception inner)
        : base(message, inner)
    {
    }
}

/// <summary>
/// Wraps every request body so that a second attempt to send it — SocketsHttpHandler's transparent
/// retry of an unprocessed stream — fails at once with <see cref="StreamNotProcessedException"/>,
/// rather than silently sending an empty stream that never gets an answer.
/// </summary>
public sealed class NoSilentRetryHandler : DelegatingHandler
{
    private static readonly AsyncLocal<StrongBox<int>?> Status = new();

    public NoSilentRetryHandler(HttpMessageHandler inner)
        : base(inner)
    {
    }

    /// <summary>
    /// Set before starting a call, in the caller's async context: the handler writes the HTTP status of
    /// the call's response into it. Grpc.Net.Client hands out the response headers of a non-200 answer
    /// (a proxy's 401 or 502) as if the stream had opened; the status tells the two apart.
    /// </summary>
    public static StrongBox<int> WatchStatus()
    {
        var box = new StrongBox<int>(0);
        Status.Value = box;
        return box;
    }

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request.Content is { } content and not OnceContent)
        {
            request.Content = new OnceContent(content);
        }

        var box = Status.Value;
        var response = await base.SendAsync(request, cancellationToken);
        if (box is not null)
        {
            box.Value = (int)response.StatusCode;
        }

        return response;
    }

    /// <summary>A request body that can be sent once.</summary>
    private sealed class OnceContent : HttpContent
    {
        private readonly HttpContent _inner;
        private int _sends;

        public OnceContent(HttpContent inner)
        {
            _inner = inner;
            foreach (var h in inner.Headers)
            {
                Headers.TryAddWithoutValidation(h.Key, h.Value);
            }
        }

        protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context) =>
            SerializeToStreamAsync(stream, context, CancellationToken.None);

        protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context, CancellationToken cancellationToken) =>
            Interlocked.Increment(ref _sends) == 1
                ? _inner.CopyToAsync(stream, context, cancellationToken)
                : Task.FromException(new StreamNotProcessedException());

        protected override bool TryComputeLength(out long length)
        {
            length = 0;
            return false;
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                _inner.Dispose();
            }

            base.Dispose(disposing);
        }
    }
}
