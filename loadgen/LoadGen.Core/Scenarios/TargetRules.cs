using System.Text.RegularExpressions;

namespace LoadGen.Core.Scenarios;

/// <summary>
/// What makes a target's name and address usable — one set of rules for a scenario's targets: section
/// and for targets given on the command line (compare --topologies NAME=URL).
/// </summary>
public static partial class TargetRules
{
    /// <summary>Why <paramref name="name"/> cannot name a target; null when it can.</summary>
    public static string? NameProblem(string name) =>
        NamePattern().IsMatch(name) ? null : $"'{name}' is not a usable target name: use letters, digits, '-' and '_' (it becomes a histogram tag)";

    /// <summary>Why <paramref name="text"/> is not a target address (null when it is, with <paramref name="address"/> set).</summary>
    public static string? AddressProblem(string text, out Uri? address)
    {
        if (Uri.TryCreate(text, UriKind.Absolute, out address) && address.Scheme is "http" or "https" or "lab")
        {
            return UrlProblem(address) is { } inUrl ? Refuse(inUrl, out address) : null;
        }

        address = null;
        // Never echo a URL that may carry a password or a token.
        return Uri.TryCreate(text, UriKind.Absolute, out var other) && UrlProblem(other) is { } problem
            ? problem
            : $"'{Shown(text)}' is not an address: expected http://host:port (h2c), https://host:port (TLS) or lab://TOPOLOGY (the embedded lab)";
    }

    /// <summary>
    /// A user name or password, a query string or a fragment in a URL is refused, never taken: it would be written
    /// into run.json and every report, and a gRPC call sends neither (its path is the method). The message shows the
    /// URL without them.
    /// </summary>
    public static string? UrlProblem(Uri url)
    {
        ArgumentNullException.ThrowIfNull(url);
        if (!url.IsAbsoluteUri)
        {
            return null;
        }

        var what = url.UserInfo.Length > 0 ? "a user name or password" : url.Query.Length > 0 ? "a query string" : url.Fragment.Length > 0 ? "a fragment" : null;
        return what is null ? null
            : $"'{Shown(url)}' has {what} in the URL, which would land in run.json and every report (and a gRPC call does not send it): " +
              "leave it out and send credentials as metadata from ${env:NAME} or ${file:PATH}";
    }

    /// <summary>A URL as outputs may show it: a user name or password becomes "…@", a query string "?…", a fragment "#…".</summary>
    public static string Shown(Uri url)
    {
        ArgumentNullException.ThrowIfNull(url);
        return !url.IsAbsoluteUri ? url.OriginalString
            : $"{url.Scheme}://{(url.UserInfo.Length > 0 ? "…@" : "")}{url.Authority}{url.AbsolutePath.TrimEnd('/')}{(url.Query.Length > 0 ? "?…" : "")}{(url.Fragment.Length > 0 ? "#…" : "")}";
    }

    /// <summary>As <see cref="Shown(Uri)"/> for text that may not parse: everything after '?' or '#' and before '@' is cut.</summary>
    public static string Shown(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (Uri.TryCreate(text, UriKind.Absolute, out var url))
        {
            return Shown(url);
        }

        var cut = text.IndexOfAny(['?', '#']);
        text = cut >= 0 ? text[..cut] + text[cut] + "…" : text;
        var at = text.LastIndexOf('@');
        return at >= 0 ? "…" + text[at..] : text;
    }

    private static string Refuse(string problem, out Uri? address)
    {
        address = null;
        return problem;
    }

    [GeneratedRegex(@"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$", RegexOptions.CultureInvariant)]
    private static partial Regex NamePattern();
}
