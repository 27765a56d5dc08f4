using System.Diagnostics;
using Google.Protobuf;
using Grpc.Core;
using LoadGen.Protos.Lab;
using Microsoft.AspNetCore.Http;

namespace LoadGen.Lab.Backend;

/// <summary>The lab's gRPC service: echoes every frame and obeys its directives.</summary>
internal sealed class LabService(LabBackendStats stats, LabControl control, LabBackendOptions options, TimeProvider timeProvider) : Protos.Lab.LabService.LabServiceBase
{
    private static readonly TimeSpan CutoffCheck = TimeSpan.FromMilliseconds(20);

    /// <summary>How late the timer has fired lately (ticks, a moving average): what a hold asks the timer less than the delay.</summary>
    private static long _timerLateTicks;

    /// <summary>
    /// Holds for <paramref name="asked"/>, never less, and as little more as the machine allows: a plain timer fires
    /// its lateness after the delay (a 5 ms delay added 7 ms to round trips here), so the timer is asked for the delay
    /// less its recent lateness, and the last fraction of a millisecond, if any is left, is waited out by yielding.
    /// Returns the hold measured, which the backend reports (the known answer is what was held, not what was asked).
    /// </summary>
    private static async Task<TimeSpan> HoldAsync(TimeSpan asked, TimeProvider time, CancellationToken ct)
    {
        var start = time.GetTimestamp();
        var late = TimeSpan.FromTicks(Interlocked.Read(ref _timerLateTicks));
        var timer = asked - late;
        if (timer >= TimeSpan.FromMilliseconds(1))
        {
            await Task.Delay(timer, time, ct);
            var lateness = time.GetElapsedTime(start) - timer;
            var clamped = Math.Clamp(lateness.Ticks, 0, TimeSpan.TicksPerMillisecond * 5);
            // An average over the last ~16 holds: quick to follow the machine's load, calm against one slow wake-up.
            Interlocked.Exchange(ref _timerLateTicks, late.Ticks + ((clamped - late.Ticks) / 16));
        }

        while (time.GetElapsedTime(start) < asked)
        {
            ct.ThrowIfCancellationRequested();
            await Task.Yield();
        }

        return time.GetElapsedTime(start);
    }

    public override async Task Chat(IAsyncStreamReader<ClientFrame> requestStream, IServerStreamWriter<ServerFrame> responseStream, ServerCallContext context)
    {
        var http = context.GetHttpContext();
        stats.StreamStarted();
        stats.Saw("authority", http.Request.Host.Value ?? "");
        stats.Saw("grpc-encoding", http.Request.Headers["grpc-encoding"].ToString() is { Length: > 0 } e ? e : "identity");
        foreach (var h in http.Request.Headers.Where(h => h.Key.StartsWith("x-lab-", StringComparison.OrdinalIgnoreCase)))
        {
            stats.Saw("header:" + h.Key.ToLowerInvariant(), h.Value.ToString());
        }

        control.StreamStarted(http);
        try
        {
            await using var stream = new StreamState(requestStream, responseStream, context, http, stats, control, timeProvider);
            // Headers go out at once, so a client can tell "stream open" from "first reply".
            await context.WriteResponseHeadersAsync([]);
            stream.Touch(wrote: true);
            if (options.StreamCutoff is { } cutoff)
            {
                stream.Watch(cutoff);
            }

            await stream.ServeAsync();
        }
        finally
        {
            control.StreamEnded(http);
            stats.StreamEnded();
        }
    }

    /// <summary>One stream's state: what it was told to do and when each side was last heard.</summary>
    private sealed class StreamState(
        IAsyncStreamReader<ClientFrame> requestStream,
        IServerStreamWriter<ServerFrame> responseStream,
        ServerCallContext context,
        HttpContext http,
        LabBackendStats stats,
        LabControl control,
        TimeProvider time) : IAsyncDisposable
    {
        private readonly SemaphoreSlim _writeLock = new(1, 1);
        private readonly CancellationTokenSource _cutoff = CancellationTokenSource.CreateLinkedTokenSource(context.CancellationToken);
        private readonly long _start = Stopwatch.GetTimestamp();
        private readonly List<Task> _background = [];
        private long _lastRead = Stopwatch.GetTimestamp();
        private long _lastWrite = Stopwatch.GetTimestamp();
        private ulong _serverSeq;
        private volatile bool _silent;
        private Status? _cutoffStatus;
        private ByteString _payload = ByteString.Empty;

        public void Watch(Cutoff cutoff) => _background.Add(WatchCutoffAsync(cutoff));

        public void Touch(bool wrote) => Interlocked.Exchange(ref wrote ? ref _lastWrite : ref _lastRead, Stopwatch.GetTimestamp());

        public async Task ServeAsync()
        {
            int? endCountdown = null;
            int? repliesLeft = null;
            var endStatus = Status.DefaultSuccess;
            try
            {
                while (await requestStream.MoveNext(_cutoff.Token))
                {
                    Touch(wrote: false);
                    var frame = requestStream.Current;
                    stats.MessageReceived();
                    var d = frame.Directives;
                    if (d is not null)
                    {
                        if (d.Abort)
                        {
                            http.Abort();
                            return;
                        }

                        if (d.CloseConnection != ConnectionEnd.None)
                        {
                            control.EndConnectionOf(http, graceful: d.CloseConnection == ConnectionEnd.Goaway);
                        }

                        if (d.StopReplying)
                        {
                            _silent = true;
                        }

                        if (d.StopReplyingAfter > 0)
                        {
                            repliesLeft = (int)d.StopReplyingAfter;
                        }

                        if (d.Cutoff is { When: not Cutoff.Types.When.Unspecified } cutoff)
                        {
                            Watch(cutoff);
                        }

                        if (d.PushIntervalMs > 0)
                        {
                            _background.Add(PushAsync(frame.Seq, TimeSpan.FromMilliseconds(d.PushIntervalMs), d.PushCount));
                        }

                        if (d.DelayMs > 0)
                        {
                            var asked = TimeSpan.FromMilliseconds(d.DelayMs);
                            stats.Held(asked, await HoldAsync(asked, time, _cutoff.Token));
                        }

                        if (d.EndStream)
                        {
                            endCountdown = (int)d.EndAfterMessages;
                            endStatus = new Status((StatusCode)d.EndStatus, d.EndDetail);
                        }
                    }

                    var paused = control.PauseLeft();
                    if (paused > TimeSpan.Zero)
                    {
                        await Task.Delay(paused, _cutoff.Token);
                    }

                    if (d is { HoldReplyMs: > 0 })
                    {
                        _background.Add(HeldReplyAsync(frame.Seq, TimeSpan.FromMilliseconds(d.HoldReplyMs), frame.Payload.Length));
                    }
                    else if (!_silent)
                    {
                        var replies = Math.Max(1u, d?.ReplyCount ?? 1u);
                        var size = d is { ReplySize: > 0 } ? (int)d.ReplySize : frame.Payload.Length;
                        for (uint i = 0; i < replies; i++)
                        {
                            await WriteAsync(frame.Seq, i, size);
                        }

                        if (repliesLeft is { } budget && (repliesLeft = budget - 1) <= 0)
                        {
                            _silent = true;
                        }
                    }

                    if (endCountdown is { } left)
                    {
                        if (left == 0)
                        {
                            if (endStatus.StatusCode != StatusCode.OK)
                            {
                                throw new RpcException(endStatus);
                            }

                            return;
                        }

                        endCountdown = left - 1;
                    }
                }
            }
            catch (OperationCanceledException) when (_cutoffStatus is { } status && !context.CancellationToken.IsCancellationRequested)
            {
                if (status.StatusCode != StatusCode.OK)
                {
                    throw new RpcException(status);
                }
            }
        }

        /// <summary>Stops the push and cut-off tasks.</summary>
        public async ValueTask DisposeAsync()
        {
            await _cutoff.CancelAsync();
            try
            {
                await Task.WhenAll(_background);
            }
            catch (OperationCanceledException)
            {
            }
            catch (Exception e) when (e is IOException or InvalidOperationException or RpcException)
            {
                // The stream is over; a push racing its end has nowhere to go.
            }

            _cutoff.Dispose();
            _writeLock.Dispose();
        }

        private async Task WriteAsync(ulong seq, uint index, int size)
        {
            if (_payload.Length != size)
            {
                _payload = ByteString.CopyFrom(new byte[size]);
            }

            await _writeLock.WaitAsync(_cutoff.Token);
            try
            {
                await responseStream.WriteAsync(new ServerFrame
                {
                    Seq = seq,
                    ServerSeq = ++_serverSeq,
                    ReplyIndex = index,
                    ServerTimeUnixNanos = time.GetUtcNow().ToUnixTimeMilliseconds() * 1_000_000,
                    Payload = _payload,
                }, _cutoff.Token);
            }
            finally
            {
                _writeLock.Release();
            }

            Touch(wrote: true);
            stats.MessageSent();
        }

        private async Task HeldReplyAsync(ulong seq, TimeSpan hold, int size)
        {
            await Task.Delay(hold, time, _cutoff.Token);
            await WriteAsync(seq, 0, size);
        }

        private async Task PushAsync(ulong seq, TimeSpan every, uint count)
        {
            for (uint i = 1; count == 0 || i <= count; i++)
            {
                await Task.Delay(every, time, _cutoff.Token);
                if (!_silent)
                {
                    // Pushed frames answer no client frame: reply_index > 0 keeps them out of round-trip matching.
                    await WriteAsync(seq, i, 0);
                }
            }
        }

        private async Task WatchCutoffAsync(Cutoff cutoff)
        {
            var after = TimeSpan.FromMilliseconds(cutoff.AfterMs);
            while (true)
            {
                await Task.Delay(CutoffCheck, time, _cutoff.Token);
                var now = Stopwatch.GetTimestamp();
                var clientQuiet = Stopwatch.GetElapsedTime(Interlocked.Read(ref _lastRead), now) >= after;
                var serverQuiet = Stopwatch.GetElapsedTime(Interlocked.Read(ref _lastWrite), now) >= after;
                var due = cutoff.When switch
                {
                    Cutoff.Types.When.ClientQuiet => clientQuiet,
                    Cutoff.Types.When.ServerQuiet => serverQuiet,
                    Cutoff.Types.When.BothQuiet => clientQuiet && serverQuiet,
                    _ => Stopwatch.GetElapsedTime(_start, now) >= after,
                };
                if (!due)
                {
                    continue;
                }

                if (cutoff.Abort)
                {
                    http.Abort();
                }
                else
                {
                    _cutoffStatus = new Status((StatusCode)cutoff.Status, $"lab cut-off: {cutoff.When} after {cutoff.AfterMs} ms");
                    await _cutoff.CancelAsync();
                }

                return;
            }
        }
    }
}
