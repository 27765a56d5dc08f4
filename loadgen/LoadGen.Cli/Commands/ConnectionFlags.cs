using System.CommandLine;
using LoadGen.Core.Scenarios;

namespace LoadGen.Cli.Commands;

/// <summary>
/// How to reach your own endpoints, on the command line: applied to every target that is not lab://
/// (the lab sets its own). A scenario file can set the same per target, plus keepalive pings,
/// message size limits and compression.
/// </summary>
internal sealed class ConnectionFlags
{
    private readonly Option<FileInfo> _ca = new("--ca-file") { Description = "PEM bundle of the CA(s) to trust instead of the system's (a private CA).", HelpName = "FILE" };
    private readonly Option<FileInfo> _cert = new("--client-cert") { Description = "PEM client certificate for mutual TLS.", HelpName = "FILE" };
    private readonly Option<FileInfo> _key = new("--client-key") { Description = "PEM key of --client-cert (when not in the same file).", HelpName = "FILE" };
    private readonly Option<string> _authority = new("--authority") { Description = "The :authority every stream carries (gateways route on it).", HelpName = "HOST[:PORT]" };
    private readonly Option<string> _serverName = new("--server-name") { Description = "TLS server name (SNI) to send and to check the certificate against.", HelpName = "NAME" };
    private readonly Option<bool> _insecure = new("--insecure") { Description = "Do NOT verify the server certificate. Said loudly on the console and in every report; prefer --ca-file." };
    private readonly Option<string[]> _metadata = new("--metadata", "-H")
    {
        Description = "Request metadata NAME=VALUE or curl's 'NAME: VALUE' on every stream (repeatable). Credentials only as ${env:NAME} or ${file:PATH}, " +
            "e.g. -H 'authorization=Bearer ${env:TOKEN}' -H 'x-api-key=${file:/run/secrets/key}'; files are re-read every 60 s.",
        HelpName = "NAME=VALUE",
        AllowMultipleArgumentsPerToken = false,
    };

    private readonly Option<bool> _reflect = new("--reflect")
    {
        Description = "Take the method's descriptors from the server's reflection service (the first target's) instead of the " +
            "scenario's service.proto files. Needs a service: section (method and message template) and a server that offers reflection.",
    };

    public IEnumerable<Option> All => [_ca, _cert, _key, _authority, _serverName, _insecure, _metadata, _reflect];

    /// <summary>The scenario with the flags applied to its own (not lab://) targets; null after printing what is wrong.</summary>
    public Scenario? Apply(ParseResult parse, Scenario scenario, CliConsole console)
    {
        if (parse.GetValue(_reflect))
        {
            if (scenario.Service is not { } spec)
            {
                console.Error($"error: --reflect: {scenario.Source} has no service: section; reflection finds the descriptors of the method it names (see docs/own-service.md)");
                return null;
            }

            scenario = scenario with { Service = spec with { Reflect = true }, Workload = null };
        }

        var metadata = new List<MetadataEntry>();
        foreach (var m in parse.GetValue(_metadata) ?? [])
        {
            // NAME=VALUE, or curl's NAME: VALUE (a header name holds neither character; a value may hold both).
            var (eq, colon) = (m.IndexOf('=', StringComparison.Ordinal), m.IndexOf(':', StringComparison.Ordinal));
            var split = colon > 0 && (eq < 0 || colon < eq) ? colon : eq;
            if (split <= 0)
            {
                // The text may be a credential: never echoed.
                console.Error("error: --metadata: expected NAME=VALUE or 'NAME: VALUE' (the value given is not shown)");
                return null;
            }

            var (name, template) = (m[..split].Trim().ToLowerInvariant(), m[(split + 1)..].TrimStart());
            try
            {
                metadata.Add(MetadataTemplate.NameProblem(name) is { } problem
                    ? throw new ArgumentException(problem)
                    : MetadataTemplate.Entry(name, template, Environment.CurrentDirectory));
            }
            catch (ArgumentException e)
            {
                console.Error($"error: --metadata {name}: {e.Message}");
                return null;
            }
        }

        if (parse.GetValue(_insecure) && (parse.GetValue(_ca) is not null || scenario.Targets.Any(t => t.CaFile is not null)))
        {
            // Both would mean "check the certificate against this CA" and "check nothing": the run would silently do the second.
            console.Error($"error: --insecure turns the server certificate check off, so the CA file ({(parse.GetValue(_ca) is { } ca ? "--ca-file " + ca.FullName : "the scenario's caFile")}) would never be used: give one or the other");
            return null;
        }

        foreach (var file in new[] { parse.GetValue(_ca), parse.GetValue(_cert), parse.GetValue(_key) })
        {
            if (file is not null && LoadGen.Core.Inputs.InputFiles.Problem(file.FullName) is { } problem)
            {
                console.Error($"error: {problem}");
                return null;
            }
        }

        var targets = scenario.Targets.Select(t => t.Address.Scheme == "lab" ? t : t with
        {
            CaFile = parse.GetValue(_ca)?.FullName ?? t.CaFile,
            ClientCertFile = parse.GetValue(_cert)?.FullName ?? t.ClientCertFile,
            ClientKeyFile = parse.GetValue(_key)?.FullName ?? t.ClientKeyFile,
            Authority = parse.GetValue(_authority) ?? t.Authority,
            ServerName = parse.GetValue(_serverName) ?? t.ServerName,
            Insecure = parse.GetValue(_insecure) || t.Insecure,
            Metadata = [.. t.Metadata.Where(x => metadata.All(y => y.Name != x.Name)), .. metadata],
        }).ToList();
        return scenario with { Targets = targets };
    }
}
