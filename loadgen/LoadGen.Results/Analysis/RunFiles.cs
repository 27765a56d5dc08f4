using System.Text.Json;
using HdrHistogram;

namespace LoadGen.Results.Analysis;

/// <summary>
/// What a run folder holds besides summary.json — run.json, intervals, latency.hlog, outcomes and
/// events — read once, and the summary rebuilt from them with the same builders the engine uses. This
/// is how a killed run (no summary.json) is reported.
/// </summary>
public sealed class RunFiles
{
    private RunFiles(RunFolder folder, RunInfo? info, IReadOnlyList<IntervalRecord> intervals, IReadOnlyList<LoggedInterval> latency,
        IReadOnlyList<OutcomeRecord> outcomes, IReadOnlyList<FaultEvent> events, IReadOnlyList<string> damage)
    {
        Folder = folder;
        Info = info;
        Intervals = intervals;
        Latency = latency;
        Outcomes = outcomes;
        Events = events;
        Damage = damage;
    }

    public RunFolder Folder { get; }

    /// <summary>run.json; null when it is missing or unreadable (then <see cref="Damage"/> says so).</summary>
    public RunInfo? Info { get; }

    public IReadOnlyList<IntervalRecord> Intervals { get; }

    /// <summary>Interval histograms from latency.hlog (µs), tagged "&lt;topology&gt;.&lt;kind&gt;".</summary>
    public IReadOnlyList<LoggedInterval> Latency { get; }

    public IReadOnlyList<OutcomeRecord> Outcomes { get; }

    public IReadOnlyList<FaultEvent> Events { get; }

    /// <summary>What could not be read, one line each (a damaged line, an unreadable run.json); empty when all was well.</summary>
    public IReadOnlyList<string> Damage { get; }

    /// <summary>True when the folder holds anything a summary can be made from.</summary>
    public bool HasRun => Info is not null || Latency.Count > 0 || Intervals.Count > 0;

    public static RunFiles Read(RunFolder folder)
    {
        ArgumentNullException.ThrowIfNull(folder);
        var damage = new List<string>();
        IReadOnlyList<T> Lines<T>(string path)
        {
            var file = Results.Ndjson.Read<T>(path);
            if (file.Damaged > 0)
            {
                damage.Add($"{Path.GetFileName(path)}: {file.Damaged} damaged line(s) left out (line {string.Join(", ", file.DamagedLines.Take(5))}{(file.Damaged > 5 ? ", …" : "")})");
            }

            return file.Records;
        }

        RunInfo? info = null;
        if (File.Exists(folder.RunJson))
        {
            try
            {
                info = JsonSerializer.Deserialize<RunInfo>(File.ReadAllText(folder.RunJson), RunSummary.JsonOptions);
            }
            catch (JsonException e)
            {
                damage.Add($"{RunFolder.RunFile}: not readable ({e.Message})");
            }
        }

        var badHistograms = new List<int>();
        var latency = File.Exists(folder.Latency) ? HdrLogReader.ReadFile(folder.Latency, badHistograms) : [];
        if (badHistograms.Count > 0)
        {
            damage.Add($"{RunFolder.LatencyFile}: {badHistograms.Count} damaged interval histogram line(s) left out (line {string.Join(", ", badHistograms.Take(5))}{(badHistograms.Count > 5 ? ", …" : "")}): latency figures rebuilt from this file miss those intervals");
        }
        return new RunFiles(folder, info, Lines<IntervalRecord>(folder.Intervals), latency, Lines<OutcomeRecord>(folder.OutcomesPath), Lines<FaultEvent>(folder.Events), damage);
    }

    /// <summary>
    /// The summary the run would have written, from its files: completion from run.json when the run
    /// finished, else <see cref="RunCompletion.Partial"/>. Only LoadGen's own CPU and memory figures are
    /// missing (known to the running process alone) unless given.
    /// </summary>
    /// <param name="loadGen">LoadGen's own footprint, when known from elsewhere (a merge takes its shards').</param>
    public RunSummary Rebuild(ProcessStats? loadGen = null)
    {
        var startedAt = Info?.StartedAt ?? (Intervals.Count > 0 ? Intervals.Min(i => i.Start) : Latency.Count > 0 ? Latency.Min(l => l.Start) : DateTimeOffset.MinValue);
        var info = Info ?? new RunInfo
        {
            RunId = Folder.RunId,
            Scenario = Folder.RunId,
            ScenarioSource = "",
            ScenarioSettings = new ScenarioSettings(),
            Targets = [.. Intervals.Select(i => i.Topology).Distinct().Select(n => new RunTarget(n, "?", null, null))],
            LoadGenVersion = "?",
            Runtime = "?",
            Host = "?",
            Os = "?",
            StartedAt = startedAt,
        };
        var settings = info.ScenarioSettings;
        var topologies = info.Targets
            .Where(t => Intervals.Any(i => i.Topology == t.Name))
            .Select(t => TopologySummaryBuilder.Build(new TopologyInputs
            {
                Name = t.Name,
                Address = t.ResolvedAddress ?? t.Address,
                Components = t.Components,
                Connection = t.Connection,
                Path = t.Path,
                Method = settings.Workload.Method,
                Matching = settings.Workload.Matching,
                MessageInterval = settings.MessageInterval(),
                Intervals = [.. Intervals.Where(i => i.Topology == t.Name)],
                Histograms = Merged(t.Name),
                Ends = [.. Outcomes.Where(o => o.Topology == t.Name).Select(EndSamples.From).OfType<EndSample>()],
                EndsSeen = Outcomes.Count(o => o.Topology == t.Name && o.LifetimeS is not null),
                Events = Events,
            }))
            .ToList();
        var thresholds = settings.Thresholds.Select(Thresholds.Parse).OfType<Threshold>().ToList();
        var endedAt = info.EndedAt ?? (Intervals.Count > 0 ? Intervals.Max(i => i.End) : Latency.Count > 0 ? Latency.Max(l => l.End) : startedAt);
        return RunSummaryBuilder.Build(info, info.Completion ?? RunCompletion.Partial, endedAt, topologies, TopologySummaryBuilder.Rounds(Intervals, RoundHistograms()),
            thresholds, Events, Intervals, info.AbortedBy, loadGen, Info is null ? null : [.. Info.Targets.Select(t => t.Name)]);
    }

    /// <summary>A topology's whole-run histograms by kind: its interval histograms added up (exact).</summary>
    private Dictionary<string, HistogramBase> Merged(string topology)
    {
        var merged = new Dictionary<string, HistogramBase>(StringComparer.Ordinal);
        foreach (var l in Latency.Where(l => l.Tag?.StartsWith(topology + ".", StringComparison.Ordinal) == true))
        {
            var kind = l.Tag![(topology.Length + 1)..];
            if (!merged.TryGetValue(kind, out var sum))
            {
                merged[kind] = sum = Histograms.Create();
            }

            sum.Add(l.Histogram);
        }

        return merged;
    }

    /// <summary>
    /// Each round's rtt and open histograms: the k-th histogram of a tag was written with the k-th
    /// interval record of its topology (both at the same cut), so they pair by position.
    /// </summary>
    private Dictionary<(string, int), (HistogramBase, HistogramBase)> RoundHistograms()
    {
        var rounds = new Dictionary<(string, int), (HistogramBase, HistogramBase)>();
        foreach (var topology in Intervals.Where(i => i.Round is not null).Select(i => i.Topology).Distinct())
        {
            var mine = Intervals.Where(i => i.Topology == topology).ToList();
            var rtt = Latency.Where(l => l.Tag == $"{topology}.{TopologySummaryBuilder.Rtt}").ToList();
            var open = Latency.Where(l => l.Tag == $"{topology}.{TopologySummaryBuilder.Open}").ToList();
            for (var k = 0; k < mine.Count; k++)
            {
                var key = (topology, mine[k].Round ?? 1);
                if (!rounds.TryGetValue(key, out var h))
                {
                    rounds[key] = h = (Histograms.Create(), Histograms.Create());
                }

                if (k < rtt.Count)
                {
                    h.Item1.Add(rtt[k].Histogram);
                }

                if (k < open.Count)
                {
                    h.Item2.Add(open[k].Histogram);
                }
            }
        }

        return rounds;
    }
}
