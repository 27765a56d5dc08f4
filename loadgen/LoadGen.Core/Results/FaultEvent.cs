using System.Text.Json;

namespace LoadGen.Core.Results;

/// <summary>
/// One line of events.ndjson: a fault on cue as it fired and as it finished, so reports can mark it
/// on their time axes. <see cref="State"/> is "fired", then "done" or "failed".
/// </summary>
public sealed record FaultEvent
{
    public required DateTimeOffset Time { get; init; }

    public required string Topology { get; init; }

    public int? Round { get; init; }

    /// <summary>The cue: seconds after the target's (round's) start.</summary>
    public required double AtS { get; init; }

    public required string Action { get; init; }

    public required string Description { get; init; }

    public required string State { get; init; }

    /// <summary>What the lab did ("reloaded NGINX, 1 worker kept 180 streams") or why it failed.</summary>
    public string? Detail { get; init; }
}

/// <summary>Appends <see cref="FaultEvent"/> lines, flushed one by one; safe from any thread.</summary>
public sealed class FaultEventWriter(string path) : IDisposable
{
    private static readonly JsonSerializerOptions Options = new(RunSummary.JsonOptions) { WriteIndented = false };

    private readonly StreamWriter _writer = new(path, append: true) { NewLine = "\n" };
    private readonly List<FaultEvent> _all = [];

    public IReadOnlyList<FaultEvent> All
    {
        get
        {
            lock (_all)
            {
                return _all.ToList();
            }
        }
    }

    public void Write(FaultEvent e)
    {
        lock (_all)
        {
            _all.Add(e);
            _writer.WriteLine(JsonSerializer.Serialize(e, Options));
            _writer.Flush();
        }
    }

    public void Dispose() => _writer.Dispose();

    public static IReadOnlyList<FaultEvent> ReadFile(string path) =>
        !File.Exists(path) ? [] : File.ReadLines(path)
            .Where(l => l.Length > 0)
            .Select(l => JsonSerializer.Deserialize<FaultEvent>(l, Options)!)
            .ToList();
}
