using System.Text.Json;
using LoadGen.Results;
using LoadGen.Results.Analysis;

namespace LoadGen.Reports;

/// <summary>
/// Everything a report needs from one run folder. <c>summary.json</c> is the source when it exists;
/// for a run that was killed before writing it, the summary is rebuilt from what the run flushed as
/// it went (<see cref="RunFiles"/>: the engine's own builders over run.json, latency.hlog,
/// intervals, outcomes and events), marked <c>partial</c>.
/// </summary>
public sealed class RunData
{
    private RunData(RunFiles files, RunSummary summary, IReadOnlyList<string> damage, IReadOnlyList<string> missing)
    {
        Missing = missing;
        Folder = files.Folder;
        Summary = summary;
        Intervals = files.Intervals;
        Latency = files.Latency;
        Outcomes = files.Outcomes;
        Damage = damage;
        Info = files.Info;
    }

    /// <summary>run.json; null when it is missing or unreadable.</summary>
    public RunInfo? Info { get; }

    /// <summary>How this run's topologies are compared (run.json's, else the defaults).</summary>
    public ComparisonSettings Comparison => Info?.Comparison ?? new ComparisonSettings();

    public RunFolder Folder { get; }

    public RunSummary Summary { get; private set; }

    /// <summary>The summary with its delta thresholds judged by the comparison (<see cref="DeltaThresholds"/>).</summary>
    internal void Rejudged(RunSummary summary) => Summary = summary;

    public IReadOnlyList<IntervalRecord> Intervals { get; }

    /// <summary>Interval histograms from latency.hlog (µs), tagged "&lt;topology&gt;.rtt" etc.</summary>
    public IReadOnlyList<LoggedInterval> Latency { get; }

    public IReadOnlyList<OutcomeRecord> Outcomes { get; }

    public IReadOnlyList<FaultEvent> Events => Summary.Events;

    /// <summary>What in the folder could not be read (damaged lines, an unreadable run.json); empty when all was well.</summary>
    public IReadOnlyList<string> Damage { get; }

    /// <summary>
    /// The data files a rebuilt summary needed and did not find (latency.hlog, intervals.ndjson, outcomes.ndjson):
    /// empty when summary.json was read or every file is there. Figures and thresholds resting on them are "nothing measured".
    /// </summary>
    public IReadOnlyList<string> Missing { get; }

    /// <summary>True when summary.json was missing and the summary was rebuilt from the flushed files.</summary>
    public bool Rebuilt => Summary.Completion == RunCompletion.Partial;

    /// <summary>The corrected round-trip interval histograms of one topology, in time order.</summary>
    public IReadOnlyList<LoggedInterval> Rtt(string topology) => Histograms(topology, "rtt");

    /// <summary>Interval histograms of one kind (rtt, rtt-uncorrected, open, send-lag, reconnect) of a topology, in time order.</summary>
    public IReadOnlyList<LoggedInterval> Histograms(string topology, string kind) =>
        Latency.Where(l => l.Tag == $"{topology}.{kind}").OrderBy(l => l.Start).ToList();

    /// <summary>Stream-hours lived on a topology (the exposure for cause rates).</summary>
    public double StreamHours(string topology) =>
        Summary.Topologies.FirstOrDefault(t => t.Name == topology)?.StreamHours ?? 0;

    /// <exception cref="FileNotFoundException">The folder has none of a run's files.</exception>
    public static RunData Load(string path)
    {
        var folder = RunFolder.Open(path);
        if (!Directory.Exists(folder.Path))
        {
            throw new DirectoryNotFoundException($"{folder.Path}: no such run folder");
        }

        var files = RunFiles.Read(folder);
        RunSummary? summary = null;
        var damage = files.Damage.ToList();
        if (File.Exists(folder.Summary))
        {
            try
            {
                summary = folder.ReadSummary();
            }
            catch (Exception e) when (e is JsonException or InvalidDataException)
            {
                // A summary.json cut short (a full disk, a copy interrupted): the other files still tell the story.
                damage.Add($"{RunFolder.SummaryFile}: not readable ({e.Message}); the figures are rebuilt from the run's other files");
            }
        }

        var missing = new List<string>();
        if (summary is not null)
        {
            // As written at the end of the run.
        }
        else if (ReadPartial(folder, files.Intervals) is { } partial)
        {
            summary = partial;
        }
        else if (files.HasRun)
        {
            summary = files.Rebuild();
            missing.AddRange(new[] { folder.Latency, folder.Intervals, folder.OutcomesPath }.Where(f => !File.Exists(f)).Select(Path.GetFileName).OfType<string>());
            if (missing.Count > 0)
            {
                damage.Add($"{string.Join(", ", missing)} missing: the figures that rest on {(missing.Count > 1 ? "them" : "it")} are 'nothing measured', and so are the thresholds judged on them");
            }
        }
        else
        {
            throw new FileNotFoundException($"{folder.Path} is not a run folder: it has no {RunFolder.SummaryFile}, {RunFolder.RunFile}, {RunFolder.LatencyFile} or {RunFolder.IntervalsFile}");
        }

        if (summary.Topologies.All(t => t.Drift.Count == 0) && files.Intervals.Count > 0)
        {
            // A folder written before drift was recorded: its intervals still tell it.
            summary = summary with { Topologies = [.. summary.Topologies.Select(t => t with { Drift = DriftAnalysis.For(t.Name, files.Intervals, files.Info?.Comparison) })] };
        }

        return new RunData(files, summary, damage, missing);
    }

    /// <summary>outcomes.ndjson, one record per line; a line cut short by a kill is skipped.</summary>
    public static IReadOnlyList<OutcomeRecord> ReadOutcomes(string path) => Ndjson.Read<OutcomeRecord>(path).Records;

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
}
