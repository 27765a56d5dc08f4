using System.Collections.Concurrent;
using Grpc.Core;
using Grpc.Net.Client;
using LoadGen.Core.Connections;
using LoadGen.Core.Outcomes;
using LoadGen.Core.Scenarios;
using LoadGen.Protos.Lab;
using LoadGen.Results;

namespace LoadGen.Core.Engine;

/// <summary>
/// The longest quiet interval a path lets a stream survive, per direction. A probe result is
/// bracketed: every quiet interval up to <paramref name="LongestSurvivedS"/> survived, one of
/// <paramref name="ShortestFailedS"/> ended the stream with <paramref name="Cause"/>.
/// </summary>
public sealed record ProbeResult(
    string Direction,
    bool Resolved,
    double? CutoffS,
    double LongestSurvivedS,
    double? ShortestFailedS,
    string? Cause,
    string? Detail,
    int Probes,
    string Verdict);

/// <summary>One target's part of probe.json: what `loadgen probe-timeouts` found on it.</summary>
public sealed record ProbeTargetReport(string Target, string Address, IReadOnlyList<ProbeResult> Results)
{
    /// <summary>probe.json in the run folder: one entry per target probed (so far, when interrupted).</summary>
    public const string FileName = RunFolder.ProbeFile;

    /// <summary>A lab target: which parts stood behind it — real binaries (with versions) or embedded stand-ins; null for your own endpoint.</summary>
    public string? Components { get; init; }

    /// <summary>A lab target: the lab settings it ran with (lab.esp, lab.gateway, lab.backend as "key=value" lists; "defaults" when none was set).</summary>
    public IReadOnlyDictionary<string, string>? Lab { get; init; }
}

/// <summary>
/// Finds each direction's idle cut-off on a path to the lab service by a bounded k-ary search:
/// each round tries several quiet intervals at once (one stream each), keeps the bracket between
/// the longest that survived and the shortest that failed, and narrows it until it is within the
/// resolution or the budget is spent.
/// <list type="bullet">
/// <item>client-quiet: the server pushes a frame every 500 ms while the client sends nothing;</item>
/// <item>server-quiet: the server holds its reply for the interval while the client sends every 500 ms;</item>
/// <item>both-quiet: neither side sends.</item>
/// </list>
/// </summary>
public sealed class TimeoutProbe(Func<GrpcChannel> connect)
{
    private static readonly TimeSpan Chatter = TimeSpan.FromMilliseconds(500);

    /// <summary>The target's request metadata (auth); null sends none.</summary>
    public MetadataSource? Headers { get; init; }

    public Action<string>? Log { get; init; }

    public async Task<IReadOnlyList<ProbeResult>> RunAsync(ProbeOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        using var budget = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        budget.CancelAfter(options.Budget);
        var deadline = DateTimeOffset.UtcNow + options.Budget;
        var results = await Task.WhenAll(options.Directions.Select(d => SearchAsync(d, options, deadline, budget.Token)));
        return results;
    }

    private async Task<ProbeResult> SearchAsync(ProbeDirection direction, ProbeOptions o, DateTimeOffset deadline, CancellationToken ct)
    {
        var name = Name(direction);
        var lo = 0.0;
        double? hi = null;
        Attempt? failure = null;
        var probes = 0;
        var k = Math.Max(2, o.Parallel);
        var first = true;
        while (true)
        {
            // Only try what can finish inside the budget: a quiet interval, the reply wait, a margin.
            var fit = (deadline - DateTimeOffset.UtcNow - o.ReplyTimeout - TimeSpan.FromSeconds(2)).TotalSeconds;
            var top = Math.Min(hi ?? o.Max.TotalSeconds, fit);
            var candidates = first
                ? Enumerable.Range(0, k).Select(i => o.Min.TotalSeconds + ((top - o.Min.TotalSeconds) * i / (k - 1))).ToList()
                : Enumerable.Range(1, k).Select(i => lo + (((hi ?? top) - lo) * i / (k + 1))).Where(q => q <= fit).ToList();
            if (ct.IsCancellationRequested || candidates.Count == 0 || top < o.Min.TotalSeconds || (!first && hi is null))
            {
                Log?.Invoke($"[{name}] budget spent: bracket {lo:0.0}..{hi?.ToString("0.0") ?? "?"} s");
                return Result(name, false, lo, hi, failure, probes, hi is null
                    ? $"survived {lo:0.#} s quiet; the budget did not allow trying longer"
                    : "budget spent before the bracket was within the resolution");
            }

            first = false;
            Log?.Invoke($"[{name}] trying quiet intervals {string.Join(", ", candidates.Select(c => $"{c:0.0}s"))}");
            var round = await Task.WhenAll(candidates.Select(q => ProbeAsync(direction, TimeSpan.FromSeconds(q), o, ct)));
            probes += round.Length;
            var failed = round.Where(a => !a.Survived).OrderBy(a => a.QuietS).FirstOrDefault();
            if (failed is not null)
            {
                hi = failed.QuietS;
                failure = failed;
            }

            lo = Math.Max(lo, round.Where(a => a.Survived && (hi is null || a.QuietS < hi)).Select(a => a.QuietS).DefaultIfEmpty(lo).Max());
            if (hi is null && lo >= o.Max.TotalSeconds)
            {
                return Result(name, true, lo, null, null, probes, $"no cut-off: streams survived {lo:0.#} s quiet (the probe's maximum)");
            }

            if (hi is { } h && h - lo <= o.Resolution.TotalSeconds)
            {
                return Result(name, true, lo, hi, failure, probes, $"cut-off between {lo:0.0} and {h:0.0} s: {failure!.Cause}");
            }
        }
    }

    private static ProbeResult Result(string direction, bool resolved, double lo, double? hi, Attempt? failure, int probes, string verdict) =>
        new(direction, resolved, hi is { } h ? Math.Round((lo + h) / 2, 2) : null, Math.Round(lo, 2), hi is { } x ? Math.Round(x, 2) : null, failure?.Cause, failure?.Detail, probes, verdict);

    private sealed record Attempt(double QuietS, bool Survived, string? Cause, string? Detail);

    private async Task<Attempt> ProbeAsync(ProbeDirection direction, TimeSpan quiet, ProbeOptions o, CancellationToken ct)
    {
        using var channel = connect();
        var client = new LabService.LabServiceClient(channel);
        using var call = client.Chat(Headers?.Current(), cancellationToken: ct);
        var echoes = new ConcurrentDictionary<ulong, TaskCompletionSource>();
        TaskCompletionSource Echo(ulong seq) => echoes.GetOrAdd(seq, _ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
        var receive = Task.Run(async () =>
        {
            while (await call.ResponseStream.MoveNext(CancellationToken.None))
            {
                if (call.ResponseStream.Current.ReplyIndex == 0)
                {
                    Echo(call.ResponseStream.Current.Seq).TrySetResult();
                }
            }
        }, CancellationToken.None);

        // Waits for an echo; a stream that dies first makes this throw with the stream's own error.
        async Task Await(ulong seq, TimeSpan within)
        {
            var done = await Task.WhenAny(Echo(seq).Task, receive, Task.Delay(within, ct));
            if (done == receive)
            {
                await receive;
                throw new InvalidOperationException("the server ended the stream (OK) during the quiet interval");
            }

            if (done != Echo(seq).Task)
            {
                throw new TimeoutException($"no reply within {within.TotalSeconds:0.#} s");
            }
        }

        try
        {
            switch (direction)
            {
                case ProbeDirection.ClientQuiet:
                    await call.RequestStream.WriteAsync(new ClientFrame { Seq = 1, Directives = new Directives { PushIntervalMs = (uint)Chatter.TotalMilliseconds } }, CancellationToken.None);
                    await Await(1, o.ReplyTimeout);
                    await Task.WhenAny(receive, Task.Delay(quiet, ct));
                    await call.RequestStream.WriteAsync(new ClientFrame { Seq = 2 }, CancellationToken.None);
                    await Await(2, o.ReplyTimeout);
                    break;
                case ProbeDirection.ServerQuiet:
                    await call.RequestStream.WriteAsync(new ClientFrame { Seq = 1, Directives = new Directives { StopReplying = true, HoldReplyMs = (uint)quiet.TotalMilliseconds } }, CancellationToken.None);
                    var reply = Echo(1).Task;
                    ulong seq = 1;
                    while (!reply.IsCompleted && !receive.IsCompleted)
                    {
                        await Task.WhenAny(reply, receive, Task.Delay(Chatter, ct));
                        if (!reply.IsCompleted && !receive.IsCompleted)
                        {
                            await call.RequestStream.WriteAsync(new ClientFrame { Seq = ++seq }, CancellationToken.None);
                        }

                        if (seq * Chatter > quiet + o.ReplyTimeout)
                        {
                            break;
                        }
                    }

                    await Await(1, TimeSpan.Zero + TimeSpan.FromMilliseconds(1));
                    break;
                default:
                    await call.RequestStream.WriteAsync(new ClientFrame { Seq = 1 }, CancellationToken.None);
                    await Await(1, o.ReplyTimeout);
                    await Task.WhenAny(receive, Task.Delay(quiet, ct));
                    await call.RequestStream.WriteAsync(new ClientFrame { Seq = 2 }, CancellationToken.None);
                    await Await(2, o.ReplyTimeout);
                    break;
            }

            await call.RequestStream.CompleteAsync();
            return new Attempt(quiet.TotalSeconds, true, null, null);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            throw;
        }
        catch (TimeoutException e)
        {
            return new Attempt(quiet.TotalSeconds, false, "no-reply", e.Message);
        }
        catch (Exception e)
        {
            // The write may fail first; the receive side usually carries the real cause.
            var cause = receive.IsFaulted ? receive.Exception!.GetBaseException() : e;
            var c = cause is InvalidOperationException ? new Classification(EndCauses.ServerStatus("OK"), "OK", null, "", cause.Message) : OutcomeClassifier.Classify(cause);
            return new Attempt(quiet.TotalSeconds, false, c.Cause, c.Detail);
        }
    }

    public static string Name(ProbeDirection d) => QuietSides.Name((QuietSide)d);
}
