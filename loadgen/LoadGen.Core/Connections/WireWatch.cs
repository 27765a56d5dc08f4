using System.Text;
using LoadGen.Core.Metrics;

namespace LoadGen.Core.Connections;

/// <summary>The target answered the HTTP/2 preface in HTTP/1.1 (seen in the bytes it sent): gRPC cannot run there.</summary>
public sealed class Http1AnswerException(string firstLine)
    : IOException($"the target answered in HTTP/1.1, not HTTP/2: \"{firstLine}\" (an HTTP/1.1-only port, or a proxy port without h2c)")
{
    public string FirstLine { get; } = firstLine;
}

/// <summary>
/// The target's first bytes are no HTTP/2 frame at all (an HTTP/2 server starts with a SETTINGS frame): an
/// HTTP/0.9-style page, a banner, another protocol. gRPC cannot run there.
/// </summary>
public sealed class NotHttp2AnswerException(string start)
    : IOException($"the target's first bytes are not HTTP/2 (a server starts with a SETTINGS frame): \"{start}\" — not an HTTP/2 port")
{
    public string Start { get; } = start;
}

/// <summary>The target answered a plaintext (h2c) connection with TLS: the port wants https://.</summary>
public sealed class TlsAnswerException(string what)
    : IOException($"the target answered with TLS ({what}): that port wants https://, the address says http://");

/// <summary>
/// The server closed (or reset) the connection after it had sent a GOAWAY, with this stream still open on it:
/// what gRPC servers' MAX_CONNECTION_AGE_GRACE does. Raised where it happens — the connection's read — so no
/// error the client makes up afterwards is mistaken for the server's.
/// </summary>
public sealed class ClosedAfterGoAwayException(long errorCode, int lastStreamId, TimeSpan sinceGoAway, Exception? inner)
    : IOException($"the server closed the connection {sinceGoAway.TotalSeconds:0.0} s after its GOAWAY ({LoadGen.Results.EndCauses.Http2ErrorName(errorCode)}, last stream {lastStreamId}) with streams still open", inner)
{
    public long ErrorCode { get; } = errorCode;

    public int LastStreamId { get; } = lastStreamId;
}

/// <summary>A GOAWAY frame as the server sent it (RFC 9113 §6.8): its error code, the last stream it will process, its debug data (printable, up to 64 bytes).</summary>
public sealed record GoAwayFrame(long ErrorCode, int LastStreamId, string DebugData, DateTime At);

/// <summary>A connection whose server frames LoadGen reads (h2c, and TLS through its own handshake): the GOAWAY it sent, if it did.</summary>
public interface IConnectionFrames
{
    /// <summary>The server's last GOAWAY on this connection; null before one came.</summary>
    GoAwayFrame? GoAway { get; }
}

/// <summary>
/// The read side of a plaintext (h2c) connection, watched as the bytes arrive: an HTTP/1.1 answer to the
/// preface, and the server's frames (<see cref="ServerFrames"/>), are noted where they occur. Everything is
/// passed through unchanged; only an end of the connection after a GOAWAY is raised as
/// <see cref="ClosedAfterGoAwayException"/>, and an HTTP/1.1 answer as <see cref="Http1AnswerException"/>.
/// TLS connections are watched by <see cref="WatchedSslStream"/> above the decryption.
/// </summary>
internal sealed class WireWatch(Stream inner, PathRecorder? path = null) : Stream, IConnectionFrames
{
    private readonly ServerFrames _frames = new(path, checkFirstBytes: true);

    /// <inheritdoc/>
    public GoAwayFrame? GoAway => _frames.GoAway;

    public override bool CanRead => inner.CanRead;

    public override bool CanSeek => false;

    public override bool CanWrite => inner.CanWrite;

    public override long Length => throw new NotSupportedException();

    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        int n;
        try
        {
            n = await inner.ReadAsync(buffer, cancellationToken);
        }
        catch (IOException e) when (_frames.GoneAway)
        {
            throw _frames.AfterGoAway(e);
        }

        if (n == 0)
        {
            // A zero-byte read (SocketsHttpHandler waits for data that way) returns 0 with the connection open;
            // only 0 for a real buffer is the end of the connection.
            return _frames.GoneAway && !buffer.IsEmpty ? throw _frames.AfterGoAway(null) : 0;
        }

        if (_frames.Seen == 0 && n >= 5 && buffer.Span[..5].SequenceEqual("HTTP/"u8))
        {
            throw await Http1AnswerAsync(buffer[..n].ToArray(), cancellationToken);
        }

        _frames.Watch(buffer.Span[..n]);
        return n;
    }

    /// <summary>
    /// An HTTP/1.x answer where HTTP/2 frames should be: read a little more of it (its body may say why, as
    /// NGINX's TLS port does to plain HTTP), then the exception that names it.
    /// </summary>
    private async Task<IOException> Http1AnswerAsync(byte[] first, CancellationToken cancellationToken)
    {
        var answer = new List<byte>(first);
        using var more = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        more.CancelAfter(TimeSpan.FromMilliseconds(500));
        var chunk = new byte[2048];
        try
        {
            while (answer.Count < 4096)
            {
                var n = await inner.ReadAsync(chunk, more.Token);
                if (n == 0)
                {
                    break;
                }

                answer.AddRange(chunk.AsSpan(0, n));
            }
        }
        catch (Exception e) when (e is OperationCanceledException or IOException)
        {
            // What came is enough.
        }

        var text = Encoding.ASCII.GetString(answer.ToArray());
        if (text.Contains("plain HTTP request was sent to HTTPS port", StringComparison.OrdinalIgnoreCase))
        {
            return new TlsAnswerException("\"400 The plain HTTP request was sent to HTTPS port\"");
        }

        var line = text.Split('\n')[0].Trim();
        return new Http1AnswerException(line.Length > 0 ? line : "HTTP/…");
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        try
        {
            await inner.WriteAsync(buffer, cancellationToken);
        }
        catch (IOException e) when (_frames.GoneAway)
        {
            // A write that met the closed connection: the same end as a read that did.
            throw _frames.AfterGoAway(e);
        }
    }

    public override void Write(byte[] buffer, int offset, int count) => WriteAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

    public override Task FlushAsync(CancellationToken cancellationToken) => inner.FlushAsync(cancellationToken);

    public override void Flush() => inner.Flush();

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            inner.Dispose();
        }

        base.Dispose(disposing);
    }
}
