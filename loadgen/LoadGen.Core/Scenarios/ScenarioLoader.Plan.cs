using System.Text.RegularExpressions;
using LoadGen.Core.Inputs;
using LoadGen.Core.Scenarios.Lab;
using LoadGen.Results;
using LoadGen.Results.Analysis;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace LoadGen.Core.Scenarios;

/// <summary>The load plan: profile:, messages:, probe:, reconnect:, connections: and thresholds:.</summary>
public static partial class ScenarioLoader
{
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
                DelayRisePerMinute = df.Duration("delayRisePerMinute", TimeSpan.Zero, TimeSpan.Zero, TimeSpan.FromMinutes(1)),
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
        if (plan.Schedule == ScheduleKind.Closed && f.Get("interval") is { } iv)
        {
            throw f.Error(iv, "messages.interval", "has no meaning with schedule: closed (the next message goes when a reply frees a slot): remove it, or use schedule: fixed");
        }

        f.RejectUnknown();
        return plan;
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
        var directions = new List<ProbeDirection>();
        foreach (var (item, path) in f.Sequence("directions"))
        {
            var text = f.Scalar(item, path);
            directions.Add(QuietSides.TryParse(text, withAge: false, out var side) ? (ProbeDirection)side : throw f.Error(item, path, $"'{text}' is not {QuietSides.Expected(withAge: false)}"));
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
            if (f?.Get("unanswered") is { } off)
            {
                // "- unanswered: off", as YAML reads "- unanswered off" written with a colon.
                if (root.Scalar(off, f.FieldPath("unanswered")) is not ("off" or "false"))
                {
                    throw f.Error(off, f.FieldPath("unanswered"), "only 'off' turns the default unanswered threshold off; a limit is written 'unanswered < 0.1%'");
                }

                f.RejectUnknown();
                list.Add(Thresholds.Parse("unanswered off")!);
                continue;
            }

            var expression = f?.Require("check") ?? item;
            var field = f?.FieldPath("check") ?? path;
            var text = root.Scalar(expression, field);
            var t = Thresholds.Parse(text) ?? throw root.Error(expression, field,
                $"'{text}' is not a threshold this version understands; write one of: 'p99 < 50ms' (p50|p90|p95|p99|p99.9|max, optionally 'uncorrected'), " +
                "'delta p99 < +5ms vs direct-tls', 'rate(rst:*) < 1 per 1000 stream-hours', 'survival(1h) > 0.999', 'no new cause vs baseline', 'unanswered < 0.1%' (or 'unanswered off' for no default 1%), 'population > 95%', 'drift(p99) < 1ms/h'");
            if (Thresholds.Refused(t) is { } never)
            {
                throw root.Error(expression, field, never);
            }

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

    /// <summary>The <c>comparison:</c> section: <c>gate</c>, <c>expectPath</c>, <c>primary</c> figures and per-figure <c>margins</c>.</summary>
    private static ComparisonSettings ReadComparison(YamlFields root)
    {
        var node = root.Get("comparison");
        if (node is null)
        {
            return new ComparisonSettings();
        }

        var f = new YamlFields(root.File, "comparison", node);
        var settings = new ComparisonSettings();
        if (f.Get("gate") is { } gateNode)
        {
            var text = f.Scalar(gateNode, f.FieldPath("gate"));
            settings = settings with
            {
                Gate = ComparisonSettings.ParseGate(text) ?? throw f.Error(gateNode, f.FieldPath("gate"),
                    $"'{text}' is not a gate; write none (the comparison informs), not-worse (fail unless every primary figure is shown within its margin or better) or equivalent (fail unless every primary figure is shown within its margin)"),
            };
        }

        if (f.Get("expectPath") is { } expectNode)
        {
            var text = f.Scalar(expectNode, f.FieldPath("expectPath"));
            settings = settings with
            {
                ExpectPath = ComparisonSettings.ParseExpectPath(text) ?? throw f.Error(expectNode, f.FieldPath("expectPath"),
                    $"'{text}' is not an expectation; write any (the paths are shown, not judged), same (fail when any field of the two paths' fingerprints differs) or changed (fail when none does)"),
            };
        }

        if (f.Get("primary") is not null)
        {
            var primary = new List<string>();
            foreach (var (item, path) in f.Sequence("primary"))
            {
                var name = ComparisonSettings.Canonical(f.Scalar(item, path));
                if (!ComparisonSettings.IsFigure(name))
                {
                    throw f.Error(item, path, $"'{name}' is not a figure a comparison makes (known: {ComparisonSettings.Known})");
                }

                primary.Add(name);
            }

            if (primary.Count == 0)
            {
                throw f.Error(node, f.FieldPath("primary"), "at least one primary figure is needed: the headline rests on them");
            }

            settings = settings with { Primary = primary.Distinct(StringComparer.Ordinal).ToList() };
        }

        if (f.Get("margins") is { } marginsNode)
        {
            if (marginsNode is not YamlDotNet.RepresentationModel.YamlMappingNode map)
            {
                throw f.Error(marginsNode, f.FieldPath("margins"), "expected figure: margin pairs, e.g. p99: max(2ms, 10%)");
            }

            var margins = new Dictionary<string, Margin>(StringComparer.Ordinal);
            foreach (var (keyNode, valueNode) in map.Children)
            {
                var figure = ComparisonSettings.Canonical(f.Scalar(keyNode, f.FieldPath("margins")));
                var field = $"{f.FieldPath("margins")}.{figure}";
                var text = f.Scalar(valueNode, field);
                var margin = Margin.Parse(text, out var problem) ?? throw f.Error(valueNode, field, problem!);
                if (ComparisonSettings.MarginProblem(figure, margin) is { } wrong)
                {
                    throw f.Error(keyNode, field, wrong);
                }

                margins[figure] = margin;
            }

            settings = settings with { Margins = margins };
        }

        f.RejectUnknown();
        return settings;
    }

    private static TimeSpan? OptionalDuration(YamlFields f, string key, TimeSpan min, TimeSpan max) =>
        f.Get(key) is null ? null : f.Duration(key, TimeSpan.Zero, min, max);
}
