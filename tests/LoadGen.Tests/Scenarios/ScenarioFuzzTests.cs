using LoadGen.Core.Inputs;
using LoadGen.Core.Scenarios;

namespace LoadGen.Tests.Scenarios;

/// <summary>Hundreds of broken scenario files: the loader never crashes or hangs, and every rejection says where.</summary>
public class ScenarioFuzzTests
{
    private static readonly string Seed = File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "scenarios", "faults.yaml"))
        + "\n" + """
        thresholds:
          - p99 < 50ms
          - delta p99 < +5ms vs baseline
          - rate(rst:*) < 1 per 1000 stream-hours
        connections:
          count: 4
          maxStreamsPerConnection: 90
        """;

    private static readonly string[] Replacements =
    [
        "", "-1", "0", "1e309", "999999999999999999999", "5 sec", "abc", "[]", "{}", "[1, 2", "\"", "'", ":", "- ", "null", "~",
        "!!binary AAAA", "&a", "*a", "0s", "1h", "-5ms", "NaN", "true", "lab://", "http://", "\t", "    extra: 1",
    ];

    [Theory]
    [InlineData(2026)]
    [InlineData(7)]
    [InlineData(99)]
    public async Task MutatedScenarios_AreRejectedWithALocation_OrLoad_NeverCrash(int seed)
    {
        var random = new Random(seed);
        var lines = Seed.Split('\n');
        var rejected = 0;
        for (var i = 0; i < 400; i++)
        {
            var mutated = (string[])lines.Clone();
            for (var m = 0; m < 1 + random.Next(3); m++)
            {
                var at = random.Next(mutated.Length);
                var line = mutated[at];
                var colon = line.IndexOf(':', StringComparison.Ordinal);
                mutated[at] = random.Next(4) switch
                {
                    // Replace a value.
                    0 when colon > 0 => line[..(colon + 1)] + " " + Replacements[random.Next(Replacements.Length)],
                    // Rename a key.
                    1 when colon > 0 => line[..colon] + "x" + line[colon..],
                    // Drop the line.
                    2 => "",
                    // Re-indent it.
                    _ => new string(' ', random.Next(6)) + line.TrimStart(),
                };
            }

            var yaml = string.Join('\n', mutated);
            var task = Task.Run(() => ScenarioLoader.Load(yaml, "fuzz.yaml"));
            var done = await Task.WhenAny(task, Task.Delay(TimeSpan.FromSeconds(5)));
            Assert.True(done == task, $"the loader hung on:\n{yaml}");
            if (task.Exception?.InnerException is { } e)
            {
                var s = e as ScenarioException ?? throw new Xunit.Sdk.XunitException($"the loader crashed: {e}\n--- on:\n{yaml}");
                // Every problem found (a reading reports each broken section) has its own location.
                Assert.All(s.All, p =>
                {
                    Assert.True(p.Line > 0 && p.Column > 0, $"no location: {p.Message}\n{yaml}");
                    Assert.StartsWith("fuzz.yaml:", p.Message, StringComparison.Ordinal);
                });
                rejected++;
            }
        }

        // Most mutations break something; the test would prove nothing if they all loaded.
        Assert.True(rejected > 200, $"only {rejected} of 400 rejected");
    }
}
