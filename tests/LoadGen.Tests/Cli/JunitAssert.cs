using System.Xml.Linq;
using LoadGen.Results;

namespace LoadGen.Tests.Cli;

/// <summary>What a CI system reads from a run's junit.xml, checked the way it reads it.</summary>
internal static class JunitAssert
{
    /// <summary>
    /// The run did not complete, and junit.xml says so as CI shows it: the suite counts one error, carried by the
    /// "the run completed" case with the completion as its type — never an all-green suite.
    /// </summary>
    public static void NotCompleted(string runDir, string completion)
    {
        var path = Path.Combine(runDir, RunFolder.JunitFile);
        Assert.True(File.Exists(path), $"no {RunFolder.JunitFile} in {runDir}");
        var suite = Assert.Single(XDocument.Load(path).Descendants("testsuite"));
        Assert.Equal("1", suite.Attribute("errors")?.Value);
        var error = Assert.Single(suite.Descendants("error"));
        Assert.Equal(completion, error.Attribute("type")?.Value);
        Assert.Equal("the run completed", error.Parent?.Attribute("name")?.Value);
        Assert.Contains($"the run is {completion}", error.Attribute("message")?.Value ?? "", StringComparison.Ordinal);
    }
}
