namespace LoadGen.Results.Analysis;

/// <summary>What a run's files say about a target that never worked: the diagnosis the CLI prints and the reports can show.</summary>
public static class TargetDiagnosis
{
    /// <summary>One line for a target that never opened a stream: where, how often, why (the first failure's own words), what to check.</summary>
    public static string NeverOpened(TopologySummary t, IReadOnlyList<OutcomeRecord> outcomes)
    {
        ArgumentNullException.ThrowIfNull(t);
        ArgumentNullException.ThrowIfNull(outcomes);
        var (cause, count) = t.Outcomes.OrderByDescending(kv => kv.Value).Select(kv => (kv.Key, kv.Value)).FirstOrDefault();
        var detail = outcomes.FirstOrDefault(o => o.Topology == t.Name && o.Cause == cause)?.Detail;
        var hint = cause switch
        {
            null => "no stream was even attempted",
            "connect-failed" => "nothing answered at that address: is the service up, the host and port right, a firewall in the way?",
            EndCauses.TlsRequired => "the port speaks TLS: write https:// (and --ca-file for a private CA)",
            "tls-failed" when detail is not null && (detail.Contains("frame size", StringComparison.OrdinalIgnoreCase) || detail.Contains("corrupted frame", StringComparison.OrdinalIgnoreCase)) =>
                "the target did not answer in TLS at all — a plaintext (h2c) port: write http://",
            "tls-failed" => "the TLS handshake failed: check the CA (--ca-file), the server name (--server-name) and the certificate's dates",
            "goaway:HTTP_1_1_REQUIRED" => "the target speaks HTTP/1.1 only; gRPC needs HTTP/2 (for ESP: its --http2_port or --ssl_port, not --http_port)",
            "http2-unavailable" when t.Address.StartsWith("http://", StringComparison.OrdinalIgnoreCase) =>
                "the port answered in HTTP/1.1, not HTTP/2: an HTTP/1.1-only port (ESP's --http_port, a health port) — or a TLS port reached with http:// (NGINX answers both with the same 400): write https:// for a TLS port, or use the h2c port (ESP's --http2_port)",
            "http2-unavailable" => "the target speaks HTTP/1.1 only; gRPC needs HTTP/2 (for ESP: its --http2_port or --ssl_port, not --http_port)",
            "protocol-error:PROTOCOL_ERROR" or "goaway:PROTOCOL_ERROR" => "the server's HTTP/2 was invalid on the connection: over TLS, an HTTP/1.1-only port (ESP's --http_port, a health port) answering the preface with an HTTP/1.1 error looks like this",
            "http-status:401" or "http-status:403" or "server-status:Unauthenticated" or "server-status:PermissionDenied" => "the target wants credentials: send them as metadata (authorization, x-api-key) from env or a file",
            "open-stalled" when t.Connections.Opened > 0 => Stalled(t),
            "open-stalled" => "no stream got response headers within the open timeout, and no TCP connection was counted: the address accepts nothing in time",
            EndCauses.MessageTooLarge => "LoadGen itself refused to send: the message is larger than the target's maxSendMessageSize (raise it, or send smaller messages)",
            _ => "see outcomes.ndjson for each attempt",
        };
        return $"target '{t.Name}' ({t.Address}): no stream ever opened — {t.Streams.Attempted:#,0} attempts, {count:#,0} ended {cause ?? "-"}{(detail is null ? "" : $" ({Trim(detail)})")}. {char.ToUpperInvariant(hint[0])}{hint[1..]}";
    }

    /// <summary>
    /// Connections were made and no stream got its headers: how far the handshakes got, from the path's fingerprint (TLS
    /// handshakes LoadGen completed, SETTINGS frames it read) — TCP only, TLS but no HTTP/2, or HTTP/2 that holds every stream.
    /// </summary>
    private static string Stalled(TopologySummary t)
    {
        var made = $"{t.Connections.Opened:#,0} TCP connection(s) were made, but no stream got response headers within the open timeout";
        if (t.Path is not { } path)
        {
            return $"{made}: either the port accepts connections and never answers (no TLS or HTTP/2 handshake completes: not a gRPC port, or a TLS port reached with http://), or the server holds every stream it is sent";
        }

        var tls = path.Fields.TryGetValue(PathFields.TlsVersion, out var versions) ? versions.Values.Sum() : 0;
        var https = t.Address.StartsWith("https:", StringComparison.OrdinalIgnoreCase);
        if (https && tls == 0)
        {
            return $"{made}: no TLS handshake completed on any of them — the port accepts TCP and never answers TLS (not a TLS port, or a server that holds new connections)";
        }

        if (path.Connections == 0)
        {
            return https
                ? $"{made}: TLS completed ({tls:#,0} handshake(s)), but the server never sent its HTTP/2 SETTINGS — not an HTTP/2 server behind that TLS port"
                : $"{made}: the server never answered the HTTP/2 preface with its SETTINGS — the port accepts TCP and never speaks (not a gRPC port, or a TLS port reached with http://)";
        }

        return $"{made}: the HTTP/2 handshake completed ({path.Connections:#,0} connection(s) sent their SETTINGS) — the server (or a proxy on the path) holds every stream it is sent without answering its headers";
    }

    private static string Trim(string detail)
    {
        // Grpc.Net.Client's "Error starting gRPC call. " prefix says nothing; the first exception's message does.
        var d = detail.Replace("Error starting gRPC call. ", "", StringComparison.Ordinal);
        var cut = d.IndexOf(") ", StringComparison.Ordinal);
        d = cut > 0 ? d[..(cut + 1)] : d;
        return d.Length > 200 ? d[..200] + "…" : d;
    }

    /// <summary>
    /// One line for a target whose streams opened and carried messages, none of which was ever answered:
    /// the run measured nothing, which must never read as a pass.
    /// </summary>
    /// <summary>
    /// True when nothing came back because LoadGen's own client refused it (every stream ended client-error:*,
    /// e.g. replies over maxReceiveMessageSize): the scenario's setting, not the target, measured nothing.
    /// </summary>
    public static bool ClientRefusedEverything(TopologySummary t)
    {
        ArgumentNullException.ThrowIfNull(t);
        var unplanned = t.Outcomes.Where(kv => !EndCauses.IsPlanned(kv.Key)).ToList();
        return unplanned.Count > 0 && unplanned.All(kv => kv.Key.StartsWith(EndCauses.ClientErrorPrefix, StringComparison.Ordinal));
    }

    public static string NeverAnswered(TopologySummary t)
    {
        ArgumentNullException.ThrowIfNull(t);
        if (ClientRefusedEverything(t))
        {
            var causes = string.Join(", ", t.Outcomes.Where(kv => !EndCauses.IsPlanned(kv.Key)).Select(kv => $"{kv.Key} {kv.Value:#,0}"));
            return $"target '{t.Name}' ({t.Address}): {t.Messages.Sent:#,0} messages sent and no reply read — LoadGen's own client refused them ({causes}): " +
                (t.Outcomes.ContainsKey(EndCauses.ReplyTooLarge) ? "the replies are larger than the target's maxReceiveMessageSize; raise it in the scenario" : "see docs/outcomes.md for the cause");
        }

        var unplannedEnds = t.Outcomes.Where(kv => !EndCauses.IsPlanned(kv.Key)).ToList();
        if (t.Messages.Sent <= t.Streams.Opened && unplannedEnds.Count > 0 && unplannedEnds.All(kv => kv.Key.StartsWith("server-status:", StringComparison.Ordinal)))
        {
            // Each stream sent only the message that opened it and the server ended it with a status at once (trailers
            // only): the server refused the streams, it did not keep them open unanswered.
            var statuses = string.Join(", ", unplannedEnds.OrderByDescending(kv => kv.Value).Select(kv => $"{kv.Key} {kv.Value:#,0}"));
            return $"target '{t.Name}' ({t.Address}): the server refused every stream at open — it ended each with a status before any reply ({statuses}), " +
                "so no latency was measured; the status says why (Unavailable: not serving or overloaded, Unimplemented: no such method, Unauthenticated: credentials)";
        }

        var byCause = t.UnansweredByCause.Count == 0 ? "" : $"; unanswered by how their streams ended: {string.Join(", ", t.UnansweredByCause.Select(kv => $"{kv.Key} {kv.Value:#,0}"))}";
        return $"target '{t.Name}' ({t.Address}): {t.Messages.Sent:#,0} messages sent on {t.Streams.Opened:#,0} streams and not one answered — " +
            $"the server (or a proxy on the path) accepts streams but never replies, so no latency was measured{byCause}";
    }
}
