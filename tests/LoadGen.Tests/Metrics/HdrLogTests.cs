using System.Text;
using System.Text.Json;
using LoadGen.Core.Metrics;
using LoadGen.Results;
using LoadGen.Results.Analysis;

namespace LoadGen.Tests.Metrics;

public class HdrLogTests
{
    private static string Fixture(string name) => Path.Combine(AppContext.BaseDirectory, "testdata", "hdrhistogram", name);

    [Fact]
    public void Reader_ReadsReferenceLogFromAnotherImplementation_WithItsOwnFigures()
    {
        var intervals = HdrLogReader.ReadFile(Fixture("reference.hlog"));
        using var expected = JsonDocument.Parse(File.ReadAllText(Fixture("reference.expected.json")));
        var want = expected.RootElement.GetProperty("intervals").EnumerateArray().ToList();

        Assert.Equal(want.Count, intervals.Count);
        for (var i = 0; i < want.Count; i++)
        {
            var e = want[i];
            var h = intervals[i].Histogram;
            Assert.Equal(e.GetProperty("tag").GetString(), intervals[i].Tag);
            Assert.Equal(e.GetProperty("count").GetInt64(), h.TotalCount);
            Assert.Equal(e.GetProperty("p50").GetInt64(), h.GetValueAtPercentile(50));
            Assert.Equal(e.GetProperty("p90").GetInt64(), h.GetValueAtPercentile(90));
            Assert.Equal(e.GetProperty("p99").GetInt64(), h.GetValueAtPercentile(99));
            Assert.Equal(e.GetProperty("p999").GetInt64(), h.GetValueAtPercentile(99.9));
            Assert.Equal(e.GetProperty("startMs").GetInt64(), intervals[i].Start.ToUnixTimeMilliseconds());
            Assert.Equal(e.GetProperty("endMs").GetInt64(), intervals[i].End.ToUnixTimeMilliseconds());
        }
    }

    [Fact]
    public void Writer_RoundTripsTagsTimesAndCounts_AsAsciiWithoutBom()
    {
        var start = DateTimeOffset.FromUnixTimeMilliseconds(1_764_100_000_000);
        var a = Histograms.Create();
        for (var v = 1; v <= 1000; v++)
        {
            a.RecordValue(v * 7);
        }

        a.Tag = "direct-tls.rtt";
        var b = Histograms.Create();
        b.RecordValueWithCount(200_000, 10);
        b.RecordValueWithCount(500, 990);
        b.Tag = "gateway.rtt";
        var empty = Histograms.Create();
        empty.Tag = "gateway.open";

        using var ms = new MemoryStream();
        using (var w = new HdrLogWriter(ms, start, "test"))
        {
            w.Write(a, start, start.AddSeconds(5));
            w.Write(b, start.AddSeconds(5), start.AddSeconds(10));
            w.Write(empty, start.AddSeconds(5), start.AddSeconds(10));
        }

        var bytes = ms.ToArray();
        Assert.All(bytes, x => Assert.True(x < 128, "the log must be plain ASCII"));
        var text = Encoding.ASCII.GetString(bytes);
        Assert.Contains("#[Histogram log format version 1.3]", text, StringComparison.Ordinal);
        Assert.Contains("Tag=gateway.rtt,5.000,5.000,200.063,HISTF", text, StringComparison.Ordinal);

        var back = HdrLogReader.Read(new StringReader(text));
        Assert.Equal(["direct-tls.rtt", "gateway.rtt", "gateway.open"], back.Select(i => i.Tag));
        Assert.Equal(a.TotalCount, back[0].Histogram.TotalCount);
        Assert.Equal(a.GetValueAtPercentile(99), back[0].Histogram.GetValueAtPercentile(99));
        Assert.Equal(b.GetValueAtPercentile(99.9), back[1].Histogram.GetValueAtPercentile(99.9));
        Assert.Equal(0, back[2].Histogram.TotalCount);
        Assert.Equal(start.AddSeconds(5), back[1].Start);
        Assert.Equal(start.AddSeconds(10), back[1].End);
    }

    [Fact]
    public void Reader_SkipsALastLineCutShortByAKill_ButRejectsDamageInTheMiddle()
    {
        var start = DateTimeOffset.UnixEpoch.AddYears(50);
        var h = Histograms.Create();
        h.RecordValue(42);
        h.Tag = "t";
        using var ms = new MemoryStream();
        using (var w = new HdrLogWriter(ms, start, "test"))
        {
            w.Write(h, start, start.AddSeconds(1));
            w.Write(h, start.AddSeconds(1), start.AddSeconds(2));
        }

        var text = Encoding.ASCII.GetString(ms.ToArray());
        var torn = text[..(text.Length - 20)];
        Assert.Single(HdrLogReader.Read(new StringReader(torn)));

        var lines = text.Split('\n').ToList();
        lines.Insert(lines.Count - 2, "Tag=t,1.000,1.000,garbage");
        Assert.Throws<FormatException>(() => HdrLogReader.Read(new StringReader(string.Join('\n', lines))));
    }

    [Fact]
    public void ShardedRecorder_IntervalsAddUpAndReset()
    {
        var r = new ShardedRecorder("x.rtt");
        Parallel.For(0, 10_000, i => r.RecordMicros(1 + (i % 100)));
        var first = r.TakeInterval();
        var second = r.TakeInterval();

        Assert.Equal(10_000, first.TotalCount);
        Assert.Equal("x.rtt", first.Tag);
        Assert.Equal(0, second.TotalCount);
        Assert.Null(Histograms.PercentileMs(second, 99)); // empty: no throw, no number
    }
}
