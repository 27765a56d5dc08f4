using System.Globalization;
using System.Net.Sockets;
using System.Text;

namespace LoadGen.Lab.Check;

/// <summary>What an HTTP/1.1 health check got back, in a form that can be explained.</summary>
public enum ProbeAnswer
{
    /// <summary>An HTTP/1.x status line.</summary>
    Http1,

    /// <summary>HTTP/2 frames: the port speaks only HTTP/2 (prior knowledge), e.g. NGINX 1.22's `listen … http2` without ssl.</summary>
    Http2Frames,

    /// <summary>Nothing listens.</summary>
    Refused,

    /// <summary>The connection closed without a byte.</summary>
    Empty,

    /// <summary>No answer within the timeout.</summary>
    Timeout,

    /// <summary>Bytes that are neither HTTP/1 nor HTTP/2 (TLS alert, another protocol).</summary>
    Other,
}

/// <param name="Status">The HTTP status for <see cref="ProbeAnswer.Http1"/>.</param>
/// <param name="GoawayCode">The GOAWAY error code for <see cref="ProbeAnswer.Http2Frames"/>, when one came.</param>
public sealed record HealthCheck(Uri Url, ProbeAnswer Answer, int? Status, long? GoawayCode, string Detail)
{
    public bool Healthy => Answer == ProbeAnswer.Http1 && Status is >= 200 and < 400;

    /// <summary>One or two sentences a person acts on.</summary>
    public string Explain() => Answer switch
    {
        ProbeAnswer.Http1 when Healthy => $"HTTP/1.1 GET {Url.PathAndQuery} → {Status}: a Kubernetes or load-balancer HTTP health check works on this port.",
        ProbeAnswer.Http1 => $"HTTP/1.1 GET {Url.PathAndQuery} → {Status}: the port speaks HTTP/1.1, but the path is not healthy here (wrong path, or the proxy's health endpoint is elsewhere).",
        ProbeAnswer.Http2Frames =>
            $"the port answered an HTTP/1.1 request with HTTP/2 frames{(GoawayCode is { } g ? $" and GOAWAY({Http2Codes.Name(g)})" : "")}: it speaks only prior-knowledge HTTP/2 (h2c). " +
            "This is NGINX ≤ 1.25.0 with `listen … http2` and no ssl — ESP's --http2_port. An HTTP/1.1 health check there always fails: " +
            "point it at ESP's --http_port (HTTP/1.1), or use a gRPC/HTTP2 health check.",
        ProbeAnswer.Refused => "connection refused: nothing listens on this port.",
        ProbeAnswer.Empty => "the server closed the connection without answering.",
        ProbeAnswer.Timeout => "no answer within the timeout: a firewall, a stopped process, or a server waiting for something else (TLS?).",
        _ => $"an answer that is neither HTTP/1 nor HTTP/2: {Detail}",
    };

    /// <summary>Sends a plain HTTP/1.1 GET over TCP (no TLS), as kubelet's httpGet probe does, and classifies the raw answer.</summary>
    public static async Task<HealthCheck> Http1Async(Uri url, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(url);
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        cts.CancelAfter(timeout);
        using var tcp = new TcpClient();
        var answer = new MemoryStream();
        try
        {
            await tcp.ConnectAsync(url.Host, url.Port, cts.Token);
            var stream = tcp.GetStream();
            var request = $"GET {url.PathAndQuery} HTTP/1.1\r\nHost: {url.Authority}\r\nUser-Agent: loadgen-lab-check\r\nConnection: close\r\n\r\n";
            await stream.WriteAsync(Encoding.ASCII.GetBytes(request), cts.Token);
            var buffer = new byte[4096];
            int n;
            while (answer.Length < 64 * 1024 && (n = await stream.ReadAsync(buffer, cts.Token)) > 0)
            {
                answer.Write(buffer, 0, n);
            }
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.ConnectionRefused)
        {
            return new HealthCheck(url, ProbeAnswer.Refused, null, null, e.Message);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            if (answer.Length == 0)
            {
                return new HealthCheck(url, ProbeAnswer.Timeout, null, null, $"nothing within {timeout.TotalSeconds:0.#} s");
            }
        }
        catch (IOException)
        {
            // A reset after the answer: classify what came.
        }

        return Classify(url, answer.ToArray());
    }

    public static HealthCheck Classify(Uri url, byte[] bytes)
    {
        if (bytes.Length == 0)
        {
            return new HealthCheck(url, ProbeAnswer.Empty, null, null, "");
        }

        var text = Encoding.ASCII.GetString(bytes, 0, Math.Min(bytes.Length, 200));
        if (text.StartsWith("HTTP/1.", StringComparison.Ordinal))
        {
            var line = text.Split("\r\n")[0];
            var parts = line.Split(' ');
            int? status = parts.Length > 1 && int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var s) ? s : null;
            return new HealthCheck(url, ProbeAnswer.Http1, status, null, line);
        }

        var frames = Http2Codes.Frames(bytes);
        if (frames.Count > 0 && frames[0].Type == 0x4)
        {
            var goaway = frames.FirstOrDefault(f => f.Type == 0x7);
            return new HealthCheck(url, ProbeAnswer.Http2Frames, null, goaway?.ErrorCode,
                string.Join(", ", frames.Select(f => f.Type == 0x7 ? $"GOAWAY({Http2Codes.Name(f.ErrorCode ?? 0)})" : Http2Codes.FrameName(f.Type))));
        }

        return new HealthCheck(url, ProbeAnswer.Other, null, null, Convert.ToHexString(bytes, 0, Math.Min(bytes.Length, 16)));
    }
}

/// <summary>HTTP/2 frame and error names (RFC 9113 §6, §7), and a minimal frame splitter for raw answers.</summary>
public static class Http2Codes
{
    private static readonly string[] Errors =
    [
        "NO_ERROR", "PROTOCOL_ERROR", "INTERNAL_ERROR", "FLOW_CONTROL_ERROR", "SETTINGS_TIMEOUT", "STREAM_CLOSED", "FRAME_SIZE_ERROR",
        "REFUSED_STREAM", "CANCEL", "COMPRESSION_ERROR", "CONNECT_ERROR", "ENHANCE_YOUR_CALM", "INADEQUATE_SECURITY", "HTTP_1_1_REQUIRED",
    ];

    private static readonly string[] FrameTypes = ["DATA", "HEADERS", "PRIORITY", "RST_STREAM", "SETTINGS", "PUSH_PROMISE", "PING", "GOAWAY", "WINDOW_UPDATE", "CONTINUATION"];

    public static string Name(long code) => code >= 0 && code < Errors.Length ? Errors[code] : $"0x{code:x}";

    public static string FrameName(int type) => type >= 0 && type < FrameTypes.Length ? FrameTypes[type] : $"type 0x{type:x}";

    public sealed record Frame(int Type, long? ErrorCode);

    /// <summary>Splits raw server bytes into frames (server side: no connection preface).</summary>
    public static IReadOnlyList<Frame> Frames(byte[] bytes)
    {
        ArgumentNullException.ThrowIfNull(bytes);
        var frames = new List<Frame>();
        for (var i = 0; i + 9 <= bytes.Length;)
        {
            var length = (bytes[i] << 16) | (bytes[i + 1] << 8) | bytes[i + 2];
            var type = bytes[i + 3];
            if (type > 0x9)
            {
                break;
            }

            long? error = null;
            if (type == 0x7 && i + 9 + 8 <= bytes.Length)
            {
                var p = i + 9 + 4;
                error = ((long)bytes[p] << 24) | ((long)bytes[p + 1] << 16) | ((long)bytes[p + 2] << 8) | bytes[p + 3];
            }

            frames.Add(new Frame(type, error));
            i += 9 + length;
        }

        return frames;
    }
}
