using System.Text.Json;
using LoadGen.Results;

namespace LoadGen.Tests.Results;

/// <summary>The run folder's one NDJSON reader: a torn last line is expected after a kill; any other bad line is counted, never dropped silently.</summary>
public class NdjsonTests
{
    private static string Line(long id) => JsonSerializer.Serialize(new OutcomeRecord { Time = DateTimeOffset.UnixEpoch, Topology = "t", StreamId = id, Cause = "client-closed", PoolSlot = 2 }, Ndjson.Options);

    [Fact]
    public void Read_TornLastLine_IsLeftOut_AndSaidSo_DamagedLinesAreCountedWithTheirNumbers()
    {
        var dir = TestTemp.Folder("ndjson");
        var path = Path.Combine(dir, "outcomes.ndjson");
        File.WriteAllText(path, $"{Line(1)}\n{{not json\n{Line(3)}\n{Line(4)[..20]}");

        var file = Ndjson.Read<OutcomeRecord>(path);

        Assert.Equal([1L, 3L], file.Records.Select(r => r.StreamId));
        Assert.Equal([2], file.DamagedLines);
        Assert.True(file.TornLast);
        TestTemp.Remove(dir);
    }

    [Fact]
    public void OutcomeRecord_WritesPoolSlot_AndReadsTheOldConnectionName()
    {
        Assert.Contains("\"poolSlot\":2", Line(1), StringComparison.Ordinal);
        Assert.DoesNotContain("\"connection\"", Line(1), StringComparison.Ordinal);

        var old = JsonSerializer.Deserialize<OutcomeRecord>("""{"time":"1970-01-01T00:00:00+00:00","topology":"t","streamId":1,"cause":"client-closed","connection":7}""", Ndjson.Options)!;

        Assert.Equal(7, old.PoolSlot);
    }
}
