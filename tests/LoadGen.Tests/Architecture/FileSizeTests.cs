namespace LoadGen.Tests.Architecture;

/// <summary>
/// A product file past 400 lines is where unrelated changes start to meet: it is split, or it says at its top why it is
/// one thing (<c>// Over 400 lines: …</c>), so the next change to it is a decision, not drift.
/// </summary>
public class FileSizeTests
{
    private const int Limit = 400;
    private const string Marker = "// Over 400 lines: ";

    /// <summary>Where product code lives (tests are not product files).</summary>
    private static readonly string[] ProductFolders = ["loadgen", "lab", "reports", "protos", "scenarios"];

    [Fact]
    public void EveryProductFileOver400Lines_SaysWhyAtItsTop()
    {
        var root = LoadGen.Tests.Deploy.PublishTests.RepoRoot();
        var files = ProductFolders
            .Select(d => Path.Combine(root, d))
            .Where(Directory.Exists)
            .SelectMany(d => Directory.EnumerateFiles(d, "*.cs", SearchOption.AllDirectories))
            .Where(f => !f.Split(Path.DirectorySeparatorChar).Any(part => part is "bin" or "obj"))
            .ToList();
        Assert.True(files.Count > 50, $"only {files.Count} product files found under {root}");

        var unexplained = files
            .Select(f => (File: Path.GetRelativePath(root, f), Lines: File.ReadAllLines(f)))
            .Where(f => f.Lines.Length > Limit && !f.Lines.Take(5).Any(l => l.StartsWith(Marker, StringComparison.Ordinal) && l.Length > Marker.Length + 20))
            .Select(f => $"{f.File} ({f.Lines.Length} lines)")
            .ToList();

        Assert.True(unexplained.Count == 0, $"over {Limit} lines with no '{Marker}<reason>' in its first 5 lines — split it or say why it is one thing:\n  {string.Join("\n  ", unexplained)}");
    }
}
