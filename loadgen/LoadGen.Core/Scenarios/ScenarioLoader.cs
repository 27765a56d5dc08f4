using System.Text.RegularExpressions;
using LoadGen.Core.Inputs;
using LoadGen.Core.Scenarios.Lab;
using LoadGen.Results;
using LoadGen.Results.Analysis;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace LoadGen.Core.Scenarios;

/// <summary>
/// Loads scenario YAML. Every problem becomes a <see cref="ScenarioException"/> naming the file,
/// line, column and field; nothing is silently defaulted when it was written wrongly.
/// </summary>
public static partial class ScenarioLoader
{
    private const int MaxStreams = 1_000_000;

    public static Scenario LoadFile(string path)
    {
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ScenarioException(path, 0, 0, "(file)", $"cannot read the scenario file: {e.Message}");
        }

        return Load(text, path);
    }

    public static Scenario Load(string yaml, string file)
    {
        var stream = new YamlStream();
        try
        {
            stream.Load(new StringReader(yaml));
        }
        catch (YamlException e)
        {
            var problem = e.InnerException?.Message ?? e.Message;
            throw new ScenarioException(file, e.Start.Line, e.Start.Column, "(syntax)", $"not valid YAML: {problem}");
        }
        catch (InvalidOperationException e)
        {
            // YamlDotNet's scanner fails this way on some malformed flow collections, without a position.
            throw new ScenarioException(file, 1, 1, "(syntax)", $"not valid YAML (the parser could not say where; look for an unclosed [ or {{ or a stray quote): {e.Message}");
        }

        if (stream.Documents.Count == 0)
        {
            throw new ScenarioException(file, 1, 1, "(document)", "the file is empty; a scenario needs at least 'targets' and 'profile'");
        }

        var root = new YamlFields(file, "", stream.Documents[0].RootNode);
        var scenario = new Scenario
        {
            Source = file,
            Name = root.String("name") ?? Path.GetFileNameWithoutExtension(file),
            Targets = ReadTargets(root),
            Profile = ReadProfile(root),
            Messages = ReadMessages(root),
            Connections = ReadConnections(root),
            Reconnect = ReadReconnect(root),
            Probe = ReadProbe(root),
            Interval = root.Duration("interval", TimeSpan.FromSeconds(5), TimeSpan.FromMilliseconds(100), TimeSpan.FromHours(1)),
            Rounds = root.Int("rounds", 1, 1, 1000),
            CloseTimeout = root.Duration("closeTimeout", TimeSpan.FromSeconds(10), TimeSpan.Zero, TimeSpan.FromMinutes(10)),
            WarmUp = root.Duration("warmup", TimeSpan.Zero, TimeSpan.Zero, TimeSpan.FromMinutes(10)),
            Thresholds = ReadThresholds(root),
            Lab = ReadLab(root),
            Faults = ReadFaults(root),
            Service = ReadService(root),
        };
        root.RejectUnknown();
        scenario = WithService(scenario, root);
        if (scenario.Faults.Count > 0 && scenario.Targets.FirstOrDefault(t => t.Address.Scheme != "lab") is { } outside)
        {
            var node = root.Get("faults")!;
            throw new ScenarioException(file, (int)node.Start.Line, (int)node.Start.Column, "faults",
                $"faults on cue act on the lab's own parts, but target '{outside.Name}' ({outside.Address}) is not a lab:// topology");
        }

        var last = scenario.Faults.Count == 0 ? TimeSpan.Zero : scenario.Faults.Max(f => f.At);
        var round = scenario.Profile.SplitHold(scenario.Rounds).Duration;
        if (scenario.Faults.Count > 0 && last >= round)
        {
            var node = root.Get("faults")!;
            throw new ScenarioException(file, (int)node.Start.Line, (int)node.Start.Column, "faults",
                $"a fault at {Durations.Format(last)} would never fire: each {(scenario.Rounds > 1 ? "round" : "target's run")} lasts {Durations.Format(round)}");
        }
        return scenario;
    }

    private static LabSettings ReadLab(YamlFields root)
    {
        var node = root.Get("lab");
        if (node is null)
        {
            return new LabSettings();
        }

        var f = new YamlFields(root.File, "lab", node);
        var esp = f.Get("esp") is { } e ? ReadEsp(new YamlFields(root.File, "lab.esp", e)) : new EspSettings();
        var gateway = f.Get("gateway") is { } g ? ReadGateway(new YamlFields(root.File, "lab.gateway", g)) : new GatewaySettings();
        f.RejectUnknown();
        return new LabSettings { Esp = esp, Gateway = gateway };
    }

    private static TimeSpan? OptionalDuration(YamlFields f, string key, TimeSpan min, TimeSpan max) =>
        f.Get(key) is null ? null : f.Duration(key, TimeSpan.Zero, min, max);

    private static EspSettings ReadEsp(YamlFields f, bool rejectUnknown = true)
    {
        var esp = new EspSettings
        {
            ClientBodyTimeout = OptionalDuration(f, "clientBodyTimeout", TimeSpan.FromMilliseconds(100), TimeSpan.FromDays(7)),
            KeepaliveTimeout = OptionalDuration(f, "keepaliveTimeout", TimeSpan.FromMilliseconds(100), TimeSpan.FromDays(7)),
            KeepaliveRequests = f.Get("keepaliveRequests") is null ? null : f.Int("keepaliveRequests", 0, 1, int.MaxValue),
            GrpcReadTimeout = OptionalDuration(f, "grpcReadTimeout", TimeSpan.FromMilliseconds(100), TimeSpan.FromDays(7)),
            GrpcSendTimeout = OptionalDuration(f, "grpcSendTimeout", TimeSpan.FromMilliseconds(100), TimeSpan.FromDays(7)),
            WorkerShutdownTimeout = OptionalDuration(f, "workerShutdownTimeout", TimeSpan.FromMilliseconds(100), TimeSpan.FromDays(7)),
            Http2MaxConcurrentStreams = f.Get("http2MaxConcurrentStreams") is null ? null : f.Int("http2MaxConcurrentStreams", 0, 1, 100_000),
        };
        if (rejectUnknown)
        {
            f.RejectUnknown();
        }

        return esp;
    }

    private static GatewaySettings ReadGateway(YamlFields f, bool rejectUnknown = true)
    {
        string? cutStyle = null;
        if (f.Get("cutStyle") is { } c)
        {
            cutStyle = f.Scalar(c, f.FieldPath("cutStyle"));
            if (cutStyle is not ("envoy" or "yarp"))
            {
                throw f.Error(c, f.FieldPath("cutStyle"), $"'{cutStyle}' is not one of: envoy (RST NO_ERROR), yarp (RST CANCEL)");
            }
        }

        var gateway = new GatewaySettings
        {
            StreamIdleTimeout = OptionalDuration(f, "streamIdleTimeout", TimeSpan.Zero, TimeSpan.FromDays(7)),
            MaxStreamDuration = OptionalDuration(f, "maxStreamDuration", TimeSpan.Zero, TimeSpan.FromDays(7)),
            CutStyle = cutStyle,
            AbortShare = f.Get("abortShare") is null ? null : f.Double("abortShare", 0, 0, 1),
            AbortStatus = f.Get("abortStatus") is null ? null : f.Int("abortStatus", 14, 1, 16),
            DelayShare = f.Get("delayShare") is null ? null : f.Double("delayShare", 0, 0, 1),
            Delay = OptionalDuration(f, "delay", TimeSpan.Zero, TimeSpan.FromHours(1)),
        };
        if (rejectUnknown)
        {
            f.RejectUnknown();
        }

        return gateway;
    }

    private static List<FaultStep> ReadFaults(YamlFields root)
    {
        var faults = new List<FaultStep>();
        foreach (var (item, path) in root.Sequence("faults"))
        {
            var f = new YamlFields(root.File, path, item);
            var at = f.Duration(f.Require("at"), f.FieldPath("at"), TimeSpan.Zero, TimeSpan.FromDays(30));
            var actionNode = f.Require("action");
            var action = f.Scalar(actionNode, f.FieldPath("action"));
            if (!FaultStep.Names.TryGetValue(action, out var kind))
            {
                throw f.Error(actionNode, f.FieldPath("action"), $"'{action}' is not one of: {string.Join(", ", FaultStep.Names.Keys)}");
            }

            var step = new FaultStep { At = at, Kind = kind };
            step = kind switch
            {
                FaultKind.StopEsp or FaultKind.KillBackend => step with { For = f.Duration(f.Require("for"), f.FieldPath("for"), TimeSpan.FromMilliseconds(100), TimeSpan.FromHours(1)) },
                FaultKind.DrainGateway => step with { CloseAfter = f.Duration("closeAfter", TimeSpan.FromSeconds(5), TimeSpan.Zero, TimeSpan.FromHours(1)) },
                FaultKind.SetEsp => step with { Esp = ReadEsp(f, rejectUnknown: false) },
                FaultKind.SetGateway => step with { Gateway = ReadGateway(f, rejectUnknown: false) },
                _ => step,
            };
            f.RejectUnknown();
            if (step.Esp is { IsEmpty: true } || step.Gateway is { IsEmpty: true })
            {
                throw f.Error(actionNode, f.FieldPath("action"), $"{action} changes nothing: give at least one setting (see docs/lab.md)");
            }

            faults.Add(step);
        }

        return faults;
    }

    /// <summary>A file path relative to the scenario file's folder, which must exist.</summary>
    private static string? ExistingFile(YamlFields f, YamlFields root, string key)
    {
        var path = f.String(key);
        if (path is null)
        {
            return null;
        }

        path = Path.GetFullPath(path, Path.GetDirectoryName(Path.GetFullPath(root.File)) ?? ".");
        return File.Exists(path) ? path : throw f.Error(f.Get(key)!, f.FieldPath(key), $"no such file: {path}");
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

    private static List<TargetOptions> ReadTargets(YamlFields root)
    {
        var targets = new List<TargetOptions>();
        var node = root.Require("targets");
        foreach (var (item, path) in root.Sequence("targets"))
        {
            var f = new YamlFields(root.File, path, item);
            var nameNode = f.Require("name");
            var name = f.Scalar(nameNode, f.FieldPath("name"));
            if (!TargetName().IsMatch(name))
            {
                throw f.Error(nameNode, f.FieldPath("name"), $"'{name}' is not a usable target name: use letters, digits, '-' and '_' (it becomes a histogram tag)");
            }

            if (targets.Any(t => t.Name == name))
            {
                throw f.Error(nameNode, f.FieldPath("name"), $"target '{name}' is listed twice");
            }

            var addressNode = f.Require("address");
            var addressText = f.Scalar(addressNode, f.FieldPath("address"));
            if (!Uri.TryCreate(addressText, UriKind.Absolute, out var address) || address.Scheme is not ("http" or "https" or "lab"))
            {
                throw f.Error(addressNode, f.FieldPath("address"), $"'{addressText}' is not an address: expected http://host:port (h2c), https://host:port (TLS) or lab://TOPOLOGY (the embedded lab)");
            }

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

    private static PopulationProfile ReadProfile(YamlFields root)
    {
        var f = new YamlFields(root.File, "profile", root.Require("profile"));
        var phases = new List<ProfilePhase>();
        var level = 0;
        var defaults = new PopulationProfile();
        foreach (var (item, path) in f.Sequence("phases"))
        {
            var p = new YamlFields(root.File, path, item);
            var ramp = p.Get("ramp");
            var hold = p.Get("hold");
            if (ramp is not null && hold is not null)
            {
                throw p.Error(item, path, "a phase is either 'ramp: N' with 'over: DURATION', or 'hold: DURATION', not both");
            }

            if (ramp is not null)
            {
                var to = p.Int("ramp", 0, 0, MaxStreams);
                var over = p.Duration(p.Require("over"), p.FieldPath("over"), TimeSpan.Zero, TimeSpan.FromDays(7));
                phases.Add(new ProfilePhase(PhaseKind.Ramp, to, over));
                level = to;
            }
            else if (hold is not null)
            {
                var during = p.Duration(hold, p.FieldPath("hold"), TimeSpan.Zero, TimeSpan.FromDays(7));
                phases.Add(new ProfilePhase(PhaseKind.Hold, level, during));
            }
            else
            {
                throw p.Error(item, path, "a phase needs 'ramp: N' (with 'over: DURATION') or 'hold: DURATION'");
            }

            p.RejectUnknown();
        }

        if (phases.Count == 0)
        {
            throw f.Error(f.Node, "profile.phases", "needs at least one phase, e.g. '- ramp: 100' with 'over: 10s', then '- hold: 1m'");
        }

        if (phases.All(p => p.Streams == 0))
        {
            throw f.Error(f.Node, "profile.phases", "no phase ever opens a stream: ramp to a number above 0");
        }

        var profile = new PopulationProfile
        {
            Phases = phases,
            MaxOpensPerSecond = f.Double("maxOpensPerSecond", defaults.MaxOpensPerSecond, 0.1, 100_000),
        };
        f.RejectUnknown();
        return profile;
    }

    private static MessagePlan ReadMessages(YamlFields root)
    {
        var node = root.Get("messages");
        if (node is null)
        {
            return new MessagePlan();
        }

        var f = new YamlFields(root.File, "messages", node);
        var d = new MessagePlan();
        LabDirectives? directives = null;
        if (f.Get("directives") is { } dn)
        {
            var df = new YamlFields(root.File, "messages.directives", dn);
            directives = new LabDirectives
            {
                Delay = df.Duration("delay", TimeSpan.Zero, TimeSpan.Zero, TimeSpan.FromMinutes(10)),
                ReplyCount = df.Int("replyCount", 1, 1, 10_000),
                ReplySize = df.Int("replySize", 0, 0, 16 * 1024 * 1024),
            };
            df.RejectUnknown();
        }

        StreamDirectives? first = null;
        if (f.Get("first") is { } fn)
        {
            first = ReadFirst(new YamlFields(root.File, "messages.first", fn));
        }

        TimeSpan? quietAfter = f.Get("clientQuietAfter") is null
            ? null
            : f.Duration("clientQuietAfter", TimeSpan.Zero, TimeSpan.Zero, TimeSpan.FromDays(7));

        var plan = new MessagePlan
        {
            First = first,
            ClientQuietAfter = quietAfter,
            Schedule = f.Enum("schedule", d.Schedule),
            Interval = f.Duration("interval", d.Interval, TimeSpan.FromMilliseconds(1), TimeSpan.FromDays(1)),
            PayloadBytes = f.Int("payloadBytes", d.PayloadBytes, 0, 16 * 1024 * 1024),
            MaxInFlight = f.Int("maxInFlight", d.MaxInFlight, 0, 1_000_000),
            Directives = directives,
        };
        f.RejectUnknown();
        return plan;
    }

    private static StreamDirectives ReadFirst(YamlFields f)
    {
        CutoffDirective? cutoff = null;
        if (f.Get("cutoff") is { } cn)
        {
            var c = new YamlFields(f.File, f.FieldPath("cutoff"), cn);
            var when = c.Scalar(c.Require("when"), c.FieldPath("when"));
            var kinds = new Dictionary<string, CutoffWhen>(StringComparer.Ordinal)
            {
                ["client-quiet"] = CutoffWhen.ClientQuiet,
                ["server-quiet"] = CutoffWhen.ServerQuiet,
                ["both-quiet"] = CutoffWhen.BothQuiet,
                ["age"] = CutoffWhen.Age,
            };
            if (!kinds.TryGetValue(when, out var w))
            {
                throw c.Error(c.Require("when"), c.FieldPath("when"), $"'{when}' is not one of: {string.Join(", ", kinds.Keys)}");
            }

            cutoff = new CutoffDirective(
                w,
                c.Duration(c.Require("after"), c.FieldPath("after"), TimeSpan.FromMilliseconds(1), TimeSpan.FromDays(1)),
                c.Bool("abort", false),
                StatusCode(c, "status"));
            c.RejectUnknown();
        }

        int? endAfter = f.Get("endAfterMessages") is null ? null : f.Int("endAfterMessages", 0, 0, 1_000_000_000);
        var directives = new StreamDirectives
        {
            StopReplying = f.Bool("stopReplying", false),
            PushEvery = f.Duration("pushEvery", TimeSpan.Zero, TimeSpan.Zero, TimeSpan.FromHours(1)),
            PushCount = f.Int("pushCount", 0, 0, int.MaxValue),
            EndAfterMessages = endAfter,
            EndStatus = StatusCode(f, "endStatus"),
            Abort = f.Bool("abort", false),
            CloseConnection = f.Enum("closeConnection", ConnectionEndKind.None),
            Cutoff = cutoff,
        };
        f.RejectUnknown();
        return directives;
    }

    /// <summary>A gRPC status by name (Unavailable) or number (14); OK when absent.</summary>
    private static int StatusCode(YamlFields f, string key)
    {
        var node = f.Get(key);
        if (node is null)
        {
            return 0;
        }

        var text = f.Scalar(node, f.FieldPath(key));
        if (int.TryParse(text, out var n) && n is >= 0 and <= 16)
        {
            return n;
        }

        if (Enum.TryParse<Grpc.Core.StatusCode>(text, ignoreCase: false, out var code) && Enum.IsDefined(code))
        {
            return (int)code;
        }

        throw f.Error(node, f.FieldPath(key), $"'{text}' is not a gRPC status: use a name such as Unavailable or a number 0-16");
    }

    private static ProbeOptions ReadProbe(YamlFields root)
    {
        var node = root.Get("probe");
        if (node is null)
        {
            return new ProbeOptions();
        }

        var f = new YamlFields(root.File, "probe", node);
        var d = new ProbeOptions();
        var names = new Dictionary<string, ProbeDirection>(StringComparer.Ordinal)
        {
            ["client-quiet"] = ProbeDirection.ClientQuiet,
            ["server-quiet"] = ProbeDirection.ServerQuiet,
            ["both-quiet"] = ProbeDirection.BothQuiet,
        };
        var directions = new List<ProbeDirection>();
        foreach (var (item, path) in f.Sequence("directions"))
        {
            var text = f.Scalar(item, path);
            directions.Add(names.TryGetValue(text, out var dir) ? dir : throw f.Error(item, path, $"'{text}' is not one of: {string.Join(", ", names.Keys)}"));
        }

        var probe = new ProbeOptions
        {
            Min = f.Duration("min", d.Min, TimeSpan.FromMilliseconds(100), TimeSpan.FromHours(24)),
            Max = f.Duration("max", d.Max, TimeSpan.FromMilliseconds(200), TimeSpan.FromHours(24)),
            Resolution = f.Duration("resolution", d.Resolution, TimeSpan.FromMilliseconds(10), TimeSpan.FromHours(1)),
            Budget = f.Duration("budget", d.Budget, TimeSpan.FromSeconds(1), TimeSpan.FromDays(2)),
            Parallel = f.Int("parallel", d.Parallel, 2, 100),
            Directions = directions.Count == 0 ? d.Directions : directions,
        };
        if (probe.Max <= probe.Min)
        {
            throw f.Error(f.Get("max") ?? f.Node, "probe.max", $"must be longer than probe.min ({Durations.Format(probe.Min)})");
        }

        f.RejectUnknown();
        return probe;
    }

    private static ReconnectPolicy ReadReconnect(YamlFields root)
    {
        var node = root.Get("reconnect");
        if (node is null)
        {
            return new ReconnectPolicy();
        }

        var f = new YamlFields(root.File, "reconnect", node);
        var d = new ReconnectPolicy();
        var policy = new ReconnectPolicy
        {
            Enabled = f.Bool("enabled", true),
            Initial = f.Duration("initial", d.Initial, TimeSpan.FromMilliseconds(1), TimeSpan.FromHours(1)),
            Multiplier = f.Double("multiplier", d.Multiplier, 1, 10),
            Jitter = f.Double("jitter", d.Jitter, 0, 1),
            Max = f.Duration("max", d.Max, TimeSpan.FromMilliseconds(1), TimeSpan.FromHours(24)),
        };
        f.RejectUnknown();
        return policy;
    }

    private static ConnectionOptions ReadConnections(YamlFields root)
    {
        var node = root.Get("connections");
        if (node is null)
        {
            return new ConnectionOptions();
        }

        var f = new YamlFields(root.File, "connections", node);
        var d = new ConnectionOptions();
        var options = new ConnectionOptions
        {
            Count = f.Int("count", d.Count, 0, 10_000),
            MaxStreamsPerConnection = f.Int("maxStreamsPerConnection", d.MaxStreamsPerConnection, 1, 100_000),
            OpenTimeout = f.Duration("openTimeout", d.OpenTimeout, TimeSpan.FromMilliseconds(100), TimeSpan.FromHours(1)),
        };
        f.RejectUnknown();
        return options;
    }

    private static List<Threshold> ReadThresholds(YamlFields root)
    {
        var list = new List<Threshold>();
        foreach (var (item, path) in root.Sequence("thresholds"))
        {
            // A threshold is its expression, or a mapping that adds when to judge it while the run goes.
            var f = item is YamlDotNet.RepresentationModel.YamlMappingNode ? new YamlFields(root.File, path, item) : null;
            var expression = f?.Require("check") ?? item;
            var field = f?.FieldPath("check") ?? path;
            var text = root.Scalar(expression, field);
            var t = Thresholds.Parse(text) ?? throw root.Error(expression, field,
                $"'{text}' is not a threshold this version understands; write one of: 'p99 < 50ms' (p50|p90|p99|p999|max, optionally 'uncorrected'), " +
                "'delta p99 < +5ms vs direct-tls', 'rate(rst:*) < 1 per 1000 stream-hours', 'survival(1h) > 0.999', 'no new cause vs baseline'");
            if (f is not null)
            {
                t = t with { AbortOnFail = f.Bool("abortOnFail", false) };
                if (f.Get("startCheckAfter") is { } after && !t.AbortOnFail)
                {
                    throw f.Error(after, f.FieldPath("startCheckAfter"), "only applies with 'abortOnFail: true' (a threshold without it is judged once, at the end)");
                }

                t = t with { StartCheckAfter = f.Duration("startCheckAfter", TimeSpan.Zero, TimeSpan.Zero, TimeSpan.FromDays(30)) };
                f.RejectUnknown();
            }

            list.Add(t);
            var names = ReadTargetNames(root);
            if (t.Versus is { } vs && vs != "baseline" && !names.Contains(vs))
            {
                throw root.Error(expression, field, $"'{vs}' is not a target of this scenario (targets: {string.Join(", ", names)}; or write 'baseline' for the first)");
            }
        }

        return list;
    }

    private static List<string> ReadTargetNames(YamlFields root) =>
        root.Sequence("targets").Select(x => (x.Node as YamlDotNet.RepresentationModel.YamlMappingNode)?.Children
            .FirstOrDefault(kv => (kv.Key as YamlDotNet.RepresentationModel.YamlScalarNode)?.Value == "name").Value)
            .OfType<YamlDotNet.RepresentationModel.YamlScalarNode>().Select(n => n.Value ?? "").ToList();

    [GeneratedRegex(@"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$", RegexOptions.CultureInvariant)]
    private static partial Regex TargetName();
}
