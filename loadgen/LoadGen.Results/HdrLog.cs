using System.Buffers.Binary;
using System.Globalization;
using System.IO.Compression;
using System.Text;
using HdrHistogram;
using HdrHistogram.Encoding;
using HdrHistogram.Utilities;

namespace LoadGen.Results;

/// <summary>
/// Writes the standard HdrHistogram interval log (format 1.3) as ASCII, one line per interval
/// histogram, readable by the Java, JS and Python tools. HdrHistogram.NET's own HistogramLogWriter emits
/// UTF-16, which those tools cannot read, so the lines are composed here.
/// </summary>
public sealed class HdrLogWriter : IDisposable
{
    /// <summary>Values are microseconds; the Interval_Max column is in milliseconds.</summary>
    public const double MaxValueUnitRatio = 1000.0;

    private readonly TextWriter _writer;
    private readonly DateTimeOffset _start;

    public HdrLogWriter(Stream stream, DateTimeOffset start, string comment)
    {
        _writer = new StreamWriter(stream, new UTF8Encoding(encoderShouldEmitUTF8Identifier: false)) { NewLine = "\n" };
        _start = start;
        var epoch = start.ToUnixTimeMilliseconds() / 1000.0;
        _writer.WriteLine($"#{comment}");
        _writer.WriteLine("#[Histogram log format version 1.3]");
        _writer.WriteLine(string.Create(CultureInfo.InvariantCulture, $"#[StartTime: {epoch:F3} (seconds since epoch), {start.UtcDateTime:R}]"));
        _writer.WriteLine(string.Create(CultureInfo.InvariantCulture, $"#[BaseTime: {epoch:F3} (seconds since epoch)]"));
        _writer.WriteLine("\"StartTimestamp\",\"Interval_Length\",\"Interval_Max\",\"Interval_Compressed_Histogram\"");
        _writer.Flush();
    }

    /// <summary>Appends one interval. Timestamps are written relative to the log's BaseTime.</summary>
    public void Write(HistogramBase histogram, DateTimeOffset intervalStart, DateTimeOffset intervalEnd)
    {
        var encoded = Convert.ToBase64String(EncodeCompressed(histogram));
        var relStart = (intervalStart - _start).TotalSeconds;
        var span = (intervalEnd - intervalStart).TotalSeconds;
        var max = histogram.TotalCount == 0 ? 0 : histogram.GetMaxValue() / MaxValueUnitRatio;
        var tag = string.IsNullOrEmpty(histogram.Tag) ? "" : $"Tag={histogram.Tag},";
        _writer.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{tag}{relStart:F3},{span:F3},{max:F3},{encoded}"));
    }

    public void Flush() => _writer.Flush();

    /// <summary>
    /// The standard "compressed V2" encoding: big-endian cookie 0x1c849314, the compressed length,
    /// then the zlib-deflated V2 encoding. HdrHistogram.NET 2.5.0's own compressed encoder writes a
    /// stream other implementations cannot inflate, so only its (correct) uncompressed V2 encoder is used.
    /// </summary>
    public static byte[] EncodeCompressed(HistogramBase histogram)
    {
        ArgumentNullException.ThrowIfNull(histogram);
        var buffer = ByteBuffer.Allocate(histogram.GetNeededByteBufferCapacity());
        var length = histogram.Encode(buffer, HistogramEncoderV2.Instance);
        var plain = new byte[length];
        buffer.Position = 0;
        for (var i = 0; i < length; i++)
        {
            plain[i] = buffer.Get();
        }

        using var deflated = new MemoryStream();
        using (var z = new ZLibStream(deflated, CompressionLevel.Optimal, leaveOpen: true))
        {
            z.Write(plain);
        }

        var result = new byte[8 + deflated.Length];
        BinaryPrimitives.WriteInt32BigEndian(result, CompressedV2Cookie);
        BinaryPrimitives.WriteInt32BigEndian(result.AsSpan(4), (int)deflated.Length);
        deflated.ToArray().CopyTo(result, 8);
        return result;
    }

    // The V2 compressed cookie with the 0x10 flag Java and JS set (TLZE counts): logs start "HISTF".
    private const int CompressedV2Cookie = 0x1c849314;

    public void Dispose() => _writer.Dispose();
}

/// <summary>One interval read back from a log, with absolute times.</summary>
public sealed record LoggedInterval(string? Tag, DateTimeOffset Start, DateTimeOffset End, HistogramBase Histogram);

/// <summary>
/// Reads HdrHistogram interval logs written by any implementation (Java, JS, .NET, LoadGen),
/// tolerating the blank lines and comments other writers emit (HdrHistogram.NET's HistogramLogReader does not).
/// </summary>
public static class HdrLogReader
{
    public static IReadOnlyList<LoggedInterval> ReadFile(string path)
    {
        using var reader = new StreamReader(path, Encoding.UTF8, detectEncodingFromByteOrderMarks: true);
        return Read(reader, path);
    }

    /// <summary>As <see cref="ReadFile(string)"/>, but a damaged line is left out and its number added to <paramref name="damagedLines"/> instead of failing the whole file.</summary>
    public static IReadOnlyList<LoggedInterval> ReadFile(string path, List<int> damagedLines)
    {
        using var reader = new StreamReader(path, Encoding.UTF8, detectEncodingFromByteOrderMarks: true);
        return Read(reader, path, damagedLines);
    }

    /// <param name="damagedLines">When given, damaged lines (other than a torn last line) are skipped and listed here; otherwise the first one throws.</param>
    /// <exception cref="FormatException">A line other than the last is not an interval histogram (and <paramref name="damagedLines"/> is null).</exception>
    public static IReadOnlyList<LoggedInterval> Read(TextReader reader, string source = "log", List<int>? damagedLines = null)
    {
        var result = new List<LoggedInterval>();
        double? startTime = null;
        double? baseTime = null;
        var lineNo = 0;
        while (reader.ReadLine() is { } raw)
        {
            lineNo++;
            var line = raw.Trim();
            if (line.Length == 0)
            {
                continue;
            }

            if (line.StartsWith("#[StartTime:", StringComparison.Ordinal))
            {
                startTime = LeadingNumber(line["#[StartTime:".Length..]);
                continue;
            }

            if (line.StartsWith("#[BaseTime:", StringComparison.Ordinal))
            {
                baseTime = LeadingNumber(line["#[BaseTime:".Length..]);
                continue;
            }

            if (line.StartsWith('#') || line.StartsWith("\"StartTimestamp\"", StringComparison.Ordinal))
            {
                continue;
            }

            // A line cut short by a kill mid-write is the only damage a crash leaves; skip it.
            try
            {
                result.Add(ParseLine(line, startTime, ref baseTime));
            }
            catch (Exception e) when (e is FormatException or IndexOutOfRangeException or ArgumentException or InvalidOperationException && e.InnerException is not OutOfMemoryException)
            {
                if (reader.Peek() >= 0)
                {
                    if (damagedLines is null)
                    {
                        throw new FormatException($"{source}:{lineNo}: not an interval histogram line: {e.Message}", e);
                    }

                    damagedLines.Add(lineNo);
                }
            }
        }

        return result;
    }

    private static LoggedInterval ParseLine(string line, double? startTime, ref double? baseTime)
    {
        string? tag = null;
        if (line.StartsWith("Tag=", StringComparison.Ordinal))
        {
            var comma = line.IndexOf(',', StringComparison.Ordinal);
            tag = line[4..comma];
            line = line[(comma + 1)..];
        }

        var parts = line.Split(',');
        if (parts.Length != 4)
        {
            throw new FormatException($"expected 4 comma-separated fields, found {parts.Length}");
        }

        var start = double.Parse(parts[0], CultureInfo.InvariantCulture);
        var length = double.Parse(parts[1], CultureInfo.InvariantCulture);
        var bytes = Convert.FromBase64String(parts[3]);
        var histogram = HistogramEncoding.DecodeFromCompressedByteBuffer(ByteBuffer.Allocate(bytes), 0);
        histogram.Tag = tag;

        // As the Java reader does: without a BaseTime, timestamps under a year are relative to StartTime.
        baseTime ??= start < 365 * 24 * 3600.0 ? startTime ?? 0 : 0;
        var absStart = baseTime.Value + start;
        var from = DateTimeOffset.FromUnixTimeMilliseconds((long)Math.Round(absStart * 1000));
        var to = DateTimeOffset.FromUnixTimeMilliseconds((long)Math.Round((absStart + length) * 1000));
        histogram.StartTimeStamp = from.ToUnixTimeMilliseconds();
        histogram.EndTimeStamp = to.ToUnixTimeMilliseconds();
        return new LoggedInterval(tag, from, to, histogram);
    }

    private static double LeadingNumber(string text)
    {
        var t = text.TrimStart();
        var end = 0;
        while (end < t.Length && (char.IsDigit(t[end]) || t[end] == '.'))
        {
            end++;
        }

        return double.Parse(t[..end], CultureInfo.InvariantCulture);
    }
}
