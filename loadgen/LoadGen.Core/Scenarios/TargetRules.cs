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
            return null;
        }

        address = null;
        return $"'{text}' is not an address: expected http://host:port (h2c), https://host:port (TLS) or lab://TOPOLOGY (the embedded lab)";
    }

    [GeneratedRegex(@"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$", RegexOptions.CultureInvariant)]
    private static partial Regex NamePattern();
}
