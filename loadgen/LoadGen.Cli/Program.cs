using System.CommandLine;
using LoadGen.Cli;

return await Cli.RunAsync(args);
