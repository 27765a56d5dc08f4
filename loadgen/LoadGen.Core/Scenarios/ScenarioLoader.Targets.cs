using System.Text.RegularExpressions;
using LoadGen.Core.Inputs;
using LoadGen.Core.Scenarios.Lab;
using LoadGen.Results;
using LoadGen.Results.Analysis;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace LoadGen.Core.Scenarios;

/// <summary>The targets: section — addresses, TLS, keepalive, compression, metadata — and the rules a target name follows.</summary>
public static partial class ScenarioLoader
{
    private static List<TargetOptions> ReadTargets(YamlFields root)
    {
        var targets = new List<TargetOptions>();
        var node = root.Require("targets");
        foreach (var (item, path) in root.Sequence("targets"))
        {
            var f = new YamlFields(root.File, path, item);
            var nameNode = f.Require("name");
            var name = f.Scalar(nameNode, f.FieldPath("name"));
            if (TargetRules.NameProblem(name) is { } badName)
            {
                throw f.Error(nameNode, f.FieldPath("name"), badName);
            }

            if (targets.Any(t => t.Name == name))
            {
                throw f.Error(nameNode, f.FieldPath("name"), $"target '{name}' is listed twice");
            }

            var addressNode = f.Require("address");
            var addressText = f.Scalar(addressNode, f.FieldPath("address"));
            if (TargetRules.AddressProblem(addressText, out var parsed) is { } badAddress)
            {
                throw f.Error(addressNode, f.FieldPath("address"), badAddress);
            }

            var address = parsed!;

            var target = new TargetOptions
            {
                Name = name,
                Address = address,
                CaFile = ExistingFile(f, root, "caFile"),
                ClientCertFile = ExistingFile(f, root, "clientCert"),
                ClientKeyFile = ExistingFile(f, root, "clientKey"),
                Authority = f.String("authority"),
                ServerName = f.String("serverName"),
                Insecure = f.Bool("insecure", false),
                KeepAlive = ReadKeepAlive(f),
                MaxReceiveMessageBytes = f.Bytes("maxReceiveMessageSize", 32 * 1024 * 1024, 1024, int.MaxValue),
                MaxSendMessageBytes = f.Bytes("maxSendMessageSize", 32 * 1024 * 1024, 1024, int.MaxValue),
                Compression = f.Get("compression") is { } c ? ReadCompression(f, c) : null,
                Metadata = ReadMetadata(f, root),
                MetadataRefresh = f.Duration("metadataRefresh", TimeSpan.FromSeconds(60), TimeSpan.FromSeconds(1), TimeSpan.FromDays(1)),
            };
            if (target.ClientKeyFile is not null && target.ClientCertFile is null)
            {
                throw f.Error(f.Get("clientKey")!, f.FieldPath("clientKey"), "a client key needs its certificate: add clientCert");
            }

            var https = address.Scheme is "https" or "lab";
            foreach (var tlsOnly in new[] { "caFile", "clientCert", "serverName", "insecure" })
            {
                if (!https && f.Get(tlsOnly) is { } n)
                {
                    throw f.Error(n, f.FieldPath(tlsOnly), $"is a TLS setting but {addressText} is plaintext h2c (http://); use https:// or drop it");
                }
            }

            f.RejectUnknown();
            targets.Add(target);
        }

        if (targets.Count == 0)
        {
            throw root.Error(node, "targets", "needs at least one target (name and address)");
        }

        return targets;
    }

    private static List<string> ReadTargetNames(YamlFields root) =>
        root.Sequence("targets").Select(x => (x.Node as YamlDotNet.RepresentationModel.YamlMappingNode)?.Children
            .FirstOrDefault(kv => (kv.Key as YamlDotNet.RepresentationModel.YamlScalarNode)?.Value == "name").Value)
            .OfType<YamlDotNet.RepresentationModel.YamlScalarNode>().Select(n => n.Value ?? "").ToList();

    /// <summary>A file path relative to the scenario file's folder, which must exist.</summary>
    private static string? ExistingFile(YamlFields f, YamlFields root, string key)
    {
        var path = f.String(key);
        if (path is null)
        {
            return null;
        }

        path = Path.GetFullPath(path, Path.GetDirectoryName(Path.GetFullPath(root.File)) ?? ".");
        return Inputs.InputFiles.Problem(path) is { } problem ? throw f.Error(f.Get(key)!, f.FieldPath(key), problem) : path;
    }

    private static KeepAlivePings? ReadKeepAlive(YamlFields target)
    {
        if (target.Get("keepalive") is not { } node)
        {
            return null;
        }

        var k = new YamlFields(target.File, target.FieldPath("keepalive"), node);
        var pings = new KeepAlivePings(
            k.Duration(k.Require("delay"), k.FieldPath("delay"), TimeSpan.FromSeconds(1), TimeSpan.FromHours(2)),
            k.Duration("timeout", TimeSpan.FromSeconds(20), TimeSpan.FromSeconds(1), TimeSpan.FromHours(1)),
            k.Enum("policy", KeepAlivePolicy.Always));
        k.RejectUnknown();
        return pings;
    }

    private static string ReadCompression(YamlFields f, YamlNode node)
    {
        var text = f.Scalar(node, f.FieldPath("compression"));
        return text == "gzip" ? text : throw f.Error(node, f.FieldPath("compression"), $"'{text}' is not a compression this client has: gzip");
    }

    /// <summary>
    /// metadata: a mapping of header name to value template. Credentials (authorization, *key*,
    /// *token*, …) must come from ${env:NAME} or ${file:PATH}: a literal one would end up in files
    /// and reviews. File paths are relative to the scenario; env vars and files must be there now.
    /// </summary>
    private static List<MetadataEntry> ReadMetadata(YamlFields target, YamlFields root)
    {
        if (target.Get("metadata") is not { } node)
        {
            return [];
        }

        var field = target.FieldPath("metadata");
        if (node is not YamlDotNet.RepresentationModel.YamlMappingNode map)
        {
            throw target.Error(node, field, "expected a mapping of header name to value, e.g. authorization: \"Bearer ${env:TOKEN}\"");
        }

        var baseDir = Path.GetDirectoryName(Path.GetFullPath(root.File)) ?? ".";
        var entries = new List<MetadataEntry>();
        foreach (var (keyNode, valueNode) in map.Children)
        {
            var name = target.Scalar(keyNode, field);
            var path = $"{field}.{name}";
            if (MetadataTemplate.NameProblem(name) is { } problem)
            {
                throw target.Error(keyNode, path, problem);
            }

            try
            {
                entries.Add(MetadataTemplate.Entry(name, target.Scalar(valueNode, path), baseDir));
            }
            catch (ArgumentException e)
            {
                throw target.Error(valueNode, path, e.Message);
            }
        }

        return entries;
    }
}
