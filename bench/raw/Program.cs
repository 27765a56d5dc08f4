// The raw loops bench/perf.sh measures LoadGen against: the lab service's Chat over Grpc.Net.Client with nothing of
// LoadGen's — one channel, N bidi streams, 64-byte payloads. Prints one JSON line of figures.
//   RawLoops pingpong URL STREAMS SECONDS            each stream: send, await the reply, send …
//   RawLoops openloop URL STREAMS INTERVAL_MS SECONDS [DELAY_MS]
//                                                    each stream: send every INTERVAL_MS on a fixed schedule
//                                                    (Task.Delay to the next due time), latency from the due time;
//                                                    DELAY_MS asks the lab backend to hold each reply that long
//   RawLoops idle URL STREAMS SECONDS                each stream: one message every 30 s; RSS at the end
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Net.Client;
using HdrHistogram;
using LoadGen.Protos.Lab;

var mode = args[0];
var url = new Uri(args[1]);
var streams = int.Parse(args[2], CultureInfo.InvariantCulture);
var intervalMs = mode == "openloop" ? double.Parse(args[3], CultureInfo.InvariantCulture) : mode == "idle" ? 30_000 : 0;
var seconds = double.Parse(args[mode == "openloop" ? 4 : 3], CultureInfo.InvariantCulture);
var delayMs = mode == "openloop" && args.Length > 5 ? uint.Parse(args[5], CultureInfo.InvariantCulture) : 0;
var directives = delayMs > 0 ? new Directives { DelayMs = delayMs } : null;
// How late each send left against its due time (the open loop's own timer lateness).
var lag = new LongConcurrentHistogram(1, 3_600_000_000, 3);

using var channel = GrpcChannel.ForAddress(url, new GrpcChannelOptions
{
    HttpHandler = new SocketsHttpHandler { EnableMultipleHttp2Connections = true },
});
var client = new LabService.LabServiceClient(channel);
var payload = ByteString.CopyFrom(new byte[64]);
var histogram = new LongConcurrentHistogram(1, 3_600_000_000, 3);
long received = 0;
using var stop = new CancellationTokenSource();
var opened = 0;

async Task PingPong(AsyncDuplexStreamingCall<ClientFrame, ServerFrame> call)
{
    ulong seq = 0;
    while (!stop.IsCancellationRequested)
    {
        var sent = Stopwatch.GetTimestamp();
        await call.RequestStream.WriteAsync(new ClientFrame { Seq = ++seq, Payload = payload });
        if (!await call.ResponseStream.MoveNext(CancellationToken.None))
        {
            return;
        }

        histogram.RecordValue(Math.Max(1, (long)Stopwatch.GetElapsedTime(sent).TotalMicroseconds));
        Interlocked.Increment(ref received);
    }
}

async Task OpenLoop(AsyncDuplexStreamingCall<ClientFrame, ServerFrame> call, double interval)
{
    var due = new Dictionary<ulong, long>();
    var reader = Task.Run(async () =>
    {
        while (await call.ResponseStream.MoveNext(CancellationToken.None))
        {
            long at;
            lock (due)
            {
                due.Remove(call.ResponseStream.Current.Seq, out at);
            }

            histogram.RecordValue(Math.Max(1, (long)Stopwatch.GetElapsedTime(at).TotalMicroseconds));
            Interlocked.Increment(ref received);
        }
    });
    var step = (long)(interval / 1000 * Stopwatch.Frequency);
    var next = Stopwatch.GetTimestamp() + (long)(Random.Shared.NextDouble() * step);
    ulong seq = 0;
    while (!stop.IsCancellationRequested)
    {
        var wait = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), next);
        if (wait > TimeSpan.Zero)
        {
            try
            {
                await Task.Delay(wait, stop.Token);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }

        lock (due)
        {
            due[++seq] = next;
        }

        lag.RecordValue(Math.Max(1, (long)Stopwatch.GetElapsedTime(next).TotalMicroseconds));
        await call.RequestStream.WriteAsync(new ClientFrame { Seq = seq, Payload = payload, Directives = directives });
        next += step;
    }

    await call.RequestStream.CompleteAsync();
    await reader;
}

var cpu0 = Process.GetCurrentProcess().TotalProcessorTime;
var tasks = Enumerable.Range(0, streams).Select(async _ =>
{
    using var call = client.Chat();
    Interlocked.Increment(ref opened);
    try
    {
        await (mode == "pingpong" ? PingPong(call) : OpenLoop(call, intervalMs));
    }
    catch (RpcException) when (stop.IsCancellationRequested)
    {
    }
}).ToList();

// A steady window: the first second (connections, JIT) is left out of rates and allocations.
await Task.Delay(1000);
histogram.Reset();
lag.Reset();
var start = Stopwatch.GetTimestamp();
var received0 = Interlocked.Read(ref received);
var cpu1 = Process.GetCurrentProcess().TotalProcessorTime;
var alloc0 = GC.GetTotalAllocatedBytes(precise: true);
await Task.Delay(TimeSpan.FromSeconds(seconds));
var window = Stopwatch.GetElapsedTime(start).TotalSeconds;
var got = Interlocked.Read(ref received) - received0;
var cpu = (Process.GetCurrentProcess().TotalProcessorTime - cpu1).TotalSeconds;
var alloc = GC.GetTotalAllocatedBytes(precise: true) - alloc0;
var rss = Process.GetCurrentProcess().WorkingSet64 / 1048576.0;
// The peak, as LoadGen's summary.json reports its own (peakRssMb): the same figure on both sides.
var peakRss = Process.GetCurrentProcess().PeakWorkingSet64 / 1048576.0;
stop.Cancel();
await Task.WhenAny(Task.WhenAll(tasks), Task.Delay(5000));
Console.WriteLine(JsonSerializer.Serialize(new
{
    mode,
    streams,
    opened,
    seconds = Math.Round(window, 2),
    msgsPerS = Math.Round(got / window),
    msgsPerCpuS = Math.Round(got / Math.Max(0.001, cpu)),
    cpuCores = Math.Round(cpu / window, 3),
    p50Ms = histogram.GetValueAtPercentile(50) / 1000.0,
    p99Ms = histogram.GetValueAtPercentile(99) / 1000.0,
    bytesPerMsg = got == 0 ? 0 : alloc / got,
    rssMb = Math.Round(rss, 1),
    peakRssMb = Math.Round(peakRss, 1),
    totalCpuS = Math.Round((Process.GetCurrentProcess().TotalProcessorTime - cpu0).TotalSeconds, 2),
    totalReceived = Interlocked.Read(ref received),
    totalAllocMb = Math.Round(GC.GetTotalAllocatedBytes(precise: true) / 1048576.0, 1),
    sendLagP99Ms = lag.TotalCount == 0 ? (double?)null : lag.GetValueAtPercentile(99) / 1000.0,
    // Whole process, as LoadGen's summary.json loadGen.gcPauseShare: the GC's pauses over the time since start.
    gcPauseShare = Math.Round(GC.GetTotalPauseDuration().TotalSeconds / (DateTime.Now - Process.GetCurrentProcess().StartTime).TotalSeconds, 4),
}));
