using System.Runtime.CompilerServices;
using Grpc.Core;
using LoadGen.Core.Outcomes;
using LoadGen.Core.Workloads;
using LoadGen.Results;

namespace LoadGen.Core.Engine;

/// <summary>One stream's exchange once it is open: the sender on its schedule, the reader matching replies, and how the two stop each other.</summary>
internal sealed partial class LoadStream
{
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

        // A stream LoadGen cancelled has no trailers to read (asking would throw, once per stream, at the end of every run).
        var trailers = _abortRequested ? null : call.ServerTrailers();
        if (trailers is not null)
        {
            _s.Metrics.Path.Trailers(trailers);
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
            return _abortRequested ? Cancelled(receiveError) : OutcomeClassifier.ClassifyReceiveFailure(receiveError, trailers is not null);
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
}
