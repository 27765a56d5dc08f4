namespace LoadGen.Tests;

/// <summary>A scenario file in a fresh temporary folder, with an output folder beside it, as a user would lay them out.</summary>
internal sealed record TempScenario(string Dir, string File, string OutDir)
{
    public static async Task<TempScenario> WriteAsync(string name, string yaml)
    {
        var dir = TestTemp.Path(name);
        Directory.CreateDirectory(dir);
        var file = Path.Combine(dir, name + ".yaml");
        await System.IO.File.WriteAllTextAsync(file, yaml);
        return new TempScenario(dir, file, Path.Combine(dir, "out"));
    }

    /// <summary>The one run folder the run made.</summary>
    public string RunFolder => Directory.GetDirectories(OutDir).Single();
}
