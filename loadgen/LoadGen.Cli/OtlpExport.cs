using System.Diagnostics.Tracing;
using LoadGen.Core.Metrics;
using LoadGen.Results;
using LoadGen.Results.Analysis;
using OpenTelemetry;
using OpenTelemetry.Exporter;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;

namespace LoadGen.Cli;

/// <summary>
/// OTLP metrics export of a run (docs/telemetry.md): on with --otlp-endpoint or the standard
/// OTEL_EXPORTER_OTLP_(METRICS_)ENDPOINT variables. Runs on the SDK's own reader thread: the engine
/// only records into .NET instruments. An export that fails is said once on the console; the run
/// and its files do not depend on it.
/// </summary>
internal sealed class OtlpExport : IDisposable
{
    private readonly MeterProvider _provider;
    private readonly EventListener _listener;

    private OtlpExport(MeterProvider provider, EventListener listener)
    {
        _provider = provider;
        _listener = listener;
    }

    /// <summary>Seconds: 0.5 ms to 1 min, about 2.5 buckets a decade.</summary>
    private static readonly double[] LatencyBuckets = [0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 30, 60];

    /// <summary>True when export was asked for, by option or by environment.</summary>
    public static bool Wanted(Uri? endpoint) =>
        endpoint is not null
        || !string.IsNullOrEmpty(Environment.GetEnvironmentVariable("OTEL_EXPORTER_OTLP_ENDPOINT"))
        || !string.IsNullOrEmpty(Environment.GetEnvironmentVariable("OTEL_EXPORTER_OTLP_METRICS_ENDPOINT"));

    /// <param name="endpoint">Overrides the environment; http://host:4317 for gRPC, http://host:4318/v1/metrics for HTTP.</param>
    /// <param name="protocol">grpc or http/protobuf; null: the environment's, else grpc.</param>
    public static OtlpExport Start(RunTelemetry telemetry, Uri? endpoint, string? protocol, TimeSpan interval, IReadOnlyDictionary<string, object> resource, CliConsole console)
    {
        ArgumentNullException.ThrowIfNull(telemetry);
        var options = new OtlpExporterOptions();
        if (endpoint is not null)
        {
            options.Endpoint = endpoint;
        }

        if (protocol is not null)
        {
            options.Protocol = protocol == "http/protobuf" ? OtlpExportProtocol.HttpProtobuf : OtlpExportProtocol.Grpc;
        }

        options.TimeoutMilliseconds = 5_000;
        // --otlp-endpoint refuses a query string and userinfo; OTEL_EXPORTER_OTLP_ENDPOINT may still carry them
        // (an api_key=… some collectors take): never shown, and masked in the exporter's own messages.
        foreach (var part in new[] { options.Endpoint.UserInfo, options.Endpoint.Query.TrimStart('?'), options.Endpoint.Fragment.TrimStart('#') })
        {
            Core.Inputs.Secrets.Register(part);
        }

        var where = $"{Core.Scenarios.TargetRules.Shown(options.Endpoint)} ({(options.Protocol == OtlpExportProtocol.Grpc ? "grpc" : "http/protobuf")})";
        var listener = new FailureListener(where, console);
        var provider = Sdk.CreateMeterProviderBuilder()
            .SetResourceBuilder(ResourceBuilder.CreateEmpty().AddService("loadgen", serviceVersion: typeof(OtlpExport).Assembly.GetName().Version?.ToString()).AddAttributes(resource))
            .AddMeter(RunTelemetry.MeterName)
            // Explicit buckets, not base-2 exponential: exported through here the exponential count came
            // out below the values recorded (332 of 367 in OtlpExportTests; cause not found, the SDK alone
            // counts exactly), and the counts must agree with summary.json.
            .AddView("loadgen.message.round_trip", new ExplicitBucketHistogramConfiguration { Boundaries = LatencyBuckets })
            .AddView("loadgen.stream.open.duration", new ExplicitBucketHistogramConfiguration { Boundaries = LatencyBuckets })
            .AddView("loadgen.message.reply_gap", new ExplicitBucketHistogramConfiguration { Boundaries = LatencyBuckets })
            .AddReader(new PeriodicExportingMetricReader(new OtlpMetricExporter(options), (int)Math.Max(1000, interval.TotalMilliseconds)) { TemporalityPreference = MetricReaderTemporalityPreference.Cumulative })
            .Build();
        console.Error($"OTLP metrics export to {where} every {LoadGen.Results.Durations.Format(interval)}");
        return new OtlpExport(provider, listener);
    }

    /// <summary>Exports what is left (bounded: a dead collector cannot hold the run's end up) and stops.</summary>
    public void Dispose()
    {
        _provider.ForceFlush(5_000);
        _provider.Shutdown(2_000);
        _provider.Dispose();
        _listener.Dispose();
    }

    /// <summary>
    /// Listens to the OTLP exporter's own diagnostics (its EventSource) and says the first error once:
    /// the SDK otherwise drops a failed batch silently. Keeps the exporter itself unwrapped, so it
    /// still carries the provider's resource.
    /// </summary>
    private sealed class FailureListener(string where, CliConsole console) : EventListener
    {
        private int _said;

        protected override void OnEventSourceCreated(EventSource eventSource)
        {
            if (eventSource.Name.StartsWith("OpenTelemetry-Exporter-OpenTelemetryProtocol", StringComparison.Ordinal))
            {
                // Failed exports are Warnings (TransientHttpError, retried) or Errors (FailedToReachCollector).
                EnableEvents(eventSource, EventLevel.Warning);
            }
        }

        protected override void OnEventWritten(EventWrittenEventArgs eventData)
        {
            if (eventData.Level > EventLevel.Warning || Interlocked.Exchange(ref _said, 1) == 1)
            {
                return;
            }

            var why = eventData.Message is { } m && eventData.Payload is { } p
                ? string.Format(System.Globalization.CultureInfo.InvariantCulture, m, [.. p])
                : eventData.EventName;
            console.Error($"WARNING: OTLP export to {where} failed ({Core.Inputs.Secrets.Redact(Trim(why ?? "?"))}); the run goes on and its files are complete (said once)");
        }

        private static string Trim(string s)
        {
            var line = s.Split('\n')[0].Trim();
            return line.Length > 240 ? line[..240] + "…" : line;
        }
    }
}
