using Grpc.Core;

namespace LoadGen.Core.Workloads;

/// <summary>
/// What every stream of a run does on the wire: which bidi method it opens, what its n-th message
/// is, and which request a reply answers. The engine owns everything else — the population,
/// the open-loop schedule, reconnects, outcomes, histograms and reports — the same for every workload.
/// </summary>
/// <remarks>
/// Three kinds exist: the lab service's own (the default), the data-driven one a scenario's
/// <c>service:</c> section describes (any .proto, messages from templates), and
/// <see cref="BidiWorkload{TRequest, TResponse}"/>, written in C# against generated client code.
/// </remarks>
public abstract class StreamWorkload
{
    private protected StreamWorkload()
    {
    }

    /// <summary>The method every stream calls, "package.Service/Method" (run.json, reports, OTLP's rpc.* attributes).</summary>
    public abstract string Method { get; }

    /// <summary>How replies are matched to requests.</summary>
    public abstract ReplyMatching Matching { get; }

    /// <summary>One line for run.json and reports: the method, how replies are matched, where messages come from.</summary>
    public virtual string Describe() => $"{Method} ({Matching.Describe()})";

    /// <summary>Starts the call of one stream.</summary>
    internal abstract IStreamCall Open(CallInvoker invoker, CallOptions options, StreamContext stream);
}

/// <summary>The stream a message is made for.</summary>
/// <param name="StreamId">The stream's number within its round (1, 2, …; a re-opened stream gets a new one).</param>
/// <param name="Topology">The target's name.</param>
public sealed record StreamContext(long StreamId, string Topology);

/// <summary>How a workload says which request a reply answers.</summary>
public enum ReplyMatchKind
{
    /// <summary>Each reply answers the next unanswered request, in order: one reply per request.</summary>
    PingPong,

    /// <summary>A reply names the sequence number (1, 2, …) of the request it answers, or none.</summary>
    Sequence,

    /// <summary>A reply carries the same key (a field's value) as the request it answers.</summary>
    ByKey,

    /// <summary>Replies are counted, not matched (the server pushes): rates and gaps, no round-trip latency.</summary>
    CountOnly,
}

/// <summary>A workload's reply matching, as the run records it.</summary>
/// <param name="Kind">The rule.</param>
/// <param name="Detail">For people: the field(s) a by-key match reads, or empty.</param>
public sealed record ReplyMatching(ReplyMatchKind Kind, string Detail = "")
{
    /// <summary>Round-trip latency is measured (every rule but count-only).</summary>
    public bool MeasuresLatency => Kind != ReplyMatchKind.CountOnly;

    public string Describe() => Kind switch
    {
        ReplyMatchKind.PingPong => "ping-pong: one reply per request, in order",
        ReplyMatchKind.Sequence => Detail.Length == 0 ? "replies name their request's sequence number" : Detail,
        ReplyMatchKind.ByKey => $"by-field: {Detail}",
        _ => "count-only: replies counted, no per-message latency",
    };
}

/// <summary>One stream's call, seen by the engine without its message types.</summary>
internal interface IStreamCall : IDisposable
{
    Task<Metadata> ResponseHeadersAsync { get; }

    /// <summary>Writes message number <paramref name="seq"/> (1, 2, …).</summary>
    Task WriteAsync(ulong seq);

    Task CompleteAsync();

    /// <summary>Reads the next reply; false when the server has ended the stream.</summary>
    Task<bool> MoveNextAsync();

    /// <summary>Runs the workload's reply code on the current reply: the sequence number of the request it answers, 0 for none.</summary>
    /// <exception cref="WorkloadCodeException">That code threw.</exception>
    ulong Answer();

    Status GetStatus();

    /// <summary>The trailers the server ended the call with (its own status); null when the client ended it itself.</summary>
    Metadata? ServerTrailers();
}

/// <summary>A workload's own code (message, open, reply or matching function) threw: the stream ends as <c>workload-error:TYPE</c>.</summary>
public sealed class WorkloadCodeException : Exception
{
    public WorkloadCodeException(Exception inner)
        : base($"the workload's code threw {inner?.GetType().Name}: {inner?.Message}", inner)
    {
    }

    public WorkloadCodeException()
    {
    }

    public WorkloadCodeException(string message)
        : base(message)
    {
    }

    public WorkloadCodeException(string message, Exception inner)
        : base(message, inner)
    {
    }

    /// <summary>An exception the workload's code threw of its own (not a call's failure passing through it).</summary>
    internal static bool IsWorkloads(Exception e) => e is not (OperationCanceledException or RpcException or OutOfMemoryException or WorkloadCodeException);

    internal static T Guard<T>(Func<T> code)
    {
        try
        {
            return code();
        }
        catch (Exception e) when (IsWorkloads(e))
        {
            throw new WorkloadCodeException(e);
        }
    }
}
