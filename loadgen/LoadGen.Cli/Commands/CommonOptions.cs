using System.CommandLine;
using LoadGen.Results;
using LoadGen.Results.Analysis;

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

/// <summary>What every load-running command (run, compare, demo) takes besides its workload.</summary>
/// <param name="WarmUp">--warmup, overriding the scenario's; null = the scenario's.</param>
internal sealed record RunSettings(string OutDir, bool Quiet, LoadGen.Lab.LabPart Lab, Uri? OtlpEndpoint, string? OtlpProtocol, TimeSpan? WarmUp = null, Microsoft.Extensions.Logging.LogLevel LogLevel = Microsoft.Extensions.Logging.LogLevel.Information);

/// <summary>The options behind <see cref="RunSettings"/>, added to a command together.</summary>
internal sealed class RunFlags
{
    private readonly Option<string> _out = CommonOptions.Out();
    private readonly Option<bool> _quiet = CommonOptions.Quiet();
    private readonly Option<LoadGen.Lab.LabPart> _lab = CommonOptions.LabParts();
    private readonly Option<string> _otlp = new("--otlp-endpoint")
    {
        Description = "Export live metrics over OTLP to this collector (http://host:4317 for gRPC, http://host:4318/v1/metrics with --otlp-protocol http/protobuf). " +
            "Also on when OTEL_EXPORTER_OTLP_ENDPOINT or OTEL_EXPORTER_OTLP_METRICS_ENDPOINT is set. Instruments: docs/telemetry.md.",
        HelpName = "URL",
    };

    private readonly Option<string> _protocol = new("--otlp-protocol")
    {
        Description = "OTLP transport: grpc or http/protobuf. Default: OTEL_EXPORTER_OTLP_PROTOCOL, else grpc.",
        HelpName = "grpc|http/protobuf",
    };

    private readonly Option<string> _warmUp = new("--warmup")
    {
        Description = $"Before measuring, each target carries up to {LoadGen.Core.Engine.LoadEngine.WarmUpStreams} streams for this long, recorded nowhere: the process's first TLS handshakes " +
            "and calls are slow and would count against whichever topology runs first. 0s = none. Default: the scenario's warmup:, else 4s for compare and demo, none for run.",
        HelpName = "DURATION",
    };

    private readonly Option<Microsoft.Extensions.Logging.LogLevel> _logLevel = new("--log-level")
    {
        Description = "How much goes to loadgen.log in the run folder: trace, debug (every unplanned stream end, re-open and TCP connection), " +
            "information (runs, rounds, faults, lab processes), warning, error. Default: information. The console is not affected.",
        DefaultValueFactory = _ => Microsoft.Extensions.Logging.LogLevel.Information,
        HelpName = "LEVEL",
    };

    public RunFlags()
    {
        _protocol.AcceptOnlyFromAmong("grpc", "http/protobuf");
        _warmUp.Validators.Add(r =>
        {
            var text = r.GetValueOrDefault<string>();
            if (!LoadGen.Results.Durations.TryParse(text, out var d) || d > TimeSpan.FromMinutes(10))
            {
                r.AddError($"--warmup '{text}': expected {LoadGen.Results.Durations.Expected}, at most 10m");
            }
        });
        _otlp.Validators.Add(r =>
        {
            var text = r.GetValueOrDefault<string>();
            if (!Uri.TryCreate(text, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
            {
                r.AddError($"--otlp-endpoint '{LoadGen.Core.Scenarios.TargetRules.Shown(LoadGen.Core.Inputs.Secrets.Redact(text ?? ""))}': expected a collector URL such as http://127.0.0.1:4317 (gRPC) or http://127.0.0.1:4318/v1/metrics (http/protobuf)");
            }
            else if (LoadGen.Core.Scenarios.TargetRules.UrlProblem(uri) is { } inUrl)
            {
                r.AddError($"--otlp-endpoint: {inUrl} (OTEL_EXPORTER_OTLP_HEADERS carries collector credentials)");
            }
        });
    }

    public void AddTo(Command command)
    {
        foreach (var o in new Option[] { _out, _quiet, _lab, _warmUp, _otlp, _protocol, _logLevel })
        {
            command.Options.Add(o);
        }
    }

    public RunSettings Read(ParseResult parse) =>
        new(parse.GetValue(_out)!, parse.GetValue(_quiet), parse.GetValue(_lab), parse.GetValue(_otlp) is { } otlp ? new Uri(otlp) : null, parse.GetValue(_protocol),
            parse.GetValue(_warmUp) is { } warmUp ? LoadGen.Results.Durations.Parse(warmUp) : null, parse.GetValue(_logLevel));
}
