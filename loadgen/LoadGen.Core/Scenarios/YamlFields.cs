using System.Globalization;
using LoadGen.Core.Inputs;
using LoadGen.Results;
using LoadGen.Results.Analysis;
using YamlDotNet.RepresentationModel;

namespace LoadGen.Core.Scenarios;

/// <summary>
/// Reads one YAML mapping field by field, remembering which keys were used so unknown ones can be
/// rejected with a "did you mean". Every error carries file, line, column and the field's path.
/// </summary>
internal sealed class YamlFields
{
    private readonly YamlMappingNode _node;
    private readonly HashSet<string> _known = new(StringComparer.Ordinal);

    public YamlFields(string file, string path, YamlNode node)
    {
        File = file;
        Path = path;
        if (node is not YamlMappingNode mapping)
        {
            throw Error(node, path, $"expected a mapping of keys to values, found {Describe(node)}");
        }

        _node = mapping;
    }

    public string File { get; }

    public string Path { get; }

    public YamlNode Node => _node;

    public ScenarioException Error(YamlNode node, string field, string problem) =>
        new(File, node.Start.Line, node.Start.Column, field, problem);

    public string FieldPath(string key) => Path.Length == 0 ? key : $"{Path}.{key}";

    public YamlNode? Get(string key)
    {
        _known.Add(key);
        return _node.Children.TryGetValue(new YamlScalarNode(key), out var value) ? value : null;
    }

    /// <summary>
    /// The key to read where <paramref name="key"/> was once called <paramref name="old"/>: the old name
    /// still works, with a warning (file, line, the new name and <paramref name="why"/>); both at once is an error.
    /// </summary>
    public string Renamed(string key, string old, ICollection<string> warnings, string why)
    {
        ArgumentNullException.ThrowIfNull(warnings);
        var now = Get(key);
        var before = Get(old);
        if (before is null)
        {
            return key;
        }

        if (now is not null)
        {
            throw Error(before, FieldPath(old), $"is the old name of '{key}', which is also set: keep '{key}' only");
        }

        warnings.Add($"{File}:{before.Start.Line}: {FieldPath(old)}: deprecated, write '{key}:' instead ({why})");
        return old;
    }

    public YamlNode Require(string key) =>
        Get(key) ?? throw Error(_node, FieldPath(key), "is required but missing");

    public string? String(string key)
    {
        var node = Get(key);
        return node is null ? null : Scalar(node, FieldPath(key));
    }

    public int Int(string key, int fallback, int min, int max)
    {
        var node = Get(key);
        if (node is null)
        {
            return fallback;
        }

        var text = Scalar(node, FieldPath(key));
        if (!int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value))
        {
            throw Error(node, FieldPath(key), $"'{text}' is not a whole number");
        }

        return InRange(node, key, value, min, max);
    }

    /// <summary>
    /// Every YAML boolean of a scenario: true/false or yes/no (any case, as YAML 1.1 writes them);
    /// anything else is an error at its line, never a silent false.
    /// </summary>
    public bool Bool(string key, bool fallback)
    {
        var node = Get(key);
        if (node is null)
        {
            return fallback;
        }

        return Scalar(node, FieldPath(key)).ToLowerInvariant() switch
        {
            "true" or "yes" => true,
            "false" or "no" => false,
            var text => throw Error(node, FieldPath(key), $"'{text}' is not a boolean: write true or false (yes and no also work)"),
        };
    }

    /// <summary>A size in bytes: a whole number, optionally with KiB, MiB or GiB (1024-based) or KB, MB, GB (1000-based).</summary>
    public int Bytes(string key, int fallback, int min, int max)
    {
        var node = Get(key);
        if (node is null)
        {
            return fallback;
        }

        var text = Scalar(node, FieldPath(key));
        var units = new (string Suffix, long Factor)[] { ("KiB", 1024), ("MiB", 1024 * 1024), ("GiB", 1024L * 1024 * 1024), ("KB", 1000), ("MB", 1_000_000), ("GB", 1_000_000_000), ("B", 1), ("", 1) };
        foreach (var (suffix, factor) in units)
        {
            if (text.EndsWith(suffix, StringComparison.Ordinal)
                && long.TryParse(text.AsSpan(0, text.Length - suffix.Length).Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var n))
            {
                var bytes = n * factor;
                if (bytes < min || bytes > max)
                {
                    throw Error(node, FieldPath(key), $"{text} is out of range: must be between {min:#,0} and {max:#,0} bytes");
                }

                return (int)bytes;
            }
        }

        throw Error(node, FieldPath(key), $"'{text}' is not a size: expected a whole number of bytes, or one with KiB, MiB, KB or MB (4MiB, 65536)");
    }

    public double Double(string key, double fallback, double min, double max)
    {
        var node = Get(key);
        if (node is null)
        {
            return fallback;
        }

        var text = Scalar(node, FieldPath(key));
        if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) || !double.IsFinite(value))
        {
            throw Error(node, FieldPath(key), $"'{text}' is not a number");
        }

        return InRange(node, key, value, min, max);
    }

    public TimeSpan Duration(string key, TimeSpan fallback, TimeSpan min, TimeSpan max)
    {
        var node = Get(key);
        return node is null ? fallback : Duration(node, FieldPath(key), min, max);
    }

    public TimeSpan Duration(YamlNode node, string field, TimeSpan min, TimeSpan max)
    {
        var text = Scalar(node, field);
        if (!Durations.TryParse(text, out var value))
        {
            throw Error(node, field, $"'{text}' is not a duration: expected {Durations.Expected}");
        }

        if (value < min || value > max)
        {
            throw Error(node, field, $"{text} is out of range: must be between {Durations.Format(min)} and {Durations.Format(max)}");
        }

        return value;
    }

    public TEnum Enum<TEnum>(string key, TEnum fallback)
        where TEnum : struct, Enum
    {
        var node = Get(key);
        if (node is null)
        {
            return fallback;
        }

        var text = Scalar(node, FieldPath(key));
        var names = System.Enum.GetNames<TEnum>().Select(n => n.ToLowerInvariant()).ToArray();
        if (!names.Contains(text, StringComparer.Ordinal))
        {
            throw Error(node, FieldPath(key), $"'{text}' is not one of: {string.Join(", ", names)}");
        }

        return System.Enum.Parse<TEnum>(text, ignoreCase: true);
    }

    public IEnumerable<(YamlNode Node, string Path)> Sequence(string key)
    {
        var node = Get(key);
        if (node is null)
        {
            yield break;
        }

        if (node is not YamlSequenceNode seq)
        {
            throw Error(node, FieldPath(key), $"expected a list, found {Describe(node)}");
        }

        var i = 0;
        foreach (var item in seq.Children)
        {
            yield return (item, $"{FieldPath(key)}[{i++}]");
        }
    }

    /// <summary>Rejects keys nobody asked for, suggesting the closest known key.</summary>
    public void RejectUnknown()
    {
        foreach (var (keyNode, _) in _node.Children)
        {
            var key = (keyNode as YamlScalarNode)?.Value ?? "";
            if (_known.Contains(key))
            {
                continue;
            }

            var hint = Closest(key, _known);
            var problem = hint is null
                ? $"unknown key; known keys here: {string.Join(", ", _known.Order(StringComparer.Ordinal))}"
                : $"unknown key; did you mean '{hint}'?";
            throw Error(keyNode, FieldPath(key), problem);
        }
    }

    public string Scalar(YamlNode node, string field)
    {
        if (node is not YamlScalarNode scalar)
        {
            throw Error(node, field, $"expected a single value, found {Describe(node)}");
        }

        return scalar.Value ?? "";
    }

    private T InRange<T>(YamlNode node, string key, T value, T min, T max)
        where T : IComparable<T>
    {
        if (value.CompareTo(min) < 0 || value.CompareTo(max) > 0)
        {
            throw Error(node, FieldPath(key), $"{value} is out of range: must be between {min} and {max}");
        }

        return value;
    }

    private static string Describe(YamlNode node) => node switch
    {
        YamlMappingNode => "a mapping",
        YamlSequenceNode => "a list",
        YamlScalarNode s => $"'{s.Value}'",
        _ => node.NodeType.ToString(),
    };

    internal static string? Closest(string key, IEnumerable<string> candidates)
    {
        string? best = null;
        var bestDistance = int.MaxValue;
        foreach (var c in candidates)
        {
            var d = Levenshtein(key.ToLowerInvariant(), c.ToLowerInvariant());
            if (d < bestDistance)
            {
                best = c;
                bestDistance = d;
            }
        }

        return bestDistance <= Math.Max(2, key.Length / 3) ? best : null;
    }

    private static int Levenshtein(string a, string b)
    {
        var prev = new int[b.Length + 1];
        var cur = new int[b.Length + 1];
        for (var j = 0; j <= b.Length; j++)
        {
            prev[j] = j;
        }

        for (var i = 1; i <= a.Length; i++)
        {
            cur[0] = i;
            for (var j = 1; j <= b.Length; j++)
            {
                var cost = a[i - 1] == b[j - 1] ? 0 : 1;
                cur[j] = Math.Min(Math.Min(cur[j - 1] + 1, prev[j] + 1), prev[j - 1] + cost);
            }

            (prev, cur) = (cur, prev);
        }

        return prev[b.Length];
    }
}
