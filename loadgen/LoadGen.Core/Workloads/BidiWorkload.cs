using Grpc.Core;

namespace LoadGen.Core.Workloads;

/// <summary>
/// A workload written in C# against generated client code: how a stream opens its call, what its
/// n-th message is, and how a reply is matched to its request. Run it with
/// <see cref="Engine.LoadEngine"/> like any scenario (set it as <see cref="Scenarios.Scenario.Workload"/>; example: scenarios/code-first).
/// </summary>
/// <example>
/// <code>
/// var workload = new BidiWorkload&lt;ClientFrame, ServerFrame&gt;(
///         "loadgen.lab.v1.LabService/Chat",
///         (invoker, options) =&gt; new LabService.LabServiceClient(invoker).Chat(options),
///         (stream, seq) =&gt; new ClientFrame { Seq = seq })
///     .MatchByKey(request =&gt; request.Seq, reply =&gt; reply.Seq);
/// </code>
/// </example>
/// <typeparam name="TRequest">The client's message type.</typeparam>
/// <typeparam name="TResponse">The server's message type.</typeparam>
public sealed class BidiWorkload<TRequest, TResponse> : StreamWorkload
    where TRequest : class
    where TResponse : class
{
    private readonly string _method;
    private readonly Func<CallInvoker, CallOptions, AsyncDuplexStreamingCall<TRequest, TResponse>> _open;
    private readonly Func<StreamContext, ulong, TRequest> _message;
    private readonly ReplyMatching _matching;
    private readonly Func<IMatcher> _matcher;
    private readonly Action<StreamContext, TResponse>? _onReply;

    /// <param name="method">"package.Service/Method", as reports and telemetry name it.</param>
    /// <param name="open">Starts the bidi call on the invoker with the options given (they carry the metadata and the cancellation).</param>
    /// <param name="message">Message number seq (1, 2, …) of a stream. Called from many streams at once.</param>
    public BidiWorkload(
        string method,
        Func<CallInvoker, CallOptions, AsyncDuplexStreamingCall<TRequest, TResponse>> open,
        Func<StreamContext, ulong, TRequest> message)
        : this(method, open, message, new ReplyMatching(ReplyMatchKind.PingPong), () => new PingPong(), null)
    {
    }

    private BidiWorkload(
        string method,
        Func<CallInvoker, CallOptions, AsyncDuplexStreamingCall<TRequest, TResponse>> open,
        Func<StreamContext, ulong, TRequest> message,
        ReplyMatching matching,
        Func<IMatcher> matcher,
        Action<StreamContext, TResponse>? onReply)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(method);
        ArgumentNullException.ThrowIfNull(open);
        ArgumentNullException.ThrowIfNull(message);
        _method = method;
        _open = open;
        _message = message;
        _matching = matching;
        _matcher = matcher;
        _onReply = onReply;
    }

    public override string Method => _method;

    public override ReplyMatching Matching => _matching;

    /// <summary>The default: each reply answers the oldest unanswered request (one reply per request, in order).</summary>
    public BidiWorkload<TRequest, TResponse> MatchPingPong() => With(new ReplyMatching(ReplyMatchKind.PingPong), () => new PingPong());

    /// <summary>A reply answers the request whose key (e.g. an id field) it carries.</summary>
    /// <param name="requestKey">The key of a request.</param>
    /// <param name="replyKey">The key of a reply; null (or a key no pending request has) answers none.</param>
    /// <param name="detail">What the key is, for reports (e.g. "request.id = reply.id").</param>
    public BidiWorkload<TRequest, TResponse> MatchByKey<TKey>(Func<TRequest, TKey> requestKey, Func<TResponse, TKey?> replyKey, string detail = "a key")
        where TKey : notnull
    {
        ArgumentNullException.ThrowIfNull(requestKey);
        ArgumentNullException.ThrowIfNull(replyKey);
        return With(new ReplyMatching(ReplyMatchKind.ByKey, detail), () => new ByKey<TKey>(requestKey, replyKey));
    }

    /// <summary>A reply names the sequence number the engine gave its request (the seq passed to the message function), or 0 for none.</summary>
    public BidiWorkload<TRequest, TResponse> MatchBySequence(Func<TResponse, ulong> answered, string detail = "")
    {
        ArgumentNullException.ThrowIfNull(answered);
        return With(new ReplyMatching(ReplyMatchKind.Sequence, detail), () => new Sequence(answered));
    }

    /// <summary>Replies are counted, not matched (a server that pushes): rates and gaps, no round-trip latency.</summary>
    public BidiWorkload<TRequest, TResponse> CountOnly() => With(new ReplyMatching(ReplyMatchKind.CountOnly), () => new Count());

    /// <summary>
    /// Receive: sees every reply before it is matched (check its content, count what matters to you). An
    /// exception thrown here, as from the other functions, ends the stream as <c>workload-error:TYPE</c>
    /// — your code's failure, never mistaken for the path's.
    /// </summary>
    public BidiWorkload<TRequest, TResponse> OnReply(Action<StreamContext, TResponse> onReply)
    {
        ArgumentNullException.ThrowIfNull(onReply);
        return new(_method, _open, _message, _matching, _matcher, onReply);
    }

    internal override IStreamCall Open(CallInvoker invoker, CallOptions options, StreamContext stream) =>
        new Call(WorkloadCodeException.Guard(() => _open(invoker, options)), this, stream, _matcher());

    private BidiWorkload<TRequest, TResponse> With(ReplyMatching matching, Func<IMatcher> matcher) =>
        new(_method, _open, _message, matching, matcher, _onReply);

    /// <summary>One stream's matching state; Sent and Answer run on different threads.</summary>
    private interface IMatcher
    {
        void Sent(ulong seq, TRequest request);

        ulong Answer(TResponse reply);
    }

    private sealed class PingPong : IMatcher
    {
        private ulong _replies;

        public void Sent(ulong seq, TRequest request)
        {
        }

        // Replies are read by one reader: the n-th answers message n.
        public ulong Answer(TResponse reply) => ++_replies;
    }

    private sealed class Sequence(Func<TResponse, ulong> answered) : IMatcher
    {
        public void Sent(ulong seq, TRequest request)
        {
        }

        public ulong Answer(TResponse reply) => answered(reply);
    }

    private sealed class Count : IMatcher
    {
        public void Sent(ulong seq, TRequest request)
        {
        }

        public ulong Answer(TResponse reply) => 0;
    }

    private sealed class ByKey<TKey>(Func<TRequest, TKey> requestKey, Func<TResponse, TKey?> replyKey) : IMatcher
        where TKey : notnull
    {
        // As PendingSends: past this many unanswered keys the oldest are forgotten, so memory stays bounded.
        private const int MaxPending = 1 << 16;
        private readonly Dictionary<TKey, ulong> _pending = [];
        private readonly Queue<(TKey Key, ulong Seq)> _order = new();
        private readonly Lock _lock = new();

        public void Sent(ulong seq, TRequest request)
        {
            var key = requestKey(request);
            lock (_lock)
            {
                _pending[key] = seq;
                _order.Enqueue((key, seq));
                while (_order.Count > MaxPending)
                {
                    var (old, oldSeq) = _order.Dequeue();
                    if (_pending.TryGetValue(old, out var s) && s == oldSeq)
                    {
                        _pending.Remove(old);
                    }
                }
            }
        }

        public ulong Answer(TResponse reply)
        {
            if (replyKey(reply) is not { } key)
            {
                return 0;
            }

            lock (_lock)
            {
                if (_order.Count > 4 * Math.Max(_pending.Count, 16))
                {
                    // Answered keys stay queued until they are old; compact now and then.
                    var live = _order.Where(e => _pending.TryGetValue(e.Key, out var s) && s == e.Seq).ToList();
                    _order.Clear();
                    live.ForEach(_order.Enqueue);
                }

                return _pending.Remove(key, out var seq) ? seq : 0;
            }
        }
    }

    private sealed class Call(
        AsyncDuplexStreamingCall<TRequest, TResponse> call,
        BidiWorkload<TRequest, TResponse> workload,
        StreamContext stream,
        IMatcher matcher) : IStreamCall
    {
        public Task<Metadata> ResponseHeadersAsync => call.ResponseHeadersAsync;


        // Per message: plain try/catch (no closure) around the workload's code.
        public Task WriteAsync(ulong seq)
        {
            TRequest message;
            try
            {
                message = workload._message(stream, seq);
                matcher.Sent(seq, message);
            }
            catch (Exception e) when (WorkloadCodeException.IsWorkloads(e))
            {
                throw new WorkloadCodeException(e);
            }

            return call.RequestStream.WriteAsync(message, CancellationToken.None);
        }

        public Task CompleteAsync() => call.RequestStream.CompleteAsync();

        public Task<bool> MoveNextAsync() => call.ResponseStream.MoveNext(CancellationToken.None);

        public ulong Answer()
        {
            var reply = call.ResponseStream.Current;
            try
            {
                workload._onReply?.Invoke(stream, reply);
                return matcher.Answer(reply);
            }
            catch (Exception e) when (WorkloadCodeException.IsWorkloads(e))
            {
                throw new WorkloadCodeException(e);
            }
        }

        public Status GetStatus() => call.GetStatus();

        public Metadata? ServerTrailers()
        {
            try
            {
                return call.GetTrailers();
            }
            catch (InvalidOperationException)
            {
                return null;
            }
        }

        public void Dispose() => call.Dispose();
    }
}
