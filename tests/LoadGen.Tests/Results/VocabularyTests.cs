using System.Text.Json;
using LoadGen.Results;

namespace LoadGen.Tests.Results;

/// <summary>The run's verdict and completion are types in code and the same plain strings on disk as before.</summary>
public class VocabularyTests
{
    [Theory]
    [InlineData("pass", "completed")]
    [InlineData("fail", "aborted")]
    [InlineData("none", "interrupted")]
    [InlineData("fail", "partial")]
    public void VerdictAndCompletion_ReadAndWriteTheirPlainWords(string verdict, string completion)
    {
        var json = $$"""{"runId":"r","scenario":"s","startedAt":"2026-12-01T00:00:00+00:00","endedAt":"2026-12-01T00:01:00+00:00","completion":"{{completion}}","verdict":"{{verdict}}","topologies":[]}""";

        var summary = JsonSerializer.Deserialize<RunSummary>(json, RunSummary.JsonOptions)!;
        var written = JsonDocument.Parse(JsonSerializer.Serialize(summary, RunSummary.JsonOptions)).RootElement;

        Assert.Equal((verdict, completion), (summary.Verdict.Value, summary.Completion.Value));
        Assert.Equal(verdict, written.GetProperty("verdict").GetString());
        Assert.Equal(completion, written.GetProperty("completion").GetString());
    }

    [Fact]
    public void AnUnknownVerdict_IsADamagedFile_NamingWhatIsExpected()
    {
        var json = """{"runId":"r","scenario":"s","startedAt":"2026-12-01T00:00:00+00:00","endedAt":"2026-12-01T00:01:00+00:00","verdict":"maybe","topologies":[]}""";

        var e = Assert.Throws<JsonException>(() => JsonSerializer.Deserialize<RunSummary>(json, RunSummary.JsonOptions));

        Assert.Contains("verdict 'maybe': expected pass, fail or none", e.Message, StringComparison.Ordinal);
    }
}
