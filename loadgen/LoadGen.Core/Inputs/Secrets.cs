namespace LoadGen.Core.Inputs;

/// <summary>
/// Every credential value LoadGen has read (from env or a file), so that no output carries one:
/// outcome records, fault events and the console pass their text through <see cref="Redact"/>.
/// </summary>
public static class Secrets
{
    /// <summary>What a redacted value is replaced with.</summary>
    public const string Mask = "[redacted]";

    private static readonly Lock Gate = new();
    private static string[] _values = [];

    /// <summary>Remembers a value read from a secret source (values under 3 characters are not credentials and are kept out of the way).</summary>
    public static void Register(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        if (value.Length < 3)
        {
            return;
        }

        lock (Gate)
        {
            if (!_values.Contains(value, StringComparer.Ordinal))
            {
                // Longest first, so a value that contains another is masked whole.
                _values = [.. _values.Append(value).OrderByDescending(v => v.Length)];
            }
        }
    }

    /// <summary>The text with every registered value replaced by <see cref="Mask"/>.</summary>
    public static string Redact(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var values = Volatile.Read(ref _values);
        foreach (var v in values)
        {
            if (text.Contains(v, StringComparison.Ordinal))
            {
                text = text.Replace(v, Mask, StringComparison.Ordinal);
            }
        }

        return text;
    }

    /// <summary>As <see cref="Redact(string)"/>, passing null through.</summary>
    public static string? RedactOrNull(string? text) => text is null ? null : Redact(text);
}
