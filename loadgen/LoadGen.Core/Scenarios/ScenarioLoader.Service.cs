using LoadGen.Core.Inputs;
using LoadGen.Core.Workloads;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace LoadGen.Core.Scenarios;

public static partial class ScenarioLoader
{
    private static readonly Dictionary<string, ReplyMatchKind> MatchNames = new(StringComparer.Ordinal)
    {
        ["ping-pong"] = ReplyMatchKind.PingPong,
        ["by-field"] = ReplyMatchKind.ByKey,
        ["count-only"] = ReplyMatchKind.CountOnly,
    };

    private static ServiceSpec? ReadService(YamlFields root)
    {
        if (root.Get("service") is not { } node)
        {
            return null;
        }

        var f = new YamlFields(root.File, "service", node);
        var spots = new Dictionary<string, SourceSpot>(StringComparer.Ordinal);
        YamlNode Spot(string key, YamlNode n)
        {
            var bodyLine = n is YamlScalarNode { Style: ScalarStyle.Literal or ScalarStyle.Folded } ? n.Start.Line + 1 : n.Start.Line;
            spots[f.FieldPath(key)] = new SourceSpot(root.File, n.Start.Line, n.Start.Column, bodyLine);
            return n;
        }

        IReadOnlyList<string> List(string key)
        {
            if (f.Get(key) is not { } n)
            {
                return [];
            }

            Spot(key, n);
            return n is YamlSequenceNode seq
                ? [.. seq.Children.Select((c, i) => f.Scalar(c, $"{f.FieldPath(key)}[{i}]"))]
                : [f.Scalar(n, f.FieldPath(key))];
        }

        var protos = List("proto");
        var imports = List("importPaths");
        var method = f.Scalar(Spot("method", f.Require("method")), f.FieldPath("method"));
        var reflect = f.Bool("reflect", false);
        if (f.Get("reflect") is { } r)
        {
            Spot("reflect", r);
        }

        var message = f.Scalar(Spot("message", f.Require("message")), f.FieldPath("message"));
        var match = ReplyMatchKind.PingPong;
        if (f.Get("match") is { } m)
        {
            var text = f.Scalar(Spot("match", m), f.FieldPath("match"));
            if (!MatchNames.TryGetValue(text, out match))
            {
                throw f.Error(m, f.FieldPath("match"), $"'{text}' is not one of: {string.Join(", ", MatchNames.Keys)}");
            }
        }

        string? Optional(string key) => f.Get(key) is { } n ? f.Scalar(Spot(key, n), f.FieldPath(key)) : null;
        var field = Optional("field");
        var replyField = Optional("replyField");
        f.RejectUnknown();
        if (protos.Count == 0 && !reflect)
        {
            throw f.Error(node, "service.proto", "needs the .proto file(s) defining the method (proto: path/to/service.proto), or 'reflect: true' to ask the server");
        }

        if (match != ReplyMatchKind.ByKey && (field ?? replyField) is not null)
        {
            var key = field is not null ? "field" : "replyField";
            throw f.Error(f.Get(key)!, f.FieldPath(key), "only 'match: by-field' reads a field");
        }

        if (match == ReplyMatchKind.ByKey && field is null)
        {
            throw f.Error(f.Get("match")!, "service.field", "by-field needs the request field that carries the id: add 'field: NAME' (and 'replyField: NAME' when the reply names it differently)");
        }

        return new ServiceSpec
        {
            Protos = protos,
            ImportPaths = imports,
            BaseDirectory = Path.GetDirectoryName(Path.GetFullPath(root.File)) ?? ".",
            Method = method,
            Reflect = reflect,
            Message = message,
            Match = match,
            RequestField = field,
            ReplyField = replyField,
            Spots = spots,
        };
    }

    /// <summary>
    /// With a service: the lab-only message settings are refused, and the workload is compiled now
    /// (unless it waits for the server's reflection), so a scenario that loads can run.
    /// </summary>
    private static Scenario WithService(Scenario scenario, YamlFields root)
    {
        if (scenario.Service is not { } spec)
        {
            return scenario;
        }

        if (root.Get("messages") is YamlMappingNode messages)
        {
            foreach (var labOnly in new[] { "directives", "first", "payloadBytes" })
            {
                if (messages.Children.Keys.FirstOrDefault(k => k is YamlScalarNode { Value: var v } && v == labOnly) is { } key)
                {
                    throw root.Error(key, $"messages.{labOnly}", $"is for the lab service only; with 'service:' the message is the template in service.message");
                }
            }
        }

        if (spec.Match == ReplyMatchKind.CountOnly && scenario.Messages.Schedule == ScheduleKind.Closed)
        {
            throw root.Error(root.Get("messages")!, "messages.schedule", "closed needs to know when a message is answered, which count-only matching cannot tell: match replies (ping-pong, by-field) or use schedule: fixed");
        }

        if (spec.Match == ReplyMatchKind.CountOnly && scenario.Messages.MaxInFlight > 0)
        {
            throw root.Error(root.Get("messages")!, "messages.maxInFlight", "count-only matching cannot tell when a message is answered: remove maxInFlight or match replies (ping-pong, by-field)");
        }

        return spec.Reflect ? scenario : scenario with { Workload = CompileService(spec) };
    }

    /// <summary>Compiles the spec's .proto files and builds its workload.</summary>
    /// <exception cref="ScenarioException">protoc's complaint at service.proto; the method, template or fields at their lines.</exception>
    public static StreamWorkload CompileService(ServiceSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ProtoSchema schema;
        try
        {
            schema = ProtoSchema.Compile(spec.Protos, spec.ImportPaths, spec.BaseDirectory);
        }
        catch (WorkloadException e)
        {
            throw spec.Error("service.proto", e.Message);
        }

        return ServiceWorkload.Build(spec, schema);
    }
}
