using System.Globalization;
using System.Text.Json;
using HdrHistogram;
using LoadGen.Core.Engine;
using LoadGen.Core.Metrics;
using LoadGen.Core.Outcomes;
using LoadGen.Core.Results;

namespace LoadGen.Reports;

/// <summary>
/// Everything a report needs from one run folder. <c>summary.json</c> is the source when it exists;
/// for a run that was killed before writing it, the summary is rebuilt from what the run flushed as
/// it went (latency.hlog, outcomes.ndjson, intervals.ndjson), marked <c>partial</c>.
/// </summary>
public sealed class RunData
{
    private RunData(RunFolder folder, RunSummary summary, IReadOnlyList<IntervalRecord> intervals, IReadOnlyList<LoggedInterval> latency, IReadOnlyList<OutcomeRecord> outcomes)
    {
        Folder = folder;
        Summary = summary;
        Intervals = intervals;
        Latency = latency;
        Outcomes = outcomes;
    }

    public RunFolder Folder { get; }

    public RunSummary Summary { get; }

    public IReadOnlyList<IntervalRecord> Intervals { get; }

    /// <summary>Interval histograms from latency.hlog (µs), tagged "&lt;topology&gt;.rtt" etc.</summary>
    public IReadOnlyList<LoggedInterval> Latency { get; }

    public IReadOnlyList<OutcomeRecord> Outcomes { get; }

    public IReadOnlyList<FaultEvent> Events => Summary.Events;

    /// <summary>True when summary.json was missing and the summary was rebuilt from the flushed files.</summary>
    public bool Rebuilt => Summary.Completion == "partial";

    /// <summary>The corrected round-trip interval histograms of one topology, in time order.</summary>
    public IReadOnlyList<LoggedInterval> Rtt(string topology) => Histograms(topology, "rtt");

    /// <summary>Interval histograms of one kind (rtt, rtt-uncorrected, open, send-lag, reconnect) of a topology, in time order.</summary>
    public IReadOnlyList<LoggedInterval> Histograms(string topology, string kind) =>
        Latency.Where(l => l.Tag == $"{topology}.{kind}").OrderBy(l => l.Start).ToList();

    /// <summary>Stream-hours lived on a topology: every stream's age at its end (all streams end by the run's end).</summary>
    public double StreamHours(string topology) =>
        Summary.Topologies.FirstOrDefault(t => t.Name == topology) is { StreamHours: > 0 } t
            ? t.StreamHours
            : Outcomes.Where(o => o.Topology == topology).Sum(o => o.AgeS) / 3600.0;

    /// <exception cref="FileNotFoundException">The folder has none of a run's files.</exception>
    public static RunData Load(string path)
    {
        var folder = RunFolder.Open(path);
        if (!Directory.Exists(folder.Path))
        {
            throw new DirectoryNotFoundException($"{folder.Path}: no such run folder");
        }

        var intervals = File.Exists(folder.Intervals) ? IntervalWriter.ReadFile(folder.Intervals) : [];
        var latency = File.Exists(folder.Latency) ? HdrLogReader.ReadFile(folder.Latency) : [];
        var outcomes = File.Exists(folder.OutcomesPath) ? ReadOutcomes(folder.OutcomesPath) : [];
        RunSummary summary;
        if (File.Exists(folder.Summary))
        {
            summary = folder.ReadSummary();
        }
        else if (ReadPartial(folder, intervals) is { } partial)
        {
            summary = partial;
        }
        else if (File.Exists(folder.RunJson) || latency.Count > 0 || intervals.Count > 0)
        {
            summary = Rebuild(folder, intervals, latency, outcomes);
        }
        else
        {
            throw new FileNotFoundException($"{folder.Path} is not a run folder: it has no {RunFolder.SummaryFile}, {RunFolder.RunFile}, {RunFolder.LatencyFile} or {RunFolder.IntervalsFile}");
        }

        return new RunData(folder, summary, intervals, latency, outcomes);
    }

    private static readonly JsonSerializerOptions Json = new(RunSummary.JsonOptions) { WriteIndented = false };

    /// <summary>outcomes.ndjson, one record per line; a line cut short by a kill is skipped.</summary>
    public static List<OutcomeRecord> ReadOutcomes(string path)
    {
        var list = new List<OutcomeRecord>();
        foreach (var line in File.ReadLines(path))
        {
            if (line.Length == 0)
            {
                continue;
            }

            try
            {
                list.Add(JsonSerializer.Deserialize<OutcomeRecord>(line, Json)!);
            }
            catch (JsonException)
            {
                // The last line of a killed run may be cut short.
            }
        }

        return list;
    }

    /// <summary>
    /// The run's rolling partial summary when it is as recent as the last flushed interval (it is written
    /// right after each one); null when missing, torn or older — then the files are rebuilt instead.
    /// </summary>
    private static RunSummary? ReadPartial(RunFolder folder, IReadOnlyList<IntervalRecord> intervals)
    {
        if (!File.Exists(folder.PartialSummary))
        {
            return null;
        }

        try
        {
            var partial = folder.ReadSummary(folder.PartialSummary);
            var lastInterval = intervals.Count > 0 ? intervals.Max(i => i.End) : DateTimeOffset.MinValue;
            return partial.EndedAt >= lastInterval ? partial : null;
        }
        catch (Exception e) when (e is JsonException or InvalidDataException)
        {
            return null;
        }
    }

    /// <summary>A summary from the files a run flushes as it goes: what a killed run leaves behind.</summary>
    private static RunSummary Rebuild(RunFolder folder, IReadOnlyList<IntervalRecord> intervals, IReadOnlyList<LoggedInterval> latency, IReadOnlyList<OutcomeRecord> outcomes)
    {
        string scenario = folder.RunId;
        var startedAt = intervals.Count > 0 ? intervals.Min(i => i.Start) : latency.Count > 0 ? latency.Min(l => l.Start) : DateTimeOffset.MinValue;
        var names = new List<(string Name, string Address, string? Components, string? Connection)>();
        var interval = TimeSpan.Zero;
        (string? Method, string? Matching) workload = (null, null);
        if (File.Exists(folder.RunJson))
        {
            using var run = JsonDocument.Parse(File.ReadAllText(folder.RunJson));
            scenario = run.RootElement.TryGetProperty("scenario", out var s) ? s.GetString() ?? scenario : scenario;
            if (run.RootElement.TryGetProperty("scenarioSettings", out var ss) && ss.TryGetProperty("workload", out var w) && w.ValueKind == JsonValueKind.Object)
            {
                workload = (w.TryGetProperty("method", out var m) ? m.GetString() : null, w.TryGetProperty("matching", out var mt) ? mt.GetString() : null);
            }

            if (run.RootElement.TryGetProperty("scenarioSettings", out var settings)
                && settings.TryGetProperty("messages", out var messages)
                && messages.TryGetProperty("interval", out var iv)
                && TimeSpan.TryParse(iv.GetString(), CultureInfo.InvariantCulture, out var parsed))
            {
                interval = parsed;
            }

            if (run.RootElement.TryGetProperty("startedAt", out var st))
            {
                startedAt = st.GetDateTimeOffset();
            }

            if (run.RootElement.TryGetProperty("targets", out var targets))
            {
                foreach (var t in targets.EnumerateArray())
                {
                    names.Add((t.GetProperty("name").GetString()!,
                        t.TryGetProperty("resolvedAddress", out var r) && r.ValueKind == JsonValueKind.String ? r.GetString()! : t.GetProperty("address").GetString()!,
                        t.TryGetProperty("components", out var c) && c.ValueKind == JsonValueKind.String ? c.GetString() : null,
                        t.TryGetProperty("connection", out var conn) && conn.ValueKind == JsonValueKind.String ? conn.GetString() : null));
                }
            }
        }

        if (names.Count == 0)
        {
            names.AddRange(intervals.Select(i => i.Topology).Distinct().Select(n => (n, "?", (string?)null, (string?)null)));
        }

        var ran = names.Where(n => intervals.Any(i => i.Topology == n.Name) || latency.Any(l => l.Tag?.StartsWith(n.Name + ".", StringComparison.Ordinal) == true)).ToList();
        var topologies = ran.Select(n => RebuildTopology(n.Name, n.Address, n.Components, interval, intervals, latency, outcomes) with
        {
            Connection = n.Connection,
            Method = workload.Method,
            Matching = workload.Matching,
        }).ToList();
        var endedAt = intervals.Count > 0 ? intervals.Max(i => i.End) : latency.Count > 0 ? latency.Max(l => l.End) : startedAt;
        return new RunSummary
        {
            RunId = folder.RunId,
            Scenario = scenario,
            StartedAt = startedAt,
            EndedAt = endedAt,
            Completion = "partial",
            Verdict = "none",
            Topologies = topologies,
            Events = FaultEventWriter.ReadFile(folder.Events),
            Warnings = [.. topologies.Where(t => t.Connection?.StartsWith("INSECURE", StringComparison.Ordinal) == true)
                .Select(t => $"target '{t.Name}' was reached with --insecure: its server certificate was NOT verified")],
        };
    }

    private static TopologySummary RebuildTopology(string name, string address, string? components, TimeSpan interval, IReadOnlyList<IntervalRecord> intervals, IReadOnlyList<LoggedInterval> latency, IReadOnlyList<OutcomeRecord> outcomes)
    {
        HistogramBase Merge(string kind)
        {
            var sum = LoadGen.Core.Metrics.Histograms.Create();
            foreach (var l in latency.Where(l => l.Tag == $"{name}.{kind}"))
            {
                sum.Add(l.Histogram);
            }

            return sum;
        }

        var mine = intervals.Where(i => i.Topology == name).ToList();
        var ends = outcomes.Where(o => o.Topology == name).ToList();
        var samples = ends.Select(o => new EndSample(
            o.Cause,
            o.AgeS,
            o.SinceLastSendS ?? o.AgeS,
            o.SinceLastReceiveS ?? o.AgeS,
            OutcomeClassifier.IsPlanned(o.Cause),
            o.Time.ToUnixTimeMilliseconds() / 1000.0)).ToList();
        var rtt = LatencyStats.From(Merge("rtt"));
        var sendLag = LatencyStats.From(Merge("send-lag"));
        return new TopologySummary
        {
            Name = name,
            Address = address,
            Components = components,
            DurationS = Math.Round(mine.Sum(i => (i.End - i.Start).TotalSeconds), 3),
            Rounds = Math.Max(1, mine.Select(i => i.Round ?? 1).DefaultIfEmpty(1).Max()),
            Streams = new StreamCounts(mine.Sum(i => i.Attempted), mine.Sum(i => i.Opened), ends.Count, mine.Select(i => i.Active).DefaultIfEmpty(0).Max(), 0),
            Messages = new MessageCounts(mine.Sum(i => i.Sent), mine.Sum(i => i.Received)),
            LatencyMs = rtt,
            LatencyUncorrectedMs = LatencyStats.From(Merge("rtt-uncorrected")),
            OpenLatencyMs = LatencyStats.From(Merge("open")),
            SendLagMs = sendLag,
            Outcomes = ends.GroupBy(o => o.Cause, StringComparer.Ordinal).OrderByDescending(g => g.Count()).ToDictionary(g => g.Key, g => (long)g.Count(), StringComparer.Ordinal),
            Connections = new ConnectionCounts(0, 0, 0),
            DetectedTimeouts = TimeoutDetector.Detect(samples, TimeoutDetector.MinQuiet(interval, rtt.P999, sendLag.P999)),
            Survival = SurvivalSummary.Compute(samples.Select(e => (e.LifetimeS, !e.Planned))),
            // Only count-only runs log reply gaps.
            ReplyGapMs = latency.Any(l => l.Tag == $"{name}.reply-gap") ? LatencyStats.From(Merge("reply-gap")) : null,
        };
    }
}
