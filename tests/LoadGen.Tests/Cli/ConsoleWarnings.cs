using LoadGen.Results;

namespace LoadGen.Tests.Cli;

/// <summary>The WARNING lines of a run's console output, apart from the end-of-run ones a busy machine may earn.</summary>
internal static class ConsoleWarnings
{
    /// <summary>
    /// Every "WARNING" line of <paramref name="stderr"/> except those the run's own outcome explains (a generator saturated
    /// on a busy machine, messages unanswered): what a test that expects no warning of its own checks.
    /// </summary>
    public static IReadOnlyList<string> Besides(string stderr, RunSummary summary)
    {
        var endOfRun = LoadGen.Results.Analysis.RunWarnings.For(summary.Topologies).Select(w => $"WARNING: {w}").ToHashSet(StringComparer.Ordinal);
        return [.. stderr.Split('\n').Select(l => l.TrimEnd('\r')).Where(l => l.StartsWith("WARNING", StringComparison.Ordinal) && !endOfRun.Contains(l))];
    }
}
