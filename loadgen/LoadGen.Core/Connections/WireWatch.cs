using System.Text;

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

/// <summary>A connection whose server frames LoadGen reads (h2c): the GOAWAY it sent, if it did.</summary>
public interface IConnectionFrames
{
    /// <summary>The server's last GOAWAY on this connection; null before one came.</summary>
    GoAwayFrame? GoAway { get; }
}

/// <summary>
/// The read side of a plaintext (h2c) connection, watched as the bytes arrive: an HTTP/1.1 answer to the
/// preface, and the server's GOAWAY frames (RFC 9113 §6.8), are noted where they occur. Everything is
/// passed through unchanged; only an end of the connection after a GOAWAY is raised as
/// <see cref="ClosedAfterGoAwayException"/>, and an HTTP/1.1 answer as <see cref="Http1AnswerException"/>.
/// TLS connections are not watched (their frames are encrypted below SocketsHttpHandler).
/// </summary>
internal sealed class WireWatch(Stream inner) : Stream, IConnectionFrames
{
    private readonly byte[] _header = new byte[9];
    private readonly byte[] _goAway = new byte[8 + MaxDebugData];
    private const int MaxDebugData = 64;
    private int _goAwayLength;
    private int _headerFill;
    private int _payloadLeft;
    private int _goAwayFill;
    private bool _inGoAway;
    private long _seen;
    private long _goAwayAt;
    private long _goAwayCode;
    private int _goAwayLast;
    private readonly byte[] _first = new byte[5];

    /// <summary>A GOAWAY has arrived on this connection.</summary>
    public bool GoneAway => Volatile.Read(ref _goAwayAt) != 0;

    /// <inheritdoc/>
    public GoAwayFrame? GoAway => Volatile.Read(ref _goAwayAt) is var at and not 0
        ? new GoAwayFrame(Volatile.Read(ref _goAwayCode), _goAwayLast, Volatile.Read(ref _goAwayDebug), new DateTime(at, DateTimeKind.Utc))
        : null;

    private string _goAwayDebug = "";

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
        catch (IOException e) when (GoneAway)
        {
            throw AfterGoAway(e);
        }

        if (n == 0)
        {
            // A zero-byte read (SocketsHttpHandler waits for data that way) returns 0 with the connection open;
            // only 0 for a real buffer is the end of the connection.
            return GoneAway && !buffer.IsEmpty ? throw AfterGoAway(null) : 0;
        }

        if (_seen == 0 && n >= 5 && buffer.Span[..5].SequenceEqual("HTTP/"u8))
        {
            throw await Http1AnswerAsync(buffer[..n].ToArray(), cancellationToken);
        }

        Watch(buffer.Span[..n]);
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
        catch (IOException e) when (GoneAway)
        {
            // A write that met the closed connection: the same end as a read that did.
            throw AfterGoAway(e);
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

    private ClosedAfterGoAwayException AfterGoAway(Exception? e) =>
        new(_goAwayCode, _goAwayLast, TimeSpan.FromTicks(DateTime.UtcNow.Ticks - Volatile.Read(ref _goAwayAt)), e);

    /// <summary>The start of what came, as text a person can read (up to 60 characters, controls as '.').</summary>
    private static string Printable(ReadOnlySpan<byte> data)
    {
        var text = Encoding.ASCII.GetString(data[..Math.Min(60, data.Length)]);
        return new string([.. text.Select(c => c is >= ' ' and < (char)127 ? c : '.')]);
    }

    /// <summary>Follows the frame boundaries of what the server sent (reads are in order, one at a time).</summary>
    private void Watch(ReadOnlySpan<byte> data)
    {
        // The server's first bytes: an HTTP/2 server starts with a SETTINGS frame, an HTTP/1.1 one with "HTTP/".
        if (_seen < 5)
        {
            // Judged on the first five bytes however the reads split them (a loaded machine can hand over one byte).
            var take = (int)Math.Min(5 - _seen, data.Length);
            data[..take].CopyTo(_first.AsSpan((int)_seen));
            var have = _seen + take;

            // A TLS record (alert 0x15 or handshake 0x16, version 3.x) where HTTP/2 frames should start.
            if (have >= 2 && _first[0] is 0x15 or 0x16 && _first[1] == 0x03)
            {
                throw new TlsAnswerException(_first[0] == 0x15 ? "a TLS alert" : "a TLS handshake record");
            }

            if (have == 5 && _first.AsSpan().SequenceEqual("HTTP/"u8))
            {
                // Only when "HTTP/" came split over reads (ReadAsync handles the usual case with the whole answer).
                throw new Http1AnswerException("HTTP/…");
            }

            // Anything else whose first frame header is not a SETTINGS frame (type 0x4 in byte 3) is no HTTP/2 answer:
            // Python's http.server answers the preface with a bare HTML error page, for one.
            if (have == 5 && _first[3] != 0x04)
            {
                // What came so far (the earlier reads' bytes, then this one's) for the message.
                var shown = new byte[(int)_seen + data.Length];
                _first.AsSpan(0, (int)_seen).CopyTo(shown);
                data.CopyTo(shown.AsSpan((int)_seen));
                throw new NotHttp2AnswerException(Printable(shown));
            }
        }

        _seen += data.Length;
        while (!data.IsEmpty)
        {
            if (_payloadLeft > 0)
            {
                var take = Math.Min(_payloadLeft, data.Length);
                var want = Math.Min(_goAwayLength, _goAway.Length);
                if (_inGoAway && _goAwayFill < want)
                {
                    var copy = Math.Min(want - _goAwayFill, take);
                    data[..copy].CopyTo(_goAway.AsSpan(_goAwayFill));
                    _goAwayFill += copy;
                    if (_goAwayFill == want)
                    {
                        // The frame (its debug data up to 64 bytes, e.g. C-core's "too_many_pings") is all here.
                        _goAwayLast = (int)(System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(_goAway) & 0x7fffffff);
                        _goAwayCode = System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(_goAway.AsSpan(4));
                        Volatile.Write(ref _goAwayDebug, want > 8 ? Printable(_goAway.AsSpan(8, want - 8)) : "");
                        Volatile.Write(ref _goAwayAt, DateTime.UtcNow.Ticks);
                    }
                }

                _payloadLeft -= take;
                data = data[take..];
                continue;
            }

            var need = Math.Min(9 - _headerFill, data.Length);
            data[..need].CopyTo(_header.AsSpan(_headerFill));
            _headerFill += need;
            data = data[need..];
            if (_headerFill < 9)
            {
                return;
            }

            _headerFill = 0;
            _payloadLeft = (_header[0] << 16) | (_header[1] << 8) | _header[2];
            _inGoAway = _header[3] == 0x7 && _payloadLeft >= 8;
            _goAwayLength = _payloadLeft;
            _goAwayFill = 0;
        }
    }
}
