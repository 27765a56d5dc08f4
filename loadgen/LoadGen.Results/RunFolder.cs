using System.Globalization;
using System.Text.Json;

namespace LoadGen.Results;

/// <summary>
/// reports/out/&lt;run-id&gt;/: the contract between engine, reports and shards. Every file a run folder can hold is
/// declared here, whoever writes it: the data (run.json, latency.hlog, intervals, outcomes, events, summary.json), the
/// reports (summary.md, report.html, junit.xml, comparison.json), a timeout probe's probe.json and loadgen.log.
/// </summary>
public sealed class RunFolder
{
    public const string RunFile = "run.json";

    /// <summary>The release-review page (LoadGen.Reports).</summary>
    public const string MarkdownFile = "summary.md";

    /// <summary>The self-contained HTML report with charts (LoadGen.Reports).</summary>
    public const string HtmlFile = "report.html";

    /// <summary>Thresholds and comparison gates as JUnit test cases (LoadGen.Reports).</summary>
    public const string JunitFile = "junit.xml";

    /// <summary>The comparison's verdicts, gates and figures with intervals (LoadGen.Reports).</summary>
    public const string ComparisonFile = "comparison.json";

    /// <summary>What `loadgen probe-timeouts` found, one entry per target (LoadGen.Core's timeout probe).</summary>
    public const string ProbeFile = "probe.json";

    /// <summary>LoadGen's own log: the CLI's, the engine's and the lab's events (written by the CLI).</summary>
    public const string LogFile = "loadgen.log";
    public const string LatencyFile = "latency.hlog";
    public const string OutcomesFile = "outcomes.ndjson";
    public const string SummaryFile = "summary.json";
    public const string IntervalsFile = "intervals.ndjson";
    public const string EventsFile = "events.ndjson";

    /// <summary>The rolling summary, rewritten every interval while the run goes; removed when summary.json is written.</summary>
    public const string PartialSummaryFile = "summary.partial.json";

    private RunFolder(string path, string runId)
    {
        Path = path;
        RunId = runId;
    }

    public string Path { get; }

    public string RunId { get; }

    public string RunJson => System.IO.Path.Combine(Path, RunFile);

    public string Latency => System.IO.Path.Combine(Path, LatencyFile);

    public string OutcomesPath => System.IO.Path.Combine(Path, OutcomesFile);

    public string Summary => System.IO.Path.Combine(Path, SummaryFile);

    public string PartialSummary => System.IO.Path.Combine(Path, PartialSummaryFile);

    public string Intervals => System.IO.Path.Combine(Path, IntervalsFile);

    /// <summary>Faults on cue, as they fired and finished.</summary>
    public string Events => System.IO.Path.Combine(Path, EventsFile);

    /// <summary>Creates a new, uniquely named run folder inside <paramref name="outDir"/>.</summary>
    public static RunFolder Create(string outDir, string scenarioName, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(scenarioName);
        var safe = new string(scenarioName.Select(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' ? c : '-').ToArray());
        var stamp = now.UtcDateTime.ToString("yyyyMMdd-HHmmss", CultureInfo.InvariantCulture);
        return CreateNamed(outDir, $"{stamp}-{safe}");
    }

    /// <summary>Creates the run folder <paramref name="name"/> inside <paramref name="outDir"/>, or NAME-1, NAME-2 … when it is taken: nothing is overwritten.</summary>
    public static RunFolder CreateNamed(string outDir, string name)
    {
        for (var n = 0; ; n++)
        {
            var id = n == 0 ? name : $"{name}-{n}";
            var path = System.IO.Path.GetFullPath(System.IO.Path.Combine(outDir, id));
            if (!Directory.Exists(path))
            {
                Directory.CreateDirectory(path);
                return new RunFolder(path, id);
            }
        }
    }

    public static RunFolder Open(string path)
    {
        var full = System.IO.Path.GetFullPath(path);
        return new RunFolder(full, System.IO.Path.GetFileName(full.TrimEnd('/')));
    }

    public void WriteJson<T>(string file, T value)
    {
        // Write then rename, so a kill mid-write never leaves a torn file behind.
        var target = System.IO.Path.Combine(Path, file);
        var temp = target + ".tmp";
        File.WriteAllText(temp, JsonSerializer.Serialize(value, RunSummary.JsonOptions));
        File.Move(temp, target, overwrite: true);
    }

    /// <param name="file">summary.json by default; <see cref="PartialSummary"/> for the rolling one.</param>
    public RunSummary ReadSummary(string? file = null) =>
        JsonSerializer.Deserialize<RunSummary>(File.ReadAllText(file ?? Summary), RunSummary.JsonOptions)
        ?? throw new InvalidDataException($"{file ?? Summary} is empty");
}
