using System.Net.Security;
using LoadGen.Core.Metrics;

namespace LoadGen.Core.Connections;

/// <summary>
/// A TLS connection LoadGen handshakes itself, read above the decryption: the server's HTTP/2 frames are watched
/// as on h2c (<see cref="ServerFrames"/>: SETTINGS, connection window, GOAWAY), and an end of the connection after
/// a GOAWAY is raised as <see cref="ClosedAfterGoAwayException"/>. SocketsHttpHandler takes an SslStream from its
/// connect callback as the TLS connection itself, so this one is an SslStream.
/// </summary>
internal sealed class WatchedSslStream(Stream inner, PathRecorder? path) : SslStream(inner, leaveInnerStreamOpen: false), IConnectionFrames
{
    private readonly ServerFrames _frames = new(path, checkFirstBytes: false);

    /// <inheritdoc/>
    public GoAwayFrame? GoAway => _frames.GoAway;

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        int n;
        try
        {
            n = await base.ReadAsync(buffer, cancellationToken);
        }
        catch (IOException e) when (_frames.GoneAway)
        {
            throw _frames.AfterGoAway(e);
        }

        if (n == 0)
        {
            return _frames.GoneAway && !buffer.IsEmpty ? throw _frames.AfterGoAway(null) : 0;
        }

        _frames.Watch(buffer.Span[..n]);
        return n;
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

    public override int Read(Span<byte> buffer)
    {
        var rented = new byte[buffer.Length];
        var n = Read(rented, 0, rented.Length);
        rented.AsSpan(0, n).CopyTo(buffer);
        return n;
    }

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        try
        {
            await base.WriteAsync(buffer, cancellationToken);
        }
        catch (IOException e) when (_frames.GoneAway)
        {
            throw _frames.AfterGoAway(e);
        }
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();
}
