using System.Reflection;
using NetArchTest.Rules;

namespace LoadGen.Tests.Architecture;

/// <summary>
/// The direction of every dependency, read from the compiled code: a change that makes a lower layer
/// reach into a higher one fails here, naming the type and what it uses (docs/architecture.md).
/// </summary>
public class LayerTests
{
    /// <summary>Core's namespaces from the bottom up: each may use those before it, never one after it.</summary>
    public static readonly string[] CoreLayers =
    [
        "LoadGen.Core.Inputs",
        "LoadGen.Core.Workloads",
        "LoadGen.Core.Scenarios",
        "LoadGen.Core.Metrics",
        "LoadGen.Core.Connections",
        "LoadGen.Core.Outcomes",
        "LoadGen.Core.Engine",
    ];

    private static readonly Assembly Core = typeof(LoadGen.Core.Engine.LoadEngine).Assembly;
    private static readonly Assembly Results = typeof(LoadGen.Results.RunSummary).Assembly;
    private static readonly Assembly Reports = typeof(LoadGen.Reports.RunData).Assembly;
    private static readonly Assembly Lab = typeof(LoadGen.Lab.LabTopologies).Assembly;
    private static readonly Assembly History = typeof(LoadGen.History.HistoryStore).Assembly;
    private static readonly Assembly Cli = typeof(LoadGen.Cli.Cli).Assembly;
    private static readonly Assembly Sample = typeof(LoadGen.Examples.CodeFirst.LabChatScenario).Assembly;

    /// <summary>What writes a run folder's files: Results' writers and rebuild, driven by Core's engine, merge and reports only.</summary>
    private static readonly string[] RunFileWriters =
        ["LoadGen.Results.HdrLogWriter", "LoadGen.Results.NdjsonWriter", "LoadGen.Results.OutcomeWriter", "LoadGen.Results.Analysis.RunFiles"];

    public static TheoryData<string> Layers() => [.. CoreLayers];

    [Theory]
    [MemberData(nameof(Layers))]
    public void CoreLayer_UsesNoLayerAboveIt(string layer)
    {
        var above = CoreLayers.SkipWhile(l => l != layer).Skip(1).ToArray();
        // The top layer has nothing above it within Core; it still must not reach the CLI, the lab or the reports.
        string[] forbidden = [.. above, "LoadGen.Cli", "LoadGen.Lab", "LoadGen.Reports"];

        var result = Types.InAssembly(Core).That().ResideInNamespace(layer).ShouldNot().HaveDependencyOnAny(forbidden).GetResult();

        Assert.True(result.IsSuccessful, Explain(layer, result));
    }

    [Fact]
    public void CoreHasNoNamespaceOutsideTheLayers()
    {
        var namespaces = Core.GetTypes().Select(t => t.Namespace).OfType<string>()
            .Where(n => n.StartsWith("LoadGen.", StringComparison.Ordinal))
            .Distinct()
            .Where(n => !CoreLayers.Any(l => n == l || n.StartsWith(l + ".", StringComparison.Ordinal)))
            .ToList();

        // The root namespace too: a type there would sit in no layer, and a Metrics → root → Engine reference would pass every rule.
        Assert.Empty(namespaces);
    }

    /// <summary>The CLI asks Results and Core for a run and its reports; it never writes a run file itself (one owner for the folder).</summary>
    [Fact]
    public void Cli_WritesNoRunFileItself()
    {
        var result = Types.InAssembly(Cli).ShouldNot().HaveDependencyOnAny(RunFileWriters).GetResult();

        Assert.True(result.IsSuccessful, Explain("LoadGen.Cli", result));
    }

    /// <summary>
    /// The code-first sample is what a user copies: its scenario uses Core and Reports only — the lab is for the host
    /// program that stands up a backend when no target is given — and writes no run file itself.
    /// </summary>
    [Fact]
    public void CodeFirstSample_ScenarioUsesCoreAndReportsOnly()
    {
        var result = Types.InAssembly(Sample).That().DoNotHaveName("Program").ShouldNot()
            .HaveDependencyOnAny([.. RunFileWriters, "LoadGen.Lab", "LoadGen.Cli"]).GetResult();

        Assert.True(result.IsSuccessful, Explain("the code-first sample's scenario", result));
    }

    /// <summary>The rules above can fail: a type that reaches a writer is caught (this test's own assembly does).</summary>
    [Fact]
    public void TheWriterRule_CatchesAReference()
    {
        var result = Types.InAssembly(typeof(LayerTests).Assembly).That().HaveName(nameof(Metrics.HdrLogTests)).Should().HaveDependencyOnAny(RunFileWriters).GetResult();

        Assert.True(result.IsSuccessful, "HdrLogTests uses HdrLogWriter, and the rule does not see it");
    }

    [Fact]
    public void Results_ReferencesNoOtherLoadGenProject()
    {
        Assert.DoesNotContain(Results.GetReferencedAssemblies(), a => a.Name!.StartsWith("LoadGen.", StringComparison.Ordinal));
        var result = Types.InAssembly(Results).ShouldNot().HaveDependencyOnAny("LoadGen.Core", "LoadGen.Reports", "LoadGen.Lab", "LoadGen.Cli").GetResult();
        Assert.True(result.IsSuccessful, Explain("LoadGen.Results", result));
    }

    [Theory]
    [InlineData("LoadGen.Reports", new[] { "LoadGen.Lab", "LoadGen.Core", "LoadGen.Cli" })]
    [InlineData("LoadGen.Lab", new[] { "LoadGen.Core", "LoadGen.Reports", "LoadGen.Cli" })]
    [InlineData("LoadGen.History", new[] { "LoadGen.Lab", "LoadGen.Core", "LoadGen.Cli" })]
    public void Project_DoesNotReach(string project, string[] forbidden)
    {
        var assembly = project switch
        {
            "LoadGen.Reports" => Reports,
            "LoadGen.History" => History,
            _ => Lab,
        };

        Assert.Empty(assembly.GetReferencedAssemblies().Select(a => a.Name!).Intersect(forbidden));
        var result = Types.InAssembly(assembly).ShouldNot().HaveDependencyOnAny(forbidden).GetResult();
        Assert.True(result.IsSuccessful, Explain(project, result));
    }

    [Fact]
    public void Core_DoesNotReachTheCliTheLabOrTheReports()
    {
        string[] forbidden = ["LoadGen.Cli", "LoadGen.Lab", "LoadGen.Reports"];

        Assert.Empty(Core.GetReferencedAssemblies().Select(a => a.Name!).Intersect(forbidden));
    }

    private static string Explain(string layer, TestResult result) =>
        result.IsSuccessful ? "" : $"{layer} reaches where it must not:\n" + string.Join("\n", result.FailingTypes.Select(t => $"  {t.FullName}: {t.Explanation}"));
}
