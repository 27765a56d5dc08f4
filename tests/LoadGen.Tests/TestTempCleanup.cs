using Xunit.Abstractions;
using Xunit.Sdk;

[assembly: TestFramework("LoadGen.Tests.TestTempCleanup", "LoadGen.Tests")]

namespace LoadGen.Tests;

/// <summary>
/// xunit's own test framework, which also removes this run's <see cref="TestTemp.Root"/> when the runner is done with
/// the assembly — before the test host is told to exit. The process-exit handler alone lost that race: a loaded CI run
/// passed all 426 tests and left /tmp/loadgen-tests-* behind, half deleted when the runner ended the host.
/// </summary>
public sealed class TestTempCleanup : XunitTestFramework
{
    public TestTempCleanup(IMessageSink messageSink)
        : base(messageSink)
    {
        DisposalTracker.Add(new Removal());
    }

    private sealed class Removal : IDisposable
    {
        public void Dispose() => TestTemp.RemoveRoot();
    }
}
