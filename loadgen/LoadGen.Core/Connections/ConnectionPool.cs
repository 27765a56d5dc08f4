using Grpc.Core;
using Grpc.Net.Client;
using LoadGen.Core.Metrics;
using LoadGen.Core.Scenarios;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace LoadGen.Core.Connections;

/// <summary>
/// The client side's HTTP/2 connections to one target, each carrying at most
/// <see cref="ConnectionOptions.MaxStreamsPerConnection"/> streams. A stream that finds every slot
/// taken waits here, counted and timed, instead of queueing invisibly inside SocketsHttpHandler.
/// Each connection's handler still allows extra connections, so a server that allows fewer streams
/// per connection than planned costs a counted extra connection, never a silently stuck stream.
/// </summary>
internal sealed class ConnectionPool : IDisposable
{
    private readonly GrpcChannel[] _channels;
    private readonly CallInvoker[] _invokers;
    private readonly int[] _streams;
    private readonly long[] _newest;
    private readonly long[] _newestAt;
    private readonly IConnectionFrames?[] _watches;
    private readonly TimeProvider _time;
    private readonly TaskCompletionSource[] _warm;
    private readonly SemaphoreSlim _capacity;
    private readonly TopologyMetrics _metrics;
    private readonly Lock _lock = new();

    public ConnectionPool(TargetOptions target, ConnectionOptions options, int peakStreams, TopologyMetrics metrics, ILogger? log = null, TimeProvider? time = null)
    {
        _time = time ?? TimeProvider.System;
        _metrics = metrics;
        PerConnection = options.MaxStreamsPerConnection;
        Planned = options.Count > 0 ? options.Count : Math.Max(1, (peakStreams + PerConnection - 1) / PerConnection);
        _channels = new GrpcChannel[Planned];
        _invokers = new CallInvoker[Planned];
        _streams = new int[Planned];
        _newest = new long[Planned];
        _newestAt = new long[Planned];
        _watches = new IConnectionFrames?[Planned];
        _warm = Enumerable.Range(0, Planned).Select(_ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).ToArray();
        _capacity = new SemaphoreSlim(Planned * PerConnection);
        for (var i = 0; i < Planned; i++)
        {
            var slot = i;
            _channels[i] = TargetChannelFactory.Create(target, options.OpenTimeout, watch =>
            {
                Volatile.Write(ref _watches[slot], watch);
                metrics.ConnectionOpened();
                Volatile.Write(ref _newestAt[slot], _time.GetTimestamp());
                Volatile.Write(ref _newest[slot], metrics.ConnectionsOpened);
                ConnectionLog.ConnectionOpened(log ?? NullLogger.Instance, metrics.Topology, metrics.ConnectionsOpened);
            }, loadStreams: true, path: metrics.Path);
            _invokers[i] = _channels[i].CreateCallInvoker();
        }
    }

    public int Planned { get; }

    public int PerConnection { get; }

    public async ValueTask<Lease> AcquireAsync(CancellationToken cancellationToken)
    {
        if (!_capacity.Wait(0, CancellationToken.None))
        {
            _metrics.SlotWaited();
            await _capacity.WaitAsync(cancellationToken);
        }

        int chosen;
        bool wait;
        lock (_lock)
        {
            chosen = 0;
            for (var i = 1; i < _streams.Length; i++)
            {
                if (_streams[i] < _streams[chosen])
                {
                    chosen = i;
                }
            }

            // A connection's first stream goes alone: until its response headers arrive the client
            // does not know the server's stream limit, and a burst beyond it is refused.
            wait = _streams[chosen] > 0 && !_warm[chosen].Task.IsCompleted;
            _streams[chosen]++;
        }

        var lease = new Lease(this, chosen, _invokers[chosen]);
        if (wait)
        {
            try
            {
                await _warm[chosen].Task.WaitAsync(cancellationToken);
            }
            catch
            {
                lease.Dispose();
                throw;
            }
        }

        return lease;
    }

    /// <summary>The connection carried a stream to its response headers (or that stream ended): others may follow.</summary>
    private void Warm(int index) => _warm[index].TrySetResult();

    public void Dispose()
    {
        foreach (var c in _channels)
        {
            c.Dispose();
        }

        _capacity.Dispose();
    }

    private void Release(int index)
    {
        lock (_lock)
        {
            _streams[index]--;
        }

        _capacity.Release();
    }

    /// <summary>A stream's place on one connection; dispose to give it back.</summary>
    public sealed class Lease(ConnectionPool pool, int index, CallInvoker invoker) : IDisposable
    {
        private int _released;

        public int Index { get; } = index;

        public CallInvoker Invoker { get; } = invoker;

        /// <summary>
        /// The slot's newest TCP connection, numbered in the order the topology opened them (1, 2 …; 0 before
        /// its first): the stream's own connection while the slot holds one, which it does unless the server
        /// allows fewer streams per connection than planned.
        /// </summary>
        public long NewestConnection => Volatile.Read(ref pool._newest[Index]);

        /// <summary>When <see cref="NewestConnection"/> was connected (a timestamp of the pool's time provider).</summary>
        public long NewestConnectionAt => Volatile.Read(ref pool._newestAt[Index]);

        /// <summary>What LoadGen reads of <see cref="NewestConnection"/>'s frames (its GOAWAY); null before a connection.</summary>
        public IConnectionFrames? NewestWatch => Volatile.Read(ref pool._watches[Index]);

        /// <summary>Call once the stream has its response headers or has ended.</summary>
        public void MarkWarm() => pool.Warm(Index);

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0)
            {
                pool.Release(Index);
            }
        }
    }
}
