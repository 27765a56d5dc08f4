using Grpc.Core;
using LoadGen.Core.Connections;
using LoadGen.Core.Inputs;
using LoadGen.Core.Outcomes;
using LoadGen.Core.Workloads;
using LoadGen.Results;
using LoadGen.Results.Analysis;

namespace LoadGen.Core.Engine;

/// <summary>
/// One long-lived bidi stream: opens its workload's call, sends on its open-loop schedule, matches
/// replies to sends as the workload says, and ends as exactly one outcome record. This file: its state, the open
/// and the end's record; the exchange is in LoadStream.Exchange.cs, the end's cause in LoadStream.Ending.cs.
/// </summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Reliability", "CA1001", Justification = "The sources have no timers; the engine may still cancel them after the stream ended, so they are never disposed.")]
internal sealed partial class LoadStream
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
        Connections.IConnectionFrames? frames = null;
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
            _s.Metrics.Path.Headers(await call.ResponseHeadersAsync);
            tcpConnection = lease.NewestConnection;
            tcpConnectedAt = lease.NewestConnectionAt;
            frames = lease.NewestWatch;
            var openedAt = time.GetTimestamp();
            Interlocked.Exchange(ref _openedAt, openedAt);
            var openMicros = Micros(asked, openedAt);
            EngineLog.StreamOpened(_s.Log, _s.Metrics.Topology, Id, openMicros / 1000.0, tcpConnection, Attempt);
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
            // One server action, one cause: an end after the connection's GOAWAY is that GOAWAY's.
            outcome = OutcomeClassifier.AfterGoAway(outcome, frames?.GoAway);
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
                EngineLog.StreamLost(_s.Log, record.Topology, Id, record.Cause, record.LifetimeS, outcome.Error);
            }
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
