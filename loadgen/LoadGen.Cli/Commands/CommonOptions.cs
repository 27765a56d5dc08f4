using System.CommandLine;

namespace LoadGen.Cli.Commands;

internal static class CommonOptions
{
    public static Option<string> Out() => new("--out", "-o")
    {
        Description = "Folder the run folder is created in (as <out>/<run-id>/).",
        DefaultValueFactory = _ => Path.Combine("reports", "out"),
        HelpName = "DIR",
    };

    public static Option<FileInfo> Scenario() => new("--scenario", "-s")
    {
        Description = "Scenario file (YAML); see scenarios/ for examples.",
        Required = true,
        HelpName = "FILE",
    };

    public static Option<bool> Quiet() => new("--quiet", "-q")
    {
        Description = "Print no progress lines, only the final summary.",
    };

    public static Option<LoadGen.Lab.LabPart> LabParts() => new("--lab")
    {
        Description = "For lab:// targets: auto = real NGINX/HAProxy when installed, else the embedded .NET proxies (with a warning); " +
            "real = the binaries or fail; embedded = the embedded proxies.",
        DefaultValueFactory = _ => LoadGen.Lab.LabPart.Auto,
        HelpName = "auto|real|embedded",
    };
}
