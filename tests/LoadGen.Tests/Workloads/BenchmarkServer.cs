using System.Net;
using Google.Protobuf;
using Grpc.Core;
using LoadGen.Tests.Workloads.Grpc.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace LoadGen.Tests.Workloads;

/// <summary>
/// gRPC's public grpc.testing.BenchmarkService, served in the test process over h2c: a service whose
/// proto is not the lab's. StreamingCall answers each request once, after <see cref="Counters.ReplyDelay"/>;
/// StreamingBothWays pushes a response every <see cref="Counters.PushEvery"/> whatever the client sends.
/// </summary>
internal sealed class BenchmarkServer : IAsyncDisposable
{
    private readonly WebApplication _app;

    private BenchmarkServer(WebApplication app, Uri address, Counters counters)
    {
        _app = app;
        Address = address;
        Seen = counters;
    }

    public Uri Address { get; }

    public Counters Seen { get; }

    public static async Task<BenchmarkServer> StartAsync(TimeSpan replyDelay, bool reflection = false)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        var counters = new Counters { ReplyDelay = replyDelay };
        builder.Services.AddSingleton(counters);
        builder.Services.AddGrpc();
        if (reflection)
        {
            builder.Services.AddGrpcReflection();
        }

        var port = LoadGen.Lab.Backend.LabBackend.FreePort(IPAddress.Loopback);
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, port, l => l.Protocols = HttpProtocols.Http2));
        var app = builder.Build();
        app.MapGrpcService<Service>();
        if (reflection)
        {
            app.MapGrpcReflectionService();
        }

        await app.StartAsync();
        return new BenchmarkServer(app, new Uri($"http://127.0.0.1:{port}"), counters);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    internal sealed class Counters
    {
        private long _requests;
        private long _replies;
        private long _streams;

        public TimeSpan ReplyDelay { get; init; }

        public TimeSpan PushEvery { get; init; } = TimeSpan.FromMilliseconds(50);

        public long Requests => Interlocked.Read(ref _requests);

        public long Replies => Interlocked.Read(ref _replies);

        public long Streams => Interlocked.Read(ref _streams);

        /// <summary>The body of every request, in arrival order (for checking templates).</summary>
        public System.Collections.Concurrent.ConcurrentQueue<SimpleRequest> Last { get; } = new();

        public void Request(SimpleRequest r)
        {
            Interlocked.Increment(ref _requests);
            if (Last.Count < 1000)
            {
                Last.Enqueue(r);
            }
        }

        public void Reply() => Interlocked.Increment(ref _replies);

        public void Stream() => Interlocked.Increment(ref _streams);
    }

    private sealed class Service(Counters counters) : BenchmarkService.BenchmarkServiceBase
    {
        public override Task<SimpleResponse> UnaryCall(SimpleRequest request, ServerCallContext context) =>
            Task.FromResult(Answer(request));

        public override async Task StreamingCall(IAsyncStreamReader<SimpleRequest> requestStream, IServerStreamWriter<SimpleResponse> responseStream, ServerCallContext context)
        {
            counters.Stream();
            await foreach (var request in requestStream.ReadAllAsync(CancellationToken.None))
            {
                counters.Request(request);
                if (counters.ReplyDelay > TimeSpan.Zero)
                {
                    await Task.Delay(counters.ReplyDelay);
                }

                await responseStream.WriteAsync(Answer(request));
                counters.Reply();
            }
        }

        public override async Task StreamingBothWays(IAsyncStreamReader<SimpleRequest> requestStream, IServerStreamWriter<SimpleResponse> responseStream, ServerCallContext context)
        {
            counters.Stream();
            using var done = CancellationTokenSource.CreateLinkedTokenSource(context.CancellationToken);
            var reading = Task.Run(async () =>
            {
                await foreach (var request in requestStream.ReadAllAsync(CancellationToken.None))
                {
                    counters.Request(request);
                }
            });
            _ = reading.ContinueWith(_ => done.Cancel(), TaskScheduler.Default);
            try
            {
                while (!done.IsCancellationRequested)
                {
                    await responseStream.WriteAsync(new SimpleResponse { ServerId = "push" });
                    counters.Reply();
                    await Task.Delay(counters.PushEvery, done.Token);
                }
            }
            catch (OperationCanceledException)
            {
            }

            await reading;
        }

        private static SimpleResponse Answer(SimpleRequest request) => new()
        {
            Payload = new Payload { Body = ByteString.CopyFrom(new byte[Math.Max(0, request.ResponseSize)]) },
            Hostname = request.Payload?.Body.ToStringUtf8() ?? "",
        };
    }
}
