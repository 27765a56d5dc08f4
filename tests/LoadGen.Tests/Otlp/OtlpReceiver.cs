using System.Collections.Concurrent;
using System.Net;
using Grpc.Core;
using LoadGen.Tests.Otlp.Wire;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace LoadGen.Tests.Otlp;

/// <summary>An OTLP/gRPC metrics receiver in the test process: keeps every export request it gets.</summary>
internal sealed class OtlpReceiver : IAsyncDisposable
{
    private readonly WebApplication _app;

    private OtlpReceiver(WebApplication app, Uri address, ConcurrentQueue<ExportMetricsServiceRequest> requests)
    {
        _app = app;
        Address = address;
        Requests = requests;
    }

    public Uri Address { get; }

    public ConcurrentQueue<ExportMetricsServiceRequest> Requests { get; }

    public static async Task<OtlpReceiver> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        var requests = new ConcurrentQueue<ExportMetricsServiceRequest>();
        builder.Services.AddSingleton(requests);
        builder.Services.AddGrpc();
        var port = LoadGen.Lab.Backend.LabBackend.FreePort(IPAddress.Loopback);
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, port, l => l.Protocols = HttpProtocols.Http2));
        var app = builder.Build();
        app.MapGrpcService<Service>();
        await app.StartAsync();
        return new OtlpReceiver(app, new Uri($"http://127.0.0.1:{port}"), requests);
    }

    /// <summary>Every metric received, newest data last, with its resource attributes.</summary>
    public IEnumerable<(Resource Resource, Metric Metric)> Metrics() =>
        Requests.SelectMany(r => r.ResourceMetrics).SelectMany(rm => rm.ScopeMetrics.SelectMany(sm => sm.Metrics).Select(m => (rm.Resource, m)));

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    private sealed class Service(ConcurrentQueue<ExportMetricsServiceRequest> requests) : MetricsService.MetricsServiceBase
    {
        public override Task<ExportMetricsServiceResponse> Export(ExportMetricsServiceRequest request, ServerCallContext context)
        {
            requests.Enqueue(request);
            return Task.FromResult(new ExportMetricsServiceResponse());
        }
    }
}
