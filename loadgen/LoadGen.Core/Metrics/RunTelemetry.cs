using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace LoadGen.Core.Metrics;

/// <summary>
/// LoadGen's live metrics as .NET instruments on the <see cref="MeterName"/> meter, for an
/// OpenTelemetry exporter to pick up (docs/telemetry.md lists them). Names follow the OpenTelemetry
/// RPC conventions' attributes (rpc.system, rpc.service, rpc.method) with <c>loadgen.*</c> instrument
/// names, as the conventions have none for a stream's messages. Counts are observed: the SDK reads
/// the engine's own counters when it collects, so they cost the hot path nothing; only the
/// histograms record per message (round trip, or reply gap for count-only) and per stream (open time). Without a listener a
/// record is a no-op check.
/// </summary>
public sealed class RunTelemetry : IDisposable
{
    public const string MeterName = "LoadGen";

    private readonly Meter _meter;
    private readonly ConcurrentDictionary<string, (TopologyMetrics Metrics, TagList Tags)> _topologies = new(StringComparer.Ordinal);

    public RunTelemetry()
    {
        _meter = new Meter(MeterName, typeof(RunTelemetry).Assembly.GetName().Version?.ToString());
        _meter.CreateObservableCounter("loadgen.streams.opened", () => Observe(m => m.Opened), "{stream}", "Streams whose response headers arrived (first opens and re-opens).");
        _meter.CreateObservableCounter("loadgen.streams.ended", ObserveEnded, "{stream}", "Streams that ended, by loadgen.end.cause (docs/outcomes.md).");
        _meter.CreateObservableCounter("loadgen.messages.sent", () => Observe(m => m.Sent), "{message}", "Messages the client wrote on its streams.");
        _meter.CreateObservableCounter("loadgen.messages.received", () => Observe(m => m.Received), "{message}", "Messages the client read from its streams.");
        RoundTrip = _meter.CreateHistogram<double>("loadgen.message.round_trip", "s", "Round trip per message from its scheduled send time (coordinated-omission corrected).");
        OpenTime = _meter.CreateHistogram<double>("loadgen.stream.open.duration", "s", "From asking for a stream to its response headers.");
        ReplyGap = _meter.CreateHistogram<double>("loadgen.message.reply_gap", "s", "Count-only workloads (no request-reply pairing): time between two replies on a stream.");
        _meter.CreateObservableUpDownCounter("loadgen.streams.active", () => Observe(m => m.Active), "{stream}", "Streams open now.");
    }

    internal Histogram<double> RoundTrip { get; }

    internal Histogram<double> OpenTime { get; }

    internal Histogram<double> ReplyGap { get; }

    /// <summary>The attributes every data point of a topology carries.</summary>
    /// <param name="method">"package.Service/Method" the streams call.</param>
    public static TagList Tags(string topology, string method)
    {
        ArgumentNullException.ThrowIfNull(method);
        var slash = method.LastIndexOf('/');
        return new()
        {
            { "loadgen.topology", topology },
            { "rpc.system", "grpc" },
            { "rpc.service", slash < 0 ? method : method[..slash] },
            { "rpc.method", slash < 0 ? method : method[(slash + 1)..] },
        };
    }

    /// <summary>Starts reporting a topology's streams: its metrics record into these instruments from now on.</summary>
    public void Attach(TopologyMetrics metrics, string method)
    {
        ArgumentNullException.ThrowIfNull(metrics);
        var tags = Tags(metrics.Topology, method);
        _topologies[metrics.Topology] = (metrics, tags);
        metrics.Telemetry = new TopologyTelemetry(this, tags);
    }

    public void Dispose() => _meter.Dispose();

    private IEnumerable<Measurement<long>> Observe(Func<TopologyMetrics, long> value) =>
        _topologies.Values.Select(t => new Measurement<long>(value(t.Metrics), t.Tags));

    private IEnumerable<Measurement<long>> ObserveEnded() =>
        _topologies.Values.SelectMany(t => t.Metrics.Outcomes.Select(kv =>
        {
            var tags = t.Tags;
            tags.Add("loadgen.end.cause", kv.Key);
            return new Measurement<long>(kv.Value, tags);
        }));
}

/// <summary>One topology's view of the instruments, with its attributes computed once.</summary>
public sealed class TopologyTelemetry
{
    private readonly RunTelemetry _t;
    private readonly TagList _tags;

    internal TopologyTelemetry(RunTelemetry telemetry, TagList tags)
    {
        _t = telemetry;
        _tags = tags;
    }

    public void RoundTrip(long micros) => _t.RoundTrip.Record(micros / 1e6, _tags);

    public void OpenTime(long micros) => _t.OpenTime.Record(micros / 1e6, _tags);

    public void ReplyGap(long micros) => _t.ReplyGap.Record(micros / 1e6, _tags);
}
