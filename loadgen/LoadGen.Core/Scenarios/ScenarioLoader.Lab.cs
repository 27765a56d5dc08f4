using System.Text.RegularExpressions;
using LoadGen.Core.Inputs;
using LoadGen.Core.Scenarios.Lab;
using LoadGen.Results;
using LoadGen.Results.Analysis;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace LoadGen.Core.Scenarios;

/// <summary>The lab-only sections: lab: (ESP and gateway stand-in settings), faults: on cue, and messages.first (per-stream directives for the lab backend).</summary>
public static partial class ScenarioLoader
{
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
        var backend = new BackendSettings();
        if (f.Get("backend") is { } b)
        {
            var bf = new YamlFields(root.File, "lab.backend", b);
            backend = new BackendSettings
            {
                MaxConnectionAge = OptionalDuration(bf, "maxConnectionAge", TimeSpan.FromMilliseconds(100), TimeSpan.FromDays(7)),
                MaxConnectionAgeGrace = OptionalDuration(bf, "maxConnectionAgeGrace", TimeSpan.Zero, TimeSpan.FromDays(1)),
            };
            bf.RejectUnknown();
            if (backend.MaxConnectionAgeGrace is not null && backend.MaxConnectionAge is null)
            {
                throw bf.Error(bf.Get("maxConnectionAgeGrace")!, bf.FieldPath("maxConnectionAgeGrace"), "only applies with maxConnectionAge (the grace follows the GOAWAY that the age sends)");
            }
        }

        f.RejectUnknown();
        return new LabSettings { Esp = esp, Gateway = gateway, Backend = backend };
    }

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

    private static StreamDirectives ReadFirst(YamlFields f)
    {
        CutoffDirective? cutoff = null;
        if (f.Get("cutoff") is { } cn)
        {
            var c = new YamlFields(f.File, f.FieldPath("cutoff"), cn);
            var when = c.Scalar(c.Require("when"), c.FieldPath("when"));
            if (!QuietSides.TryParse(when, withAge: true, out var side))
            {
                throw c.Error(c.Require("when"), c.FieldPath("when"), $"'{when}' is not {QuietSides.Expected(withAge: true)}");
            }

            cutoff = new CutoffDirective(
                (CutoffWhen)side,
                c.Duration(c.Require("after"), c.FieldPath("after"), TimeSpan.FromMilliseconds(1), TimeSpan.FromDays(1)),
                c.Bool("abort", false),
                StatusCode(c, "status"));
            c.RejectUnknown();
        }

        int? endAfter = f.Get("endAfterMessages") is null ? null : f.Int("endAfterMessages", 0, 0, 1_000_000_000);
        var directives = new StreamDirectives
        {
            StopReplying = f.Bool("stopReplying", false),
            StopReplyingAfter = f.Get("stopReplyingAfter") is null ? null : f.Int("stopReplyingAfter", 1, 1, 1_000_000_000),
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
}
