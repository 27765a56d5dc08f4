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
            return UserInfoProblem(address) is { } userInfo ? Refuse(userInfo, out address) : null;
        }

        address = null;
        // Never echo a URL that may carry a password.
        return Uri.TryCreate(text, UriKind.Absolute, out var other) && UserInfoProblem(other) is { } inUrl
            ? inUrl
            : $"'{text}' is not an address: expected http://host:port (h2c), https://host:port (TLS) or lab://TOPOLOGY (the embedded lab)";
    }

    /// <summary>
    /// A user name or password in a URL is refused, never taken: it would be written into run.json and every
    /// report. The message shows the URL without it.
    /// </summary>
    public static string? UserInfoProblem(Uri url)
    {
        ArgumentNullException.ThrowIfNull(url);
        return url.UserInfo.Length == 0 ? null
            : $"'{url.Scheme}://…@{url.Authority}{url.AbsolutePath.TrimEnd('/')}' has a user name or password in the URL, which would land in run.json and every report: " +
              "leave it out and send credentials as metadata from ${env:NAME} or ${file:PATH}";
    }

    private static string Refuse(string problem, out Uri? address)
    {
        address = null;
        return problem;
    }

    [GeneratedRegex(@"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$", RegexOptions.CultureInvariant)]
    private static partial Regex NamePattern();
}
