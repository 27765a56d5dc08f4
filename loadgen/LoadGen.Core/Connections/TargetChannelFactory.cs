using Grpc.Net.Client;
using LoadGen.Core.Metrics;
using LoadGen.Core.Scenarios;

namespace LoadGen.Core.Connections;

/// <summary>
/// The one place a channel to a target is built (the shape of YARP's ForwarderHttpClientFactory): the
/// handler stack — TCP without Nagle, TLS as the target asks (<see cref="TlsTrust"/>), keepalive pings,
/// connect timeout; for load streams, no silent re-send of a refused stream (<see cref="NoSilentRetryHandler"/>);
/// the target's :authority — and its message-size limits. The connection pool, server reflection, the
/// timeout probe and `lab check` all connect through it, so a target reached one way is reached the same
/// way everywhere.
/// </summary>
public static class TargetChannelFactory
{
    /// <summary>
    /// The AppContext switch that turns off SocketsHttpHandler's dynamic HTTP/2 receive-window sizing. Its RTT PINGs
    /// are frames no message shows: they re-arm a proxy's per-connection idle timer (NGINX 1.22's client_body_timeout)
    /// at moments of their own, so a 5 s cut read 7.6 s of message quiet in 2 of 3 lab runs (0 of 3 with it off).
    /// LoadGen's streams carry small messages, for which the window's auto-tuning buys nothing.
    /// </summary>
    public const string DynamicWindowSwitch = "System.Net.SocketsHttpHandler.Http2FlowControl.DisableDynamicWindowSizing";

    static TargetChannelFactory() => QuietConnections();

    /// <summary>
    /// Turns the dynamic window's PINGs off for this process (<see cref="DynamicWindowSwitch"/>); call before any HTTP/2
    /// connection is made — the runtime reads the switch once. The CLI and the tests call it first thing; otherwise
    /// the first use of this class does.
    /// </summary>
    public static void QuietConnections() => AppContext.SetSwitch(DynamicWindowSwitch, true);

    /// <summary>The connect timeout where the caller has none of its own (reflection, the probe, lab check).</summary>
    public static readonly TimeSpan DefaultConnectTimeout = TimeSpan.FromSeconds(10);

    /// <summary>The handler stack for one of the target's connections.</summary>
    /// <param name="connected">Called once per TCP connection made (the pool counts them).</param>
    /// <param name="loadStreams">
    /// The pool's long-lived streams, whose first message is written once: a refused stream must fail, not
    /// be re-sent empty (<see cref="NoSilentRetryHandler"/>). One-off calls (reflection, the probe, lab check)
    /// go without that guard.
    /// </param>
    public static HttpMessageHandler CreateHandler(TargetOptions target, TimeSpan? connectTimeout = null, Action<IConnectionFrames?>? connected = null, bool loadStreams = false, PathRecorder? path = null)
    {
        ArgumentNullException.ThrowIfNull(target);
        HttpMessageHandler handler = TlsTrust.Handler(target, connectTimeout ?? DefaultConnectTimeout, connected, path);
        handler = loadStreams ? new NoSilentRetryHandler(handler) : handler;
        return target.Authority is { } authority ? new AuthorityHandler(handler, authority) : handler;
    }

    /// <summary>A channel to the target over <see cref="CreateHandler"/>; disposing it closes its connections.</summary>
    public static GrpcChannel Create(TargetOptions target, TimeSpan? connectTimeout = null, Action<IConnectionFrames?>? connected = null, bool loadStreams = false, PathRecorder? path = null)
    {
        ArgumentNullException.ThrowIfNull(target);
        return GrpcChannel.ForAddress(target.Address, new GrpcChannelOptions
        {
            HttpHandler = CreateHandler(target, connectTimeout, connected, loadStreams, path),
            DisposeHttpClient = true,
            MaxReceiveMessageSize = target.MaxReceiveMessageBytes,
            MaxSendMessageSize = target.MaxSendMessageBytes,
        });
    }
}
