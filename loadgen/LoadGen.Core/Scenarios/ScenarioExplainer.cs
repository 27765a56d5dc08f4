using System.Globalization;
using System.Text;
using LoadGen.Core.Scenarios.Lab;
using LoadGen.Results;

namespace LoadGen.Core.Scenarios;

/// <summary>
/// The scenario as LoadGen will run it, every default filled in, written in the scenario file's own keys
/// (<c>loadgen validate --explain</c>): what you did not write is what you get. Metadata shows header names
/// and templates, never values.
/// </summary>
public static class ScenarioExplainer
{
    public static string Explain(Scenario s)
    {
        ArgumentNullException.ThrowIfNull(s);
        var y = new Yaml();
        y.Line(0, "name", s.Name);
        y.Key(0, "targets");
        foreach (var t in s.Targets)
        {
            y.Item(1, "name", t.Name);
            y.Line(2, "address", t.Address.ToString());
            y.Optional(2, "caFile", t.CaFile, "the system's trust store");
            y.Optional(2, "clientCert", t.ClientCertFile, "no client certificate");
            y.Optional(2, "clientKey", t.ClientKeyFile, "the key inside clientCert, if any");
            y.Optional(2, "authority", t.Authority, ":authority from the address");
            y.Optional(2, "serverName", t.ServerName, "SNI from :authority (SocketsHttpHandler takes it from there)");
            if (t.Address.Scheme != Uri.UriSchemeHttp)
            {
                y.Line(2, "insecure", t.Insecure, t.Insecure ? "ANY certificate accepted: said in every report" : null);
            }

            y.Line(2, "maxReceiveMessageSize", Bytes(t.MaxReceiveMessageBytes));
            y.Line(2, "maxSendMessageSize", Bytes(t.MaxSendMessageBytes));
            y.Optional(2, "compression", t.Compression, "messages sent uncompressed");
            if (t.KeepAlive is { } k)
            {
                y.Key(2, "keepalive");
                y.Line(3, "delay", D(k.Delay));
                y.Line(3, "timeout", D(k.Timeout));
                y.Line(3, "policy", k.Policy == KeepAlivePolicy.Always ? "always" : "withActiveRequests");
            }
            else
            {
                y.Unset(2, "keepalive", "no HTTP/2 pings (a silent black hole is noticed only by the open timeout)");
            }

            if (t.Metadata.Count > 0)
            {
                // Templates only (${env:…}, ${file:…}); a value written literally is not repeated here.
                y.Key(2, "metadata");
                foreach (var m in t.Metadata)
                {
                    if (MetadataTemplate.Shown(m) == m.Template)
                    {
                        y.Line(3, m.Name, m.Template);
                    }
                    else
                    {
                        y.Unset(3, m.Name, "masked: the value has literal text and the name is not on the short list of public headers");
                    }
                }

                y.Line(2, "metadataRefresh", D(t.MetadataRefresh));
            }
        }

        y.Key(0, "profile");
        y.Line(1, "maxOpensPerSecond", s.Profile.MaxOpensPerSecond, "first opens and re-opens share it");
        y.Key(1, "phases");
        foreach (var p in s.Profile.Phases)
        {
            if (p.Kind == PhaseKind.Ramp)
            {
                y.Item(2, "ramp", p.Streams);
                y.Line(3, "over", D(p.During));
            }
            else
            {
                y.Item(2, "hold", D(p.During), $"{p.Streams:#,0} streams");
            }
        }

        if (s.Service is null && s.Workload is null)
        {
            Messages(y, s.Messages);
        }
        else
        {
            y.Comment(0, "messages, service: as written in the file (your own service: its message template and method)");
        }

        y.Key(0, "connections");
        if (s.Connections.Count == 0)
        {
            y.Unset(1, "count", $"ceil(peak / maxStreamsPerConnection) = {Math.Max(1, (s.Profile.Peak + s.Connections.MaxStreamsPerConnection - 1) / s.Connections.MaxStreamsPerConnection)}");
        }
        else
        {
            y.Line(1, "count", s.Connections.Count);
        }

        y.Line(1, "maxStreamsPerConnection", s.Connections.MaxStreamsPerConnection, "Kestrel allows 100, NGINX 128");
        y.Line(1, "openTimeout", D(s.Connections.OpenTimeout), "no response headers by then (slot wait included): open-stalled");
        y.Key(0, "reconnect");
        y.Line(1, "enabled", s.Reconnect.Enabled);
        y.Line(1, "initial", D(s.Reconnect.Initial));
        y.Line(1, "multiplier", s.Reconnect.Multiplier);
        y.Line(1, "jitter", s.Reconnect.Jitter);
        y.Line(1, "max", D(s.Reconnect.Max));
        y.Line(0, "reportingInterval", D(s.ReportingInterval));
        y.Line(0, "rounds", s.Rounds);
        y.Line(0, "warmup", D(s.WarmUp));
        y.Line(0, "closeTimeout", D(s.CloseTimeout));
        // The default unanswered threshold too (an 'unanswered off' stays, and says so): what the run is judged by.
        var thresholds = LoadGen.Results.Analysis.Thresholds.WithDefaults(s.Thresholds);
        if (thresholds.Count > 0)
        {
            y.Key(0, "thresholds");
            foreach (var t in thresholds)
            {
                y.Item(1, "check", t.Expression);
                y.Line(2, "abortOnFail", t.AbortOnFail);
                if (t.AbortOnFail)
                {
                    y.Line(2, "startCheckAfter", D(t.StartCheckAfter));
                }
            }
        }
        else
        {
            y.Unset(0, "thresholds", "none: the run passes unless the target never answered");
        }

        y.Key(0, "comparison");
        y.Line(1, "gate", s.Comparison.Gate switch { ComparisonGate.NotWorse => "not-worse", ComparisonGate.Equivalent => "equivalent", _ => "none" });
        y.Line(1, "expectPath", s.Comparison.ExpectPath.ToString().ToLowerInvariant());
        y.Line(1, "primary", "[" + string.Join(", ", s.Comparison.Primary) + "]");
        y.Key(1, "margins");
        foreach (var (figure, _, _) in ComparisonSettings.Figures)
        {
            y.Line(2, figure, s.Comparison.MarginOf(figure).ToString());
        }

        y.Key(0, "probe");
        y.Line(1, "min", D(s.Probe.Min));
        y.Line(1, "max", D(s.Probe.Max));
        y.Line(1, "resolution", D(s.Probe.Resolution));
        y.Line(1, "budget", D(s.Probe.Budget));
        y.Line(1, "parallel", s.Probe.Parallel);
        y.Line(1, "directions", "[" + string.Join(", ", s.Probe.Directions.Select(x => QuietSides.Name((QuietSide)x))) + "]");
        if (s.Targets.Any(t => t.Address.Scheme == "lab"))
        {
            y.Key(0, "lab");
            Lab(y, s.Lab);
        }

        if (s.Faults.Count > 0)
        {
            y.Comment(0, "faults: as written in the file — " + string.Join("; ", s.Faults.Select(f => $"at {D(f.At)}: {f.Describe()}")));
        }

        return y.ToString();
    }

    private static void Messages(Yaml y, MessagePlan m)
    {
        y.Key(0, "messages");
        y.Line(1, "schedule", m.Schedule.ToString().ToLowerInvariant());
        if (m.Schedule != ScheduleKind.Closed)
        {
            y.Line(1, "interval", D(m.Interval), "per stream; each stream starts at a random phase within one interval");
        }

        y.Line(1, "payloadBytes", m.PayloadBytes);
        y.Line(1, "maxInFlight", m.InFlightCap, m.Schedule == ScheduleKind.Closed ? "closed loop: the next message goes when a reply frees one of these slots" : m.MaxInFlight == 0 ? "no cap: the open-loop schedule never waits for replies" : null);
        if (m.ClientQuietAfter is { } q)
        {
            y.Line(1, "clientQuietAfter", D(q));
        }
        else
        {
            y.Unset(1, "clientQuietAfter", "the client never goes quiet");
        }

        if (m.Directives is { } d)
        {
            y.Key(1, "directives");
            y.Line(2, "delay", D(d.Delay));
            y.Line(2, "delayRisePerMinute", D(d.DelayRisePerMinute), d.DelayRisePerMinute > TimeSpan.Zero ? "the delay grows this much each minute (a known drift)" : null);
            y.Line(2, "replyCount", d.ReplyCount);
            y.Line(2, "replySize", d.ReplySize, d.ReplySize == 0 ? "the request's size" : null);
        }
        else
        {
            y.Unset(1, "directives", "every message answered at once, once, with its own size");
        }

        if (m.First is not { } f)
        {
            y.Unset(1, "first", "the backend answers every stream normally");
            return;
        }

        y.Key(1, "first");
        y.Line(2, "stopReplying", f.StopReplying);
        if (f.StopReplyingAfter is { } n)
        {
            y.Line(2, "stopReplyingAfter", n);
        }
        else
        {
            y.Unset(2, "stopReplyingAfter", "replies never stop");
        }

        y.Line(2, "pushEvery", D(f.PushEvery), f.PushEvery == TimeSpan.Zero ? "no pushes" : null);
        y.Line(2, "pushCount", f.PushCount, f.PushCount == 0 ? "until the stream ends" : null);
        if (f.EndAfterMessages is { } e)
        {
            y.Line(2, "endAfterMessages", e);
            y.Line(2, "endStatus", f.EndStatus);
        }
        else
        {
            y.Unset(2, "endAfterMessages", "the backend never ends the stream itself");
        }

        y.Line(2, "abort", f.Abort);
        y.Line(2, "closeConnection", f.CloseConnection.ToString().ToLowerInvariant());
        if (f.Cutoff is { } c)
        {
            y.Key(2, "cutoff");
            y.Line(3, "when", QuietSides.Name((QuietSide)c.When));
            y.Line(3, "after", D(c.After));
            y.Line(3, "abort", c.Abort);
            y.Line(3, "status", c.Status);
        }
        else
        {
            y.Unset(2, "cutoff", "no backend cut-off");
        }
    }

    private static void Lab(Yaml y, LabSettings lab)
    {
        var e = lab.Esp;
        y.Key(1, "esp");
        y.Line(2, "clientBodyTimeout", D(e.ClientBodyTimeout ?? TimeSpan.FromSeconds(60)), "ESP v1's default");
        y.Line(2, "keepaliveTimeout", D(e.KeepaliveTimeout ?? TimeSpan.FromSeconds(75)));
        y.Line(2, "keepaliveRequests", e.KeepaliveRequests ?? 1000);
        y.Line(2, "grpcReadTimeout", D(e.GrpcReadTimeout ?? TimeSpan.FromDays(1)), e.GrpcReadTimeout is null || e.GrpcReadTimeout == TimeSpan.FromDays(1) ? "ESP v1 forwards through libgrpc: no upstream timeout" : null);
        y.Line(2, "grpcSendTimeout", D(e.GrpcSendTimeout ?? TimeSpan.FromDays(1)));
        if (e.WorkerShutdownTimeout is { } w)
        {
            y.Line(2, "workerShutdownTimeout", D(w));
        }
        else
        {
            y.Unset(2, "workerShutdownTimeout", "a reload's old workers keep their streams until they end");
        }

        y.Line(2, "http2MaxConcurrentStreams", e.Http2MaxConcurrentStreams ?? 128);
        var g = lab.Gateway;
        if (g.IsEmpty)
        {
            // Any gateway key selects the embedded gateway: the defaults stay comments.
            y.Unset(1, "gateway", "the real HAProxy when installed; any of streamIdleTimeout, maxStreamDuration, cutStyle, abortShare, abortStatus, delayShare, delay selects the embedded gateway");
        }
        else
        {
            y.Key(1, "gateway");
            y.Comment(2, "a gateway setting is given: the embedded gateway runs (HAProxy has no such knobs)");
            y.Line(2, "streamIdleTimeout", D(g.StreamIdleTimeout ?? TimeSpan.Zero), (g.StreamIdleTimeout ?? TimeSpan.Zero) == TimeSpan.Zero ? "off (Istio's default)" : null);
            y.Line(2, "maxStreamDuration", D(g.MaxStreamDuration ?? TimeSpan.Zero), (g.MaxStreamDuration ?? TimeSpan.Zero) == TimeSpan.Zero ? "off" : null);
            y.Line(2, "cutStyle", g.CutStyle ?? "envoy");
            y.Line(2, "abortShare", g.AbortShare ?? 0);
            y.Line(2, "abortStatus", g.AbortStatus ?? 14);
            y.Line(2, "delayShare", g.DelayShare ?? 0);
            y.Line(2, "delay", D(g.Delay ?? TimeSpan.Zero));
        }

        var k = lab.Backend;
        if (k.MaxConnectionAge is { } age)
        {
            y.Key(1, "backend");
            y.Line(2, "maxConnectionAge", D(age));
            y.Line(2, "maxConnectionAgeGrace", D(k.MaxConnectionAgeGrace ?? TimeSpan.Zero));
        }
        else
        {
            y.Unset(1, "backend", "the lab backend never ages its connections (maxConnectionAge, maxConnectionAgeGrace)");
        }
    }

    private static string D(TimeSpan t) => Durations.Format(t);

    private static string Bytes(int n) => n % (1024 * 1024) == 0 ? $"{n / (1024 * 1024)}MiB" : n % 1024 == 0 ? $"{n / 1024}KiB" : n.ToString(CultureInfo.InvariantCulture);

    /// <summary>Just enough YAML: keys, scalars quoted when they would not read back as themselves, list items, notes as comments.</summary>
    private sealed class Yaml
    {
        private readonly StringBuilder _sb = new();

        public void Key(int depth, string key) => _sb.Append(' ', depth * 2).Append(key).Append(":\n");

        public void Line(int depth, string key, object value, string? note = null) => End(_sb.Append(' ', depth * 2).Append(key).Append(": ").Append(Scalar(value)), note);

        /// <summary>A key left unset: shown as a comment with what that means.</summary>
        public void Unset(int depth, string key, string meaning) => _sb.Append(' ', depth * 2).Append("# ").Append(key).Append(": (unset) ").Append(meaning).Append('\n');

        public void Comment(int depth, string text) => _sb.Append(' ', depth * 2).Append("# ").Append(text).Append('\n');

        public void Optional(int depth, string key, string? value, string unsetMeaning)
        {
            if (value is not null)
            {
                Line(depth, key, value);
            }
            else
            {
                Unset(depth, key, unsetMeaning);
            }
        }

        /// <summary>A list item whose first key is <paramref name="key"/>; its other keys go at depth + 1.</summary>
        public void Item(int depth, string key, object value, string? note = null) => End(_sb.Append(' ', depth * 2).Append("- ").Append(key).Append(": ").Append(Scalar(value)), note);

        public override string ToString() => _sb.ToString();

        private static void End(StringBuilder sb, string? note)
        {
            if (note is not null)
            {
                sb.Append("  # ").Append(note);
            }

            sb.Append('\n');
        }

        private static string Scalar(object value) => value switch
        {
            bool b => b ? "true" : "false",
            double d => d.ToString("0.###", CultureInfo.InvariantCulture),
            int i => i.ToString(CultureInfo.InvariantCulture),
            string s when s.StartsWith('[') => s,
            string s when s.Length == 0 || s.IndexOfAny([':', '#', '\'', '"', '{', '}', '<', '>', '(', ',', '&', '*', '!', '|', '%', '@', '`', '$']) >= 0 || s.Trim() != s => $"\"{s.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal)}\"",
            _ => value.ToString() ?? "",
        };
    }
}
