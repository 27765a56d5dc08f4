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

    /// <summary>One spelling of warm-up everywhere (the scenario key, the flag, run.json); run.json files that spelled it warmUp still read.</summary>
    [Theory]
    [InlineData("warmup")]
    [InlineData("warmUp")]
    public void WarmUp_IsWrittenAsWarmup_AndTheOldSpellingStillReads(string key)
    {
        var settings = JsonSerializer.Deserialize<ScenarioSettings>($$"""{"{{key}}":"00:00:04"}""", RunSummary.JsonOptions)!;
        var written = JsonDocument.Parse(JsonSerializer.Serialize(settings, RunSummary.JsonOptions)).RootElement;

        Assert.Equal("00:00:04", settings.WarmUp);
        Assert.Equal("00:00:04", written.GetProperty("warmup").GetString());
        Assert.DoesNotContain(written.EnumerateObject(), p => p.Name == "warmUp");
    }
}
