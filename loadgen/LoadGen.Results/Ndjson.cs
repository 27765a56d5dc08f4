using System.Text.Json;
using System.Text.Json.Serialization;

namespace LoadGen.Results;

/// <summary>
/// The run folder's NDJSON files (intervals, outcomes, events): one JSON object per line, one way to
/// write them and one way to read them back.
/// </summary>
public static class Ndjson
{
    /// <summary>camelCase, enums as names, nulls left out, one line per record.</summary>
    public static JsonSerializerOptions Options { get; } = new(RunSummary.JsonOptions)
    {
        WriteIndented = false,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    /// <summary>
    /// Every record of <paramref name="path"/> (none when the file is missing). A line that does not
    /// parse is never silently dropped: it is counted in <see cref="NdjsonFile{T}.Damaged"/>, except a
    /// last line cut short by a kill mid-write, counted in <see cref="NdjsonFile{T}.TornLast"/>.
    /// </summary>
    public static NdjsonFile<T> Read<T>(string path)
    {
        var records = new List<T>();
        if (!File.Exists(path))
        {
            return new NdjsonFile<T>(records, [], false);
        }

        var damaged = new List<int>();
        var text = File.ReadAllText(path);
        var lines = text.Split('\n');
        // A file that does not end in a newline was cut during its last write.
        var unterminated = text.Length > 0 && text[^1] != '\n';
        var torn = false;
        for (var i = 0; i < lines.Length; i++)
        {
            if (lines[i].Length == 0)
            {
                continue;
            }

            try
            {
                records.Add(JsonSerializer.Deserialize<T>(lines[i], Options) ?? throw new JsonException("null"));
            }
            catch (JsonException)
            {
                if (unterminated && i == lines.Length - 1)
                {
                    torn = true;
                }
                else
                {
                    damaged.Add(i + 1);
                }
            }
        }

        return new NdjsonFile<T>(records, damaged, torn);
    }
}

/// <summary>What an NDJSON file held.</summary>
/// <param name="DamagedLines">1-based numbers of lines that were not a record (not counting a torn last line).</param>
/// <param name="TornLast">The last line was cut short (a kill during the write) and left out.</param>
public sealed record NdjsonFile<T>(IReadOnlyList<T> Records, IReadOnlyList<int> DamagedLines, bool TornLast)
{
    /// <summary>Lines that were not a record, a torn last line excluded.</summary>
    public int Damaged => DamagedLines.Count;
}

/// <summary>Appends records as NDJSON lines, each flushed as it is written; safe from any thread.</summary>
public sealed class NdjsonWriter<T>(string path) : IDisposable
{
    private readonly StreamWriter _writer = new(path, append: true) { NewLine = "\n" };
    private readonly List<T> _all = [];

    /// <summary>Every record written so far (kept for the files that stay small: intervals and events).</summary>
    public IReadOnlyList<T> All
    {
        get
        {
            lock (_all)
            {
                return [.. _all];
            }
        }
    }

    public void Write(T record)
    {
        lock (_all)
        {
            _all.Add(record);
            _writer.WriteLine(JsonSerializer.Serialize(record, Ndjson.Options));
            _writer.Flush();
        }
    }

    public void Dispose() => _writer.Dispose();
}
