using HdrHistogram;
using LoadGen.Core.Connections;
using LoadGen.Core.Metrics;
using LoadGen.Core.Scenarios;
using LoadGen.Core.Workloads;
using LoadGen.Results;
using LoadGen.Results.Analysis;

namespace LoadGen.Core.Engine;

/// <summary>
/// One topology across its rounds: the metrics its streams count into, and what its summary is built
/// from — the interval records it wrote, its whole-run and per-round histograms, and (mid-run) the
/// ages of the streams still open.
/// </summary>
internal sealed class TopologyRun(TargetOptions target, StreamWorkload workload, TimeProvider time)
{
    private readonly List<IntervalRecord> _intervals = [];

    public TargetOptions Target { get; } = target;

    /// <summary>The target's request metadata, over all its rounds (file values refresh as they go).</summary>
    public MetadataSource? Headers { get; } = MetadataSource.Create(target, time);

    public StreamWorkload Workload { get; } = workload;

    public TopologyMetrics Metrics { get; } = new(target.Name);

    /// <summary>Whole-run histograms by kind (rtt, open …): every interval's added up.</summary>
    public Dictionary<string, HistogramBase> Totals { get; } = new(StringComparer.Ordinal);

    /// <summary>Each round's rtt and open histograms.</summary>
    public Dictionary<(string Topology, int Round), (HistogramBase Rtt, HistogramBase Open)> RoundHistograms { get; } = [];

    /// <summary>Ages of the streams open in the round in progress, at a timestamp; null between rounds.</summary>
    public Func<long, IReadOnlyList<double>>? LiveAges { get; set; }

    /// <summary>True once a round has written an interval: only then is there a summary to make.</summary>
    public bool HasRun
    {
        get
        {
            lock (_intervals)
            {
                return _intervals.Count > 0;
            }
        }
    }

    /// <summary>Keeps an interval record as written to intervals.ndjson, with its histograms.</summary>
    public void Add(IntervalRecord record, IEnumerable<HistogramBase> histograms)
    {
        foreach (var h in histograms)
        {
            var kind = h.Tag![(Target.Name.Length + 1)..];
            if (!Totals.TryGetValue(kind, out var total))
            {
                Totals[kind] = total = Histograms.Create();
            }

            total.Add(h);
            if (record.Round is { } r && kind is TopologySummaryBuilder.Rtt or TopologySummaryBuilder.Open)
            {
                var key = (Target.Name, r);
                if (!RoundHistograms.TryGetValue(key, out var rh))
                {
                    RoundHistograms[key] = rh = (Histograms.Create(), Histograms.Create());
                }

                (kind == TopologySummaryBuilder.Rtt ? rh.Rtt : rh.Open).Add(h);
            }
        }

        lock (_intervals)
        {
            _intervals.Add(record);
        }
    }

    public IReadOnlyList<IntervalRecord> Intervals
    {
        get
        {
            lock (_intervals)
            {
                return [.. _intervals];
            }
        }
    }

    /// <summary>The builder's inputs for this topology now: at the end of the run, or mid-run with its open streams censored.</summary>
    public TopologyInputs Inputs(RunTarget? recorded, TimeSpan messageInterval, IReadOnlyList<FaultEvent> events, long now) => new()
    {
        Name = Target.Name,
        Address = Target.Address.ToString(),
        Components = recorded?.Components,
        Connection = recorded?.Connection,
        // Recorded once a connection was made (even one that never got as far as the server's SETTINGS: that is what it says).
        Path = Metrics.ConnectionsOpened > 0 ? Metrics.Path.Snapshot() : null,
        Method = Workload.Method,
        Matching = Workload.Matching.Describe(),
        MessageInterval = messageInterval,
        Intervals = Intervals,
        Histograms = Totals,
        Ends = Metrics.EndSamples,
        EndsSeen = Metrics.EndsSeen,
        LiveAgesS = LiveAges?.Invoke(now) ?? [],
        Events = events,
    };
}
