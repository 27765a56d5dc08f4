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
        var damaged = new List<int>();
        var torn = false;
        foreach (var (line, number, last, unterminated) in Lines(path))
        {
            try
            {
                records.Add(JsonSerializer.Deserialize<T>(line, Options) ?? throw new JsonException("null"));
            }
            catch (JsonException)
            {
                if (last && unterminated)
                {
                    torn = true;
                }
                else
                {
                    damaged.Add(number);
                }
            }
        }

        return new NdjsonFile<T>(records, damaged, torn);
    }

    /// <summary>
    /// The non-empty lines of <paramref name="path"/>, read as a stream (a day-long soak's outcomes are never one string
    /// in memory), each with its 1-based number, whether it is the last one, and whether the file ends without a newline
    /// (a write cut short by a kill). Nothing when the file is missing.
    /// </summary>
    private static IEnumerable<(string Line, int Number, bool Last, bool Unterminated)> Lines(string path)
    {
        if (!File.Exists(path))
        {
            yield break;
        }

        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, 64 * 1024, FileOptions.SequentialScan);
        var unterminated = false;
        if (stream.Length > 0)
        {
            stream.Seek(-1, SeekOrigin.End);
            unterminated = stream.ReadByte() != '\n';
            stream.Seek(0, SeekOrigin.Begin);
        }

        using var reader = new StreamReader(stream);
        (string Line, int Number)? pending = null;
        var number = 0;
        while (reader.ReadLine() is { } line)
        {
            number++;
            if (line.Length == 0)
            {
                continue;
            }

            if (pending is { } p)
            {
                yield return (p.Line, p.Number, false, unterminated);
            }

            pending = (line, number);
        }

        if (pending is { } lastLine)
        {
            yield return (lastLine.Line, lastLine.Number, true, unterminated);
        }
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
