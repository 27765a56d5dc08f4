using System.Text.RegularExpressions;
using LoadGen.Core.Inputs;

namespace LoadGen.Core.Scenarios;

/// <summary>
/// Metadata value templates: literal text with <c>${env:NAME}</c> (an environment variable) and
/// <c>${file:PATH}</c> (a file's contents, surrounding whitespace trimmed) placeholders.
/// </summary>
public static partial class MetadataTemplate
{
    /// <summary>Header names whose values are credentials: they must come from env or a file.</summary>
    public static bool IsSecretName(string name)
    {
        var n = name.ToLowerInvariant();
        return n is "authorization" or "proxy-authorization" or "cookie"
            || n.Contains("key", StringComparison.Ordinal) || n.Contains("token", StringComparison.Ordinal)
            || n.Contains("secret", StringComparison.Ordinal) || n.Contains("password", StringComparison.Ordinal)
            || n.Contains("auth", StringComparison.Ordinal) || n.Contains("credential", StringComparison.Ordinal);
    }

    /// <summary>
    /// The short list of header names known to carry no secret (request ids, tenants, client versions,
    /// trace context): only their literal values may appear in outputs. Any other literal value is
    /// registered as a secret and masked everywhere — a token under a name the check above misses
    /// (x-goog-iap-jwt-assertion) must not land in a report.
    /// </summary>
    public static bool IsKnownPublic(string name)
    {
        var n = name.ToLowerInvariant();
        return n is "x-request-id" or "x-correlation-id" or "x-tenant" or "x-tenant-id" or "x-client-name" or "x-client-version"
            or "x-region" or "x-zone" or "x-environment" or "x-canary" or "accept-language" or "traceparent" or "tracestate" or "baggage"
            || n.StartsWith("x-b3-", StringComparison.Ordinal);
    }

    /// <summary>
    /// What outputs may say about an entry's value: the template when its literal text can carry no secret — a
    /// public name, placeholders alone, or a credential's scheme word beside them ("Bearer ${env:TOKEN}") — else
    /// the mask, whole ("tok-1 ${env:X}" under x-session is masked: its literal part may be half the credential).
    /// </summary>
    public static string Shown(MetadataEntry entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        return IsKnownPublic(entry.Name) || (Placeholders(entry.Template).Any() && LiteralIsHarmless(entry.Template)) ? entry.Template : Inputs.Secrets.Mask;
    }

    /// <summary>The template's literal text: what is left when its placeholders are taken out.</summary>
    public static string Literal(string template) => Placeholder().Replace(template, "\n");

    /// <summary>
    /// True when the literal text beside a template's placeholders can carry no secret: at most one HTTP
    /// authentication scheme word at the start (Bearer, Basic, …) and separators (spaces, ':', '=', ',', ';', '.', '-', '/').
    /// </summary>
    public static bool LiteralIsHarmless(string template)
    {
        var segments = Literal(template).Split('\n');
        var first = segments[0].Trim();
        var scheme = first.Length == 0 || (AuthSchemes.Contains(first) && segments.Length > 1 && segments[0].EndsWith(' '));
        return scheme && segments.Skip(1).All(x => x.All(c => c is ' ' or ':' or '=' or ',' or ';' or '.' or '-' or '/'));
    }

    /// <summary>HTTP authentication schemes (IANA's registry and the common non-registered ones): words, never credentials.</summary>
    private static readonly HashSet<string> AuthSchemes = new(StringComparer.OrdinalIgnoreCase)
    {
        "Basic", "Bearer", "Digest", "DPoP", "GNAP", "HOBA", "Mutual", "Negotiate", "NTLM", "OAuth", "PrivateToken",
        "SCRAM-SHA-1", "SCRAM-SHA-256", "vapid", "Token", "ApiKey", "Api-Key", "Key", "JWT",
    };

    /// <summary>Why <paramref name="name"/> cannot be sent as metadata; null when it can.</summary>
    public static string? NameProblem(string name) =>
        !HeaderName().IsMatch(name) || name.StartsWith("grpc-", StringComparison.Ordinal) || name is "te" or "content-type" or "user-agent" or "host"
            ? $"'{name}' cannot be sent as metadata: use lowercase letters, digits and '-', not a reserved name (grpc-*, te, content-type, user-agent, host; :authority has its own setting)"
            : null;

    /// <summary>
    /// A checked entry: placeholders well formed, a credential (<see cref="IsSecretName"/>) taken from
    /// env or a file and never written literally, every env var set and every file there now. File
    /// paths become absolute (relative ones are taken from <paramref name="baseDir"/>).
    /// </summary>
    /// <exception cref="ArgumentException">What is wrong, in one line that names no value.</exception>
    public static MetadataEntry Entry(string name, string template, string baseDir)
    {
        ArgumentNullException.ThrowIfNull(template);
        if (Malformed(template) is { } bad)
        {
            throw new ArgumentException($"'{bad}' is not a placeholder: use ${{env:NAME}} or ${{file:PATH}}");
        }

        if (NotAscii(template) is { } position)
        {
            // gRPC metadata values are printable ASCII (0x20-0x7E); sent anyway, every call failed as server-status:Internal.
            throw new ArgumentException($"the value has a character that is not printable ASCII at position {position + 1}: gRPC metadata values are printable ASCII (0x20-0x7E)");
        }

        var placeholders = Placeholders(template).ToList();
        if (IsSecretName(name) && placeholders.Count == 0)
        {
            throw new ArgumentException($"'{name}' carries a credential: take it from the environment or a file (\"Bearer ${{env:TOKEN}}\", \"${{file:/run/secrets/key}}\"), never write it into a scenario or a command line");
        }

        if (IsSecretName(name) && !LiteralIsHarmless(template))
        {
            // "Basic s3cr3t${env:X}": the literal half of a credential would sit in the scenario and every report.
            throw new ArgumentException($"'{name}' mixes literal text with ${{env:}}/${{file:}}: beside a placeholder a credential may have only its scheme word (\"Bearer ${{env:TOKEN}}\"); take the whole credential from the environment or a file");
        }

        if (!IsKnownPublic(name))
        {
            // Literal text under a name not known to be public — the whole value, or each literal part beside a
            // placeholder that is not a scheme word or a separator: masked in every output from now on.
            foreach (var part in placeholders.Count == 0 ? [template] : Literal(template).Split('\n').Select(p => p.Trim()).Where(p => !AuthSchemes.Contains(p)))
            {
                Inputs.Secrets.Register(part.Trim(' ', ':', '=', ',', ';', '.', '-', '/'));
            }
        }

        var absolute = template;
        foreach (var (kind, source) in placeholders)
        {
            if (kind == "env" && string.IsNullOrEmpty(Environment.GetEnvironmentVariable(source)))
            {
                throw new ArgumentException($"environment variable {source} is not set");
            }

            if (kind == "file")
            {
                var full = Path.GetFullPath(source, baseDir);
                if (InputFiles.Problem(full) is { } problem)
                {
                    throw new ArgumentException(problem);
                }

                absolute = absolute.Replace($"${{file:{source}}}", $"${{file:{full}}}", StringComparison.Ordinal);
            }
        }

        return new MetadataEntry(name, absolute);
    }

    /// <summary>The index of the first character outside printable ASCII (0x20-0x7E); null when there is none.</summary>
    public static int? NotAscii(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        var i = value.AsSpan().IndexOfAnyExceptInRange(' ', '~');
        return i < 0 ? null : i;
    }

    /// <summary>The placeholders in a template, in order.</summary>
    public static IEnumerable<(string Kind, string Source)> Placeholders(string template) =>
        Placeholder().Matches(template).Select(m => (m.Groups[1].Value, m.Groups[2].Value));

    /// <summary>Text that looks like a placeholder but is not one (a typo such as <c>${ENV:X}</c> or <c>$env:X</c>).</summary>
    public static string? Malformed(string template)
    {
        var rest = Placeholder().Replace(template, "");
        var i = rest.IndexOf("${", StringComparison.Ordinal);
        return i < 0 ? null : rest[i..Math.Min(rest.Length, rest.IndexOf('}', i) is var j and >= 0 ? j + 1 : rest.Length)];
    }

    /// <summary>
    /// The template with every placeholder replaced. <paramref name="onSecret"/> gets each value that
    /// came from a placeholder, so it can be redacted wherever it might surface.
    /// </summary>
    /// <exception cref="InputException">An env var is unset or empty, or a file is missing, unreadable or empty.</exception>
    public static string Expand(string template, Action<string> onSecret) =>
        Placeholder().Replace(template, m =>
        {
            var (kind, source) = (m.Groups[1].Value, m.Groups[2].Value);
            string value;
            if (kind == "env")
            {
                value = Environment.GetEnvironmentVariable(source) is { Length: > 0 } v
                    ? v.Trim()
                    : throw new InputException($"environment variable {source} is not set");
            }
            else
            {
                try
                {
                    value = File.ReadAllText(source).Trim();
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    throw new InputException($"{source} cannot be read: {e.Message}", e);
                }

                if (value.Length == 0)
                {
                    throw new InputException($"{source} is empty");
                }
            }

            if (value.Contains('\n', StringComparison.Ordinal) || value.Contains('\r', StringComparison.Ordinal))
            {
                throw new InputException($"the value of {kind}:{source} spans several lines; a header value is one line");
            }

            onSecret(value);
            return value;
        });

    [GeneratedRegex("^[a-z0-9][a-z0-9-]*$")]
    private static partial Regex HeaderName();

    [GeneratedRegex(@"\$\{(env|file):([^}]+)\}")]
    private static partial Regex Placeholder();
}
