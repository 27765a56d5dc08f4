using System.Runtime.CompilerServices;

namespace LoadGen.Tests;

/// <summary>The test host makes HTTP/2 connections as the CLI does: without the dynamic window's PINGs (set before any connection).</summary>
internal static class QuietConnectionsSetup
{
    [ModuleInitializer]
    [System.Diagnostics.CodeAnalysis.SuppressMessage("Usage", "CA2255", Justification = "The test assembly is the process's entry: the switch must be set before any test makes a connection.")]
    internal static void Init() => LoadGen.Core.Connections.TargetChannelFactory.QuietConnections();
}
