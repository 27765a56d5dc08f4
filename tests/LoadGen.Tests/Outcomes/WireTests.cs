using System.Net;
using System.Net.Sockets;
using LoadGen.Results;
using LoadGen.Tests.Integration;

namespace LoadGen.Tests.Outcomes;

/// <summary>
/// Causes decided from what the server put on the wire, against raw TCP servers that misbehave on
/// purpose, through the real client: an HTTP/1.1 answer is http2-unavailable, and an error the client
/// finds in the peer's HTTP/2 is protocol-error:*, never rst:* (no RST_STREAM was sent).
/// </summary>
[Collection(SerialLoad.Name)]
public class WireTests
{
    /// <summary>A loopback server that answers every connection with <paramref name="answer"/> after reading the client's first bytes.</summary>
    private static (TcpListener Listener, Uri Address) Serve(byte[] answer, CancellationToken ct)
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        _ = Task.Run(async () =>
        {
            while (!ct.IsCancellationRequested)
            {
                TcpClient c;
                try
                {
                    c = await listener.AcceptTcpClientAsync(ct);
                }
                catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException)
                {
                    return;
                }

                _ = Task.Run(async () =>
                {
                    using (c)
                    {
                        var s = c.GetStream();
                        var buf = new byte[4096];
                        _ = await s.ReadAsync(buf, ct);
                        await s.WriteAsync(answer, ct);
                        // Drain what the client still sends until it hangs up (at most 2 s): closing with unread bytes
                        // would send a TCP reset, and the client could lose the answer to it (seen once in CI).
                        using var drain = CancellationTokenSource.CreateLinkedTokenSource(ct);
                        drain.CancelAfter(TimeSpan.FromSeconds(2));
                        try
                        {
                            while (await s.ReadAsync(buf, drain.Token) > 0)
                            {
                            }
                        }
                        catch (Exception e) when (e is OperationCanceledException or IOException)
                        {
                            // The client hung up, or the 2 s are over.
                        }
                    }
                }, ct);
            }
        }, ct);
        return (listener, new Uri($"http://127.0.0.1:{((IPEndPoint)listener.LocalEndpoint).Port}"));
    }

    private static async Task<IReadOnlyDictionary<string, long>> Causes(byte[] answer)
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var (listener, address) = Serve(answer, cts.Token);
        try
        {
            var scenario = EngineHarness.Scenario(address, streams: 3, TimeSpan.FromSeconds(1)) with
            {
                Connections = new LoadGen.Core.Scenarios.ConnectionOptions { OpenTimeout = TimeSpan.FromSeconds(3) },
            };
            var (summary, _) = await EngineHarness.RunAsync(scenario, ct: cts.Token);
            return Assert.Single(summary.Topologies).Outcomes;
        }
        finally
        {
            await cts.CancelAsync();
            listener.Stop();
        }
    }

    [Fact(Timeout = SerialLoad.TimeoutMs)]
    public async Task AnHttp11AnswerToThePreface_IsHttp2Unavailable()
    {
        var causes = await Causes("HTTP/1.1 400 Bad Request\r\nServer: nginx/1.22.1\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"u8.ToArray());

        Assert.True(causes.Count > 0 && causes.Keys.All(k => k == EndCauses.Http2Unavailable), string.Join(", ", causes));
    }

    [Fact(Timeout = SerialLoad.TimeoutMs)]
    public async Task ABareHtmlPageForThePreface_IsHttp2Unavailable_NotAProtocolError()
    {
        // What Python's http.server sends for "PRI * HTTP/2.0" (measured): no status line, just an HTML error page.
        // Before, its bytes were read as HTTP/2 frames and the end was protocol-error:PROTOCOL_ERROR.
        var causes = await Causes("<!DOCTYPE HTML>\n<html lang=\"en\">\n<body><p>Error code: 505</p></body></html>\n"u8.ToArray());

        Assert.True(causes.Count > 0 && causes.Keys.All(k => k == EndCauses.Http2Unavailable), string.Join(", ", causes));
    }

    [Fact(Timeout = SerialLoad.TimeoutMs)]
    public async Task InvalidHttp2FromThePeer_IsTheClientsProtocolError_NotAReset()
    {
        // SETTINGS (empty), then a DATA frame on stream 0, which RFC 9113 §6.1 makes a connection PROTOCOL_ERROR.
        byte[] frames = [0, 0, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];

        var causes = await Causes(frames);

        // Never rst:* (no RST_STREAM was sent). Under load (a loaded CI clone: 1 stream of 5; 2 runs of 25 beside a CPU
        // burner here) a request that waited on the failing connection gets SocketsHttpHandler's "did not complete the
        // HTTP/2 handshake" with no inner exception — the client sent no GOAWAY, so nothing on the wire ties it to the
        // PROTOCOL_ERROR; it is recorded http2-unavailable, a known limit (docs/outcomes.md), and stays a minority.
        Assert.True(causes.Keys.All(k => k is "protocol-error:PROTOCOL_ERROR" or EndCauses.Http2Unavailable), string.Join(", ", causes));
        Assert.True(causes.GetValueOrDefault("protocol-error:PROTOCOL_ERROR") > causes.GetValueOrDefault(EndCauses.Http2Unavailable), string.Join(", ", causes));
    }

    [Fact(Timeout = SerialLoad.TimeoutMs)]
    public async Task ATlsAnswerToAPlaintextPreface_IsTlsRequired()
    {
        // A TLS alert record (handshake_failure), as a TLS server that gets plaintext may send.
        var causes = await Causes([0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x28]);

        // Under load (two clean CI clones with a CPU burner) 1 stream of 3-5 ended http2-unavailable: a request that
        // waited on the failing connection gets SocketsHttpHandler's "did not complete the HTTP/2 handshake" without
        // the TLS record the connection read. Never anything else, and tls-required for most.
        Assert.True(causes.Keys.All(k => k is EndCauses.TlsRequired or EndCauses.Http2Unavailable), string.Join(", ", causes));
        Assert.True(causes.GetValueOrDefault(EndCauses.TlsRequired) > causes.GetValueOrDefault(EndCauses.Http2Unavailable), string.Join(", ", causes));
    }

    /// <summary>Hands its bytes over one at a time, as a loaded machine may.</summary>
    private sealed class Trickle(byte[] bytes) : MemoryStream(bytes)
    {
        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            base.ReadAsync(buffer[..Math.Min(1, buffer.Length)], cancellationToken);
    }

    [Theory]
    [InlineData(new byte[] { 0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x28 }, typeof(LoadGen.Core.Connections.TlsAnswerException))]
    [InlineData(new byte[] { (byte)'H', (byte)'T', (byte)'T', (byte)'P', (byte)'/', (byte)'1', (byte)'.', (byte)'1' }, typeof(LoadGen.Core.Connections.Http1AnswerException))]
    [InlineData(new byte[] { (byte)'<', (byte)'!', (byte)'D', (byte)'O', (byte)'C', (byte)'T' }, typeof(LoadGen.Core.Connections.NotHttp2AnswerException))]
    public async Task TheFirstBytes_AreJudgedHoweverTheReadsSplitThem(byte[] answer, Type expected)
    {
        // A clean CI clone under load: 1 of 5 streams read a TLS alert split over reads and was recorded http2-unavailable.
        await using var watch = new LoadGen.Core.Connections.WireWatch(new Trickle(answer));
        var buffer = new byte[64];

        var e = await Record.ExceptionAsync(async () =>
        {
            while (await watch.ReadAsync(buffer) > 0)
            {
            }
        });

        Assert.IsType(expected, e);
    }

    [Fact]
    public async Task ASettingsFrameSplitOverReads_IsHttp2()
    {
        // An empty SETTINGS frame, one byte per read: nothing thrown, every byte passed on.
        byte[] settings = [0, 0, 0, 4, 0, 0, 0, 0, 0];
        await using var watch = new LoadGen.Core.Connections.WireWatch(new Trickle(settings));
        var buffer = new byte[64];
        var total = 0;
        while (await watch.ReadAsync(buffer) is var n && n > 0)
        {
            total += n;
        }

        Assert.Equal(settings.Length, total);
    }

    /// <summary>
    /// What a server announces on a connection, however the reads split it: its first SETTINGS frame (each parameter, "not
    /// sent" for those it left out), the connection window it opened before any stream's frame, and a GOAWAY with its
    /// debug data — the path's fingerprint as LoadGen records it.
    /// </summary>
    [Theory]
    [InlineData(1)]
    [InlineData(7)]
    [InlineData(4096)]
    public async Task TheServersSettings_Window_AndGoAway_AreRecorded_HoweverTheReadsSplitThem(int chunk)
    {
        byte[] frames =
        [
            // SETTINGS: MAX_CONCURRENT_STREAMS 10, INITIAL_WINDOW_SIZE 65536, ENABLE_CONNECT_PROTOCOL 1.
            0, 0, 18, 4, 0, 0, 0, 0, 0, 0, 3, 0, 0, 0, 10, 0, 4, 0, 1, 0, 0, 0, 8, 0, 0, 0, 1,
            // SETTINGS ACK (not the server's settings).
            0, 0, 0, 4, 1, 0, 0, 0, 0,
            // WINDOW_UPDATE on stream 0: +1,048,576.
            0, 0, 4, 8, 0, 0, 0, 0, 0, 0, 16, 0, 0,
            // A second SETTINGS frame later in the connection: not the first, not recorded.
            0, 0, 6, 4, 0, 0, 0, 0, 0, 0, 3, 0, 0, 0, 99,
            // GOAWAY ENHANCE_YOUR_CALM, last stream 1, debug data "too_many_pings".
            0, 0, 22, 7, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 11, .. "too_many_pings"u8.ToArray(),
        ];
        var path = new LoadGen.Core.Metrics.PathRecorder();
        await using var watch = new LoadGen.Core.Connections.WireWatch(new Chunked(frames, chunk), path);
        var buffer = new byte[64];

        // The connection's end after the GOAWAY is the server's close, raised where it happens.
        await Assert.ThrowsAsync<LoadGen.Core.Connections.ClosedAfterGoAwayException>(async () =>
        {
            while (await watch.ReadAsync(buffer) > 0)
            {
            }
        });

        var seen = path.Snapshot();
        Assert.Equal(1, seen.Connections);
        Assert.Equal("10", seen.Show(PathFields.MaxConcurrentStreams));
        Assert.Equal("65536", seen.Show(PathFields.InitialWindowSize));
        Assert.Equal(PathFields.NotSent, seen.Show(PathFields.MaxFrameSize));
        Assert.Equal(PathFields.NotSent, seen.Show(PathFields.HeaderTableSize));
        Assert.Equal("1", seen.Show(PathFields.Setting(8)));
        Assert.Equal("1048576", seen.Show(PathFields.ConnectionWindowIncrement));
        Assert.Equal("ENHANCE_YOUR_CALM 'too_many_pings'", seen.Show(PathFields.GoAway));
        Assert.Equal(("ENHANCE_YOUR_CALM", "too_many_pings"), (EndCauses.Http2ErrorName(watch.GoAway!.ErrorCode), watch.GoAway.DebugData));
    }

    [Fact]
    public async Task AServerThatOpensNoConnectionWindow_BeforeItsFirstStreamFrame_IsRecordedAsNotSent()
    {
        // An empty SETTINGS frame (every parameter at its default), then HEADERS on stream 1 with no WINDOW_UPDATE before.
        byte[] frames = [0, 0, 0, 4, 0, 0, 0, 0, 0, 0, 0, 1, 1, 4, 0, 0, 0, 1, 0x88];
        var path = new LoadGen.Core.Metrics.PathRecorder();
        await using var watch = new LoadGen.Core.Connections.WireWatch(new Chunked(frames, 3), path);
        var buffer = new byte[64];
        while (await watch.ReadAsync(buffer) > 0)
        {
        }

        var seen = path.Snapshot();
        Assert.Equal(PathFields.NotSent, seen.Show(PathFields.ConnectionWindowIncrement));
        Assert.Equal(PathFields.NotSent, seen.Show(PathFields.MaxConcurrentStreams));
        Assert.Equal(PathFields.NotSent, seen.Show(PathFields.InitialWindowSize));
    }

    /// <summary>Hands its bytes over <c>chunk</c> at a time.</summary>
    private sealed class Chunked(byte[] bytes, int chunk) : MemoryStream(bytes)
    {
        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            base.ReadAsync(buffer[..Math.Min(chunk, buffer.Length)], cancellationToken);
    }
}
