using System.CommandLine;
using LoadGen.Cli;

// Before any HTTP/2 connection (the lab's proxies included): no dynamic-window PINGs on LoadGen's connections.
LoadGen.Core.Connections.TargetChannelFactory.QuietConnections();
return await Cli.RunAsync(args);
