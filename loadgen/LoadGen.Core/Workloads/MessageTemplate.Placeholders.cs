using System.Globalization;
using System.Text;
using Google.Protobuf;
using Google.Protobuf.Reflection;

namespace LoadGen.Core.Workloads;

/// <summary>The ${…} placeholders: parsing them out of strings and rendering them per message.</summary>
internal sealed partial class MessageTemplate
{
    private static string Render(IReadOnlyList<Part> parts, in MessageSlot slot)
    {
        var sb = new StringBuilder();
        foreach (var p in parts)
        {
            switch (p)
            {
                case Literal l:
                    sb.Append(l.Text);
                    break;
                case Placeholder { Name: "seq" }:
                    sb.Append(slot.Seq.ToString(CultureInfo.InvariantCulture));
                    break;
                case Placeholder { Name: "stream" }:
                    sb.Append(slot.Stream.StreamId.ToString(CultureInfo.InvariantCulture));
                    break;
                case Placeholder { Name: "topology" }:
                    sb.Append(slot.Stream.Topology);
                    break;
                case Placeholder { Name: "random" } r:
                    const string alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
                    for (var i = 0; i < r.Size; i++)
                    {
                        sb.Append(alphabet[Random.Shared.Next(alphabet.Length)]);
                    }

                    break;
                case Placeholder { Name: "timestamp", Arg: null }:
                    sb.Append(slot.Now.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'", CultureInfo.InvariantCulture));
                    break;
                case Placeholder t:
                    sb.Append(Convert.ToString(NumberOf(t, null!, 0, "")(slot), CultureInfo.InvariantCulture));
                    break;
            }
        }

        return sb.ToString();
    }

    private static ByteString RandomBytes(int n)
    {
        var bytes = new byte[n];
        Random.Shared.NextBytes(bytes);
        return UnsafeByteOperations.UnsafeWrap(bytes);
    }

    private static readonly string[] Known = ["seq", "stream", "topology", "random", "timestamp"];

    /// <summary>Splits a string into literal text and ${name} / ${name:arg} placeholders.</summary>
    private static List<Part> Parts(string text, int line)
    {
        var parts = new List<Part>();
        var i = 0;
        while (i < text.Length)
        {
            var open = text.IndexOf("${", i, StringComparison.Ordinal);
            if (open < 0)
            {
                parts.Add(new Literal(text[i..]));
                break;
            }

            if (open > i)
            {
                parts.Add(new Literal(text[i..open]));
            }

            var close = text.IndexOf('}', open);
            if (close < 0)
            {
                throw new TemplateSyntaxException(line, $"'${{' without '}}' in \"{text}\"");
            }

            var body = text[(open + 2)..close];
            var colon = body.IndexOf(':', StringComparison.Ordinal);
            var (name, arg) = colon < 0 ? (body, (string?)null) : (body[..colon], body[(colon + 1)..]);
            if (!Known.Contains(name))
            {
                throw new TemplateSyntaxException(line, $"'${{{body}}}' is not a placeholder LoadGen knows: {Placeholders}");
            }

            var size = 0;
            if (name == "random" && !(int.TryParse(arg, NumberStyles.None, CultureInfo.InvariantCulture, out size) && size is > 0 and <= 16 * 1024 * 1024))
            {
                throw new TemplateSyntaxException(line, $"'${{{body}}}': random needs a size, 1 to 16777216 (${{random:64}})");
            }

            if (name == "timestamp" && arg is not (null or "s" or "ms" or "us" or "ns"))
            {
                throw new TemplateSyntaxException(line, $"'${{{body}}}': the timestamp's unit is s, ms, us or ns");
            }

            if (name is "seq" or "stream" or "topology" && arg is not null)
            {
                throw new TemplateSyntaxException(line, $"'${{{body}}}': {name} takes no argument");
            }

            parts.Add(new Placeholder(name, arg, size));
            i = close + 1;
        }

        return parts;
    }

    private abstract record Part;

    private sealed record Literal(string Text) : Part;

    private sealed record Placeholder(string Name, string? Arg, int Size) : Part;
}
