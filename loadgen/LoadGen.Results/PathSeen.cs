using System.Globalization;

namespace LoadGen.Results;

/// <summary>
/// The path's fingerprint as one target's connections and streams announced it on the wire: each field
/// (<see cref="PathFields"/>) with the values seen and how often. Connection fields (TLS, HTTP/2 SETTINGS, GOAWAY)
/// count connections; header and trailer fields count streams. A path that alternates between two backends shows
/// two values for a field. Header values are kept only for <see cref="PathFields.HeaderValues"/>; of every other
/// header only the name, so no credential or token a server echoes lands here.
/// </summary>
public sealed record PathSeen
{
    /// <summary>Most values kept per field; the rest are counted under <see cref="Other"/>.</summary>
    public const int MaxValues = 16;

    /// <summary>The value that stands for values beyond <see cref="MaxValues"/>.</summary>
    public const string Other = "(other values)";

    /// <summary>Connections whose server SETTINGS frame LoadGen read.</summary>
    public long Connections { get; init; }

    /// <summary>Streams whose response headers LoadGen read.</summary>
    public long Streams { get; init; }

    /// <summary>Field → value → count (connections or streams).</summary>
    public IReadOnlyDictionary<string, IReadOnlyDictionary<string, long>> Fields { get; init; } =
        new SortedDictionary<string, IReadOnlyDictionary<string, long>>(StringComparer.Ordinal);

    /// <summary>True when nothing was read (no connection got as far as the server's SETTINGS).</summary>
    public bool IsEmpty => Connections == 0 && Streams == 0 && Fields.Count == 0;

    /// <summary>Several runs' or shards' fingerprints as one: counts added.</summary>
    public static PathSeen? Sum(IEnumerable<PathSeen?> parts)
    {
        ArgumentNullException.ThrowIfNull(parts);
        var list = parts.OfType<PathSeen>().ToList();
        if (list.Count == 0)
        {
            return null;
        }

        var fields = new SortedDictionary<string, IReadOnlyDictionary<string, long>>(StringComparer.Ordinal);
        foreach (var name in list.SelectMany(p => p.Fields.Keys).Distinct(StringComparer.Ordinal))
        {
            var values = new SortedDictionary<string, long>(StringComparer.Ordinal);
            foreach (var (value, count) in list.SelectMany(p => p.Fields.GetValueOrDefault(name) ?? new Dictionary<string, long>()))
            {
                values[value] = values.GetValueOrDefault(value) + count;
            }

            fields[name] = values;
        }

        return new PathSeen { Connections = list.Sum(p => p.Connections), Streams = list.Sum(p => p.Streams), Fields = fields };
    }

    /// <summary>The values of a field, most seen first; empty when the field was never seen.</summary>
    public IReadOnlyList<string> Values(string field) =>
        Fields.TryGetValue(field, out var v) ? [.. v.OrderByDescending(p => p.Value).ThenBy(p => p.Key, StringComparer.Ordinal).Select(p => p.Key)] : [];

    /// <summary>A field as a person reads it: "value" when one was seen, "a (12), b (3)" when several.</summary>
    public string Show(string field)
    {
        if (!Fields.TryGetValue(field, out var values) || values.Count == 0)
        {
            return "—";
        }

        return values.Count == 1
            ? values.Keys.First()
            : string.Join(", ", values.OrderByDescending(p => p.Value).ThenBy(p => p.Key, StringComparer.Ordinal)
                .Select(p => string.Create(CultureInfo.InvariantCulture, $"{p.Key} ({p.Value:#,0})")));
    }

    /// <summary>
    /// The fields whose values differ between this path and <paramref name="other"/>: a field seen on one side only,
    /// or whose sets of values differ (counts aside — one more connection is no new path). Fields that are not the
    /// path's own (<see cref="PathFields.IsIdentity"/>: GOAWAY, trailers, the certificate's hash) are left out.
    /// </summary>
    public IReadOnlyList<PathDifference> Differences(PathSeen other)
    {
        ArgumentNullException.ThrowIfNull(other);
        var list = new List<PathDifference>();
        foreach (var field in Fields.Keys.Union(other.Fields.Keys, StringComparer.Ordinal).Order(StringComparer.Ordinal))
        {
            if (!PathFields.IsIdentity(field))
            {
                continue;
            }

            var mine = Values(field).ToHashSet(StringComparer.Ordinal);
            var theirs = other.Values(field).ToHashSet(StringComparer.Ordinal);
            if (!mine.SetEquals(theirs))
            {
                list.Add(new PathDifference(field, Show(field), other.Show(field)));
            }
        }

        return list;
    }
}

/// <summary>A field of two paths' fingerprints that differs: as each side showed it ("—" when not seen).</summary>
public sealed record PathDifference(string Field, string Before, string After)
{
    public override string ToString() => $"{Field}: {Before} → {After}";
}

/// <summary>The fields of a <see cref="PathSeen"/>, named after where they come from on the wire (docs/fingerprint.md).</summary>
public static class PathFields
{
    public const string TlsVersion = "tls.version";
    public const string TlsCipher = "tls.cipher";
    public const string TlsAlpn = "tls.alpn";

    /// <summary>The server certificate's names: "leaf-name; issuer ca-name".</summary>
    public const string TlsCertificate = "tls.certificate";

    /// <summary>The server certificate's SHA-256 (first 16 hex digits): shown, but not a difference of the path (certificates rotate).</summary>
    public const string TlsCertificateHash = "tls.certificate.sha256";

    /// <summary>Prefix of the server's first SETTINGS frame's values, e.g. "h2.max_concurrent_streams"; "not sent" when the server left it out.</summary>
    public const string SettingsPrefix = "h2.";

    public const string MaxConcurrentStreams = SettingsPrefix + "max_concurrent_streams";
    public const string InitialWindowSize = SettingsPrefix + "initial_window_size";
    public const string MaxFrameSize = SettingsPrefix + "max_frame_size";
    public const string HeaderTableSize = SettingsPrefix + "header_table_size";
    public const string MaxHeaderListSize = SettingsPrefix + "max_header_list_size";
    public const string EnablePush = SettingsPrefix + "enable_push";

    /// <summary>The connection window the server opened right after its SETTINGS (its first WINDOW_UPDATE on stream 0, before any stream's frame).</summary>
    public const string ConnectionWindowIncrement = SettingsPrefix + "connection_window_increment";

    /// <summary>The names of the response headers (sorted, comma-separated; pseudo-headers, grpc-status and grpc-message left out).</summary>
    public const string HeaderNames = "headers";

    /// <summary>The names of the trailers a stream ended with.</summary>
    public const string TrailerNames = "trailers";

    /// <summary>A GOAWAY the server sent: "CODE 'debug data'".</summary>
    public const string GoAway = "goaway";

    /// <summary>Response headers whose values are kept (they name software and hops, never a credential): the field is "header.NAME".</summary>
    public static readonly IReadOnlyList<string> HeaderValues = ["server", "via", "x-envoy-decorator-operation"];

    /// <summary>The value recorded for a SETTINGS parameter the server did not send (the protocol's default applies).</summary>
    public const string NotSent = "not sent";

    /// <summary>The SETTINGS parameters of RFC 9113 §6.5.2 (and RFC 8441's, RFC 9218's) by identifier, as fields.</summary>
    public static string Setting(int id) => id switch
    {
        0x1 => HeaderTableSize,
        0x2 => EnablePush,
        0x3 => MaxConcurrentStreams,
        0x4 => InitialWindowSize,
        0x5 => MaxFrameSize,
        0x6 => MaxHeaderListSize,
        0x8 => SettingsPrefix + "enable_connect_protocol",
        0x9 => SettingsPrefix + "no_rfc7540_priorities",
        _ => string.Create(CultureInfo.InvariantCulture, $"{SettingsPrefix}setting_0x{id:x}"),
    };

    /// <summary>
    /// Fields that belong to the path itself: not how this run's streams happened to end (GOAWAY, trailers), nor the
    /// certificate's hash (a renewed certificate is the same path; its names and issuer are compared).
    /// </summary>
    public static bool IsIdentity(string field) => field is not (GoAway or TrailerNames or TlsCertificateHash);
}
