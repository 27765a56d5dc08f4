using System.Runtime.CompilerServices;
using Grpc.Core;
using LoadGen.Core.Connections;
using LoadGen.Core.Inputs;
using LoadGen.Core.Metrics;
using LoadGen.Core.Outcomes;
using LoadGen.Core.Workloads;
using LoadGen.Results;
using LoadGen.Results.Analysis;
using Microsoft.Extensions.Logging;

namespace LoadGen.Core.Engine;

/// <summary>
/// One long-lived bidi stream: opens its workload's call, sends on its open-loop schedule, matches
/// replies to sends as the workload says, and ends as exactly one outcome record.
/// </summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Reliability", "CA1001", Justification = "The sources have no timers; the engine may still cancel them after the stream ended, so they are never disposed.")]
internal sealed class LoadStream
{
    private readonly StreamSettings _s;
    private readonly CancellationTokenSource _stopSending = new();
    private readonly CancellationTokenSource _abort = new();
    private readonly PendingSends _pending = new();
    private long _sent;
    private double? _phaseS;
    private long _received;
    private long _lastSend;
    private long _lastReceive;
    // The longest quiet each side had and survived (ended by a frame, not by the stream's end), in
    // timestamp ticks: what timeout detection compares the ends' quiet times against. One writer each.
    private long _longestSendGap;
    private long _longestReceiveGap;
    private volatile bool _closeRequested;
    private volatile bool _abortRequested;
    private long _openedAt;
    private volatile bool _ending;

    /// <param name="attempt">Consecutive failed opens before this one (0 for a first open or after a stream that had opened).</param>
    /// <param name="lostAt">When the stream this one replaces ended unplanned (timestamp); 0 for a first open.</param>
    public LoadStream(long id, StreamSettings settings, int attempt = 0, long lostAt = 0)
    {
        Id = id;
        _s = settings;
        Attempt = attempt;
        LostAt = lostAt;
    }

    public long Id { get; }

    public int Attempt { get; }

    public long LostAt { get; }

    /// <summary>Response headers arrived.</summary>
    public bool WasOpened => Interlocked.Read(ref _openedAt) != 0;

    /// <summary>Seconds since its response headers at <paramref name="now"/> (a timestamp); null while it has not opened or once it ended.</summary>
    public double? OpenAgeS(long now) =>
        IsEnded || Interlocked.Read(ref _openedAt) is var at && at == 0 ? null : _s.Time.GetElapsedTime(at, now).TotalSeconds;

    /// <summary>LoadGen ended it (close or abort), so it is no loss.</summary>
    public bool Planned => _closeRequested || _abortRequested;

    /// <summary>Its run has begun to end (its outcome is being written); <see cref="IsEnded"/> follows.</summary>
    public bool Ending => _ending;

    /// <summary>When it ended (timestamp); valid once <see cref="IsEnded"/>.</summary>
    public long EndedAt { get; private set; }

    public Task Completion { get; private set; } = Task.CompletedTask;

    public bool IsEnded => Completion.IsCompleted;

    public void Start() => Completion = Task.Run(RunAsync);

    /// <summary>Planned end: stop sending, half-close, let the server finish.</summary>
    public void RequestClose()
    {
        _closeRequested = true;
        _stopSending.Cancel();
    }

    /// <summary>Hard end: cancel the call.</summary>
    public void Abort()
    {
        _abortRequested = true;
        _stopSending.Cancel();
        _abort.Cancel();
    }

    private async Task RunAsync()
    {
        var time = _s.Time;
        var asked = time.GetTimestamp();
        var opened = false;
        var connection = -1;
        long tcpConnection = 0;
        long tcpConnectedAt = 0;
        Classification? outcome = null;
        _s.Metrics.StreamAttempted();
        ConnectionPool.Lease? lease = null;
        IStreamCall? call = null;
        // Only for the open: disposed once the stream is open, so a stream held for hours keeps no timer or
        // registration of it (each of those is per stream: bytes that multiply by the thousands of streams held).
        var openTimeout = CancellationTokenSource.CreateLinkedTokenSource(_abort.Token);
        try
        {
            openTimeout.CancelAfter(_s.OpenTimeout);
            try
            {
                lease = await _s.Pool.AcquireAsync(openTimeout.Token);
            }
            catch (OperationCanceledException) when (openTimeout.IsCancellationRequested && !_abort.IsCancellationRequested)
            {
                outcome = OpenStalled();
                return;
            }

            connection = lease.Index;
            var httpStatus = NoSilentRetryHandler.WatchStatus();
            call = _s.Workload.Open(lease.Invoker, new CallOptions(_s.Headers?.Current(), cancellationToken: _abort.Token), new StreamContext(Id, _s.Metrics.Topology));
            // The stream opens with its first message, as real clients do: some proxies (NGINX 1.22
            // on its TLS port) pass nothing upstream, response headers included, before the first DATA frame.
            var exchange = ExchangeAsync(call);
            try
            {
                await call.ResponseHeadersAsync.WaitAsync(openTimeout.Token);
            }
            catch (OperationCanceledException) when (openTimeout.IsCancellationRequested && !_abort.IsCancellationRequested)
            {
                await _abort.CancelAsync();
                await exchange;
                outcome = OpenStalled();
                return;
            }
            catch (Exception)
            {
                // The call failed before its headers; the exchange classifies the failure.
                outcome = await exchange;
                return;
            }

            if (httpStatus.Value is not (0 or 200))
            {
                // A proxy's answer (401, 502 …), not an open stream: the exchange records the failure.
                outcome = await exchange;
                return;
            }

            openTimeout.Dispose();
            lease.MarkWarm();
            tcpConnection = lease.NewestConnection;
            tcpConnectedAt = lease.NewestConnectionAt;
            var openedAt = time.GetTimestamp();
            Interlocked.Exchange(ref _openedAt, openedAt);
            var openMicros = Micros(asked, openedAt);
            _s.Metrics.Open.RecordMicros(openMicros);
            _s.Metrics.Telemetry?.OpenTime(openMicros);
            if (LostAt != 0)
            {
                _s.Metrics.Reconnected(Micros(LostAt, openedAt));
            }

            _s.Metrics.StreamOpened();
            opened = true;
            outcome = await exchange;
        }
        catch (Exception e)
        {
            outcome = _abortRequested ? Cancelled(e) : OutcomeClassifier.Classify(e);
        }
        finally
        {
            _ending = true;
            _s.Ends.Signal();
            openTimeout.Dispose();
            call?.Dispose();
            lease?.MarkWarm();
            lease?.Dispose();
            outcome ??= new Classification(EndCauses.ClientCancelled, null, null, "", null);
            _s.Metrics.StreamClosed(opened, outcome.Cause);
            var now = time.GetTimestamp();
            EndedAt = now;
            var openedAt = Interlocked.Read(ref _openedAt);
            var lastSend = Interlocked.Read(ref _lastSend);
            var lastReceive = Interlocked.Read(ref _lastReceive);
            // Seconds at millisecond precision, as outcomes.ndjson keeps them: the live summary and a
            // rebuild from the file then see the same values.
            double S(long from) => Math.Round(time.GetElapsedTime(from, now).TotalSeconds, 3);
            var record = new OutcomeRecord
            {
                Time = time.GetUtcNow(),
                Topology = _s.Metrics.Topology,
                StreamId = Id,
                Cause = outcome.Cause,
                GrpcStatus = outcome.GrpcStatus,
                Http2Code = outcome.Http2Code,
                Exception = outcome.ExceptionChain.Length == 0 ? null : Secrets.Redact(outcome.ExceptionChain),
                Detail = Secrets.RedactOrNull(outcome.Detail),
                AgeS = S(asked),
                LifetimeS = opened ? S(openedAt) : null,
                SinceLastSendS = lastSend == 0 ? null : S(lastSend),
                SinceLastReceiveS = lastReceive == 0 ? null : S(lastReceive),
                LongestSendGapS = opened ? Seconds(Volatile.Read(ref _longestSendGap)) : null,
                LongestReceiveGapS = opened ? Seconds(Volatile.Read(ref _longestReceiveGap)) : null,
                TcpConnection = tcpConnection == 0 ? null : tcpConnection,
                TcpConnectionAgeS = tcpConnectedAt == 0 ? null : S(tcpConnectedAt),
                PhaseS = opened ? _phaseS : null,
                Sent = Interlocked.Read(ref _sent),
                Received = Interlocked.Read(ref _received),
                Unanswered = _pending.Count + _pending.Abandoned,
                PoolSlot = connection,
            };
            if (EndSamples.From(record) is { } sample)
            {
                _s.Metrics.Sample(sample);
            }

            _s.Metrics.Unanswer(record.Cause, record.Unanswered);
            _s.Outcomes.Write(record);
            if (!EndCauses.IsPlanned(record.Cause))
            {
                EngineLog.StreamLost(_s.Log, record.Topology, Id, record.Cause, record.LifetimeS, record.Exception);
            }
        }
    }

    private async Task<Classification> ExchangeAsync(IStreamCall call)
    {
        var inFlight = _s.MaxInFlight > 0 && _s.Workload.Matching.MeasuresLatency ? new InFlightWindow(_s.MaxInFlight) : null;
        // When the server ends the stream (or it breaks), the reader stops the sender too.
        var receive = ReceiveAsync(call, inFlight);
        var sendStop = _stopSending.Token;

        Exception? sendError = null;
        var clientRefused = false;
        // Message 1 opens the stream (some proxies answer only after it); the schedule of the rest
        // starts once the stream is open, so open time never counts as message latency.
        var phase = _s.Schedule.FirstOffset();
        _phaseS = _s.Schedule.IsClosed ? null : Math.Round(phase.TotalSeconds, 3);
        var sender = new OpenLoopSender(_s.Time, phase, _s.Schedule.Gaps, inFlight)
        {
            ClosedLoop = _s.Schedule.IsClosed,
            // The system's time: the shared send clock (one wake-up thread per core, no timer per message).
            Clock = ReferenceEquals(_s.Time, TimeProvider.System) && !_s.Schedule.IsClosed ? SendClock.Shared.NewWaiter(Id) : null,
        };
        try
        {
            if (inFlight is not null)
            {
                await inFlight.WaitAsync(sendStop);
            }

            await SendAsync(call, 1, _s.Time.GetTimestamp(), sendStop);
            await call.ResponseHeadersAsync.WaitAsync(sendStop);
            await sender.RunAsync((seq, scheduled) => SendAsync(call, seq, scheduled, sendStop), sendStop, firstSeq: 2);
        }
        catch (OperationCanceledException) when (sendStop.IsCancellationRequested)
        {
        }
        catch (WorkloadCodeException e)
        {
            // The workload's own code failed, the call is fine: end it, or the reader would wait on a stream that sends nothing.
            sendError = e;
            await _abort.CancelAsync();
        }
        catch (Exception e)
        {
            sendError = e;
            if (!receive.IsCompleted && OutcomeClassifier.IsClientRaised(e) && !CallEnded(call))
            {
                // The client refused the write itself (nothing reached the wire): end the stream now, or the
                // reader would wait on a call that sends nothing more until the run's close (and the run would
                // pass). A write that failed because the path broke is left to the reader, which sees why.
                clientRefused = true;
                await _abort.CancelAsync();
            }
        }

        if (_closeRequested && sendError is null && !receive.IsCompleted)
        {
            try
            {
                await call.CompleteAsync();
            }
            catch (Exception e)
            {
                sendError = e;
            }
        }

        Exception? receiveError = null;
        try
        {
            await receive;
        }
        catch (Exception e)
        {
            receiveError = e;
        }

        if (sendError is WorkloadCodeException && !_abortRequested)
        {
            return OutcomeClassifier.Classify(sendError);
        }

        if (clientRefused && !_abortRequested)
        {
            // Unless the reader saw the server end the call first (its status is then the cause), nothing reached the peer.
            return receiveError is RpcException { StatusCode: not StatusCode.Cancelled }
                ? OutcomeClassifier.Classify(receiveError)
                : OutcomeClassifier.ClassifySendFailure(sendError!);
        }

        if (receiveError is not null)
        {
            // Decided from where the error arose: a status the client raised on a read, with no trailers from the server, is the client's.
            return _abortRequested ? Cancelled(receiveError) : OutcomeClassifier.ClassifyReceiveFailure(receiveError, call.ServerSentTrailers());
        }

        if (sendError is not null && !_closeRequested)
        {
            // The server ended cleanly while a write was racing it: the trailers are the cause.
            return call.GetStatus().StatusCode == StatusCode.OK
                ? ServerEnded(call)
                : OutcomeClassifier.Classify(sendError);
        }

        return _closeRequested
            ? new Classification(EndCauses.ClientClosed, "OK", null, "", null)
            : ServerEnded(call);
    }

    /// <summary>Whether the call already has its final status (the server ended it): a write failing then is the server's doing, not the client's.</summary>
    private static bool CallEnded(IStreamCall call)
    {
        try
        {
            _ = call.GetStatus();
            return true;
        }
        catch (InvalidOperationException)
        {
            return false;
        }
    }

    private Classification OpenStalled() => new(EndCauses.OpenStalled, null, null, "TimeoutException",
        $"no response headers within {_s.OpenTimeout.TotalSeconds:0.###} s (slot wait included)");

    private static Classification ServerEnded(IStreamCall call)
    {
        var status = call.GetStatus();
        return new Classification(EndCauses.ServerStatus(status.StatusCode.ToString()), status.StatusCode.ToString(), null, "", status.Detail.Length == 0 ? null : status.Detail);
    }

    private static Classification Cancelled(Exception e) =>
        OutcomeClassifier.Classify(e) with { Cause = EndCauses.ClientCancelled };

    // Pooled: a send that waits on its write would otherwise allocate its state machine every message.
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask SendAsync(IStreamCall call, ulong seq, long scheduled, CancellationToken stop)
    {
        var now = _s.Time.GetTimestamp();
        if (_s.ClientQuietAfter is { } quietAfter && seq > 1 && _s.Time.GetElapsedTime(Interlocked.Read(ref _openedAt), scheduled) >= quietAfter)
        {
            // The client goes quiet for good: the stream stays open and sends nothing more.
            await Task.Delay(Timeout.InfiniteTimeSpan, _s.Time, stop);
        }

        if (_s.Workload.Matching.MeasuresLatency)
        {
            _pending.Add(seq, scheduled, now);
        }

        _s.Metrics.SendLag.RecordMicros(Micros(scheduled, now));
        Longest(ref _longestSendGap, Interlocked.Exchange(ref _lastSend, now), now);
        try
        {
            await call.WriteAsync(seq);
        }
        catch when (_s.Workload.Matching.MeasuresLatency)
        {
            // Not sent, so never "unanswered": the counts keep unanswered <= sent.
            _pending.TryTake(seq, out _, out _);
            throw;
        }

        Interlocked.Increment(ref _sent);
        _s.Metrics.MessageSent();
    }

    /// <summary>Reads replies until the call ends; then stops the sender (the server ended the stream, or it broke).</summary>
    private async Task ReceiveAsync(IStreamCall call, InFlightWindow? inFlight)
    {
        try
        {
            var time = _s.Time;
            var countOnly = !_s.Workload.Matching.MeasuresLatency;
            while (await call.MoveNextAsync())
            {
                var now = time.GetTimestamp();
                var previous = Interlocked.Exchange(ref _lastReceive, now);
                // The first reply's gap counts from the response headers.
                Longest(ref _longestReceiveGap, previous != 0 ? previous : Interlocked.Read(ref _openedAt), now);
                Interlocked.Increment(ref _received);
                _s.Metrics.MessageReceived();
                var answered = call.Answer();
                if (countOnly)
                {
                    // Nothing to match: the gap since the stream's previous reply is what is measured.
                    if (previous != 0)
                    {
                        var gap = Micros(previous, now);
                        _s.Metrics.ReplyGap.RecordMicros(gap);
                        _s.Metrics.Telemetry?.ReplyGap(gap);
                    }

                    continue;
                }

                if (answered != 0 && _pending.TryTake(answered, out var scheduled, out var sent))
                {
                    // Message 1 went out before the stream was open: its round trip is open latency's.
                    if (answered != 1)
                    {
                        var rtt = Micros(scheduled, now);
                        _s.Metrics.Rtt.RecordMicros(rtt);
                        _s.Metrics.Telemetry?.RoundTrip(rtt);
                        _s.Metrics.RttUncorrected.RecordMicros(Micros(sent, now));
                    }

                    inFlight?.Release();
                }
            }
        }
        finally
        {
            _stopSending.Cancel();
        }
    }

    /// <summary>Raises <paramref name="longest"/> to the gap from <paramref name="from"/> (a timestamp; 0: none yet) to <paramref name="now"/>.</summary>
    private static void Longest(ref long longest, long from, long now)
    {
        if (from != 0 && now - from > longest)
        {
            Volatile.Write(ref longest, now - from);
        }
    }

    private double Seconds(long ticks) => Math.Round(ticks / (double)_s.Time.TimestampFrequency, 3);

    private long Micros(long from, long to) => (long)(_s.Time.GetElapsedTime(from, to).Ticks / 10.0);
}
