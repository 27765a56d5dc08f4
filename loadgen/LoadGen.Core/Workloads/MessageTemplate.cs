using System.Globalization;
using System.Text;
using Google.Protobuf;
using Google.Protobuf.Reflection;

namespace LoadGen.Core.Workloads;

/// <summary>What a placeholder can stand for, per message.</summary>
internal readonly record struct MessageSlot(StreamContext Stream, ulong Seq, DateTimeOffset Now);

/// <summary>
/// A message template compiled against its message type: encodes one message per call, with the
/// placeholders <c>${seq}</c> (the message's number in its stream, 1, 2, …), <c>${stream}</c> (the
/// stream's number), <c>${topology}</c>, <c>${random:N}</c> (N random bytes in a bytes field, N random
/// letters and digits in a string) and <c>${timestamp}</c> (now: RFC 3339 in a string, Unix
/// nanoseconds in an integer — <c>${timestamp:ms}</c>, <c>:us</c>, <c>:s</c> for other units — and
/// the time itself in a google.protobuf.Timestamp).
/// </summary>
internal sealed class MessageTemplate
{
    public const string Placeholders = "${seq}, ${stream}, ${topology}, ${random:N}, ${timestamp} (${timestamp:s|ms|us|ns})";

    private readonly Field[] _fields;

    private MessageTemplate(MessageDescriptor type, Field[] fields)
    {
        Type = type;
        _fields = fields;
    }

    public MessageDescriptor Type { get; }

    /// <summary>Parses and checks a template (text format, or JSON when it starts with '{').</summary>
    /// <exception cref="TemplateSyntaxException">It does not parse, or names a field, value or placeholder the type does not have.</exception>
    public static MessageTemplate Compile(string text, MessageDescriptor type)
    {
        ArgumentNullException.ThrowIfNull(type);
        return Compile(TemplateSyntax.Parse(text), type, type.FullName);
    }

    public byte[] Encode(in MessageSlot slot)
    {
        using var buffer = new MemoryStream();
        var output = new CodedOutputStream(buffer);
        Write(output, slot);
        output.Flush();
        return buffer.ToArray();
    }

    private void Write(CodedOutputStream output, in MessageSlot slot)
    {
        foreach (var f in _fields)
        {
            if (f.Message is { } child)
            {
                output.WriteTag(f.Descriptor.FieldNumber, WireFormat.WireType.LengthDelimited);
                output.WriteBytes(UnsafeByteOperations.UnsafeWrap(child.Encode(slot)));
            }
            else
            {
                WriteScalar(output, f.Descriptor, f.Value!(slot));
            }
        }
    }

    private static MessageTemplate Compile(TMessage message, MessageDescriptor type, string path)
    {
        var fields = new List<Field>();
        var seen = new HashSet<int>();
        foreach (var tf in message.Fields)
        {
            var fd = type.FindFieldByName(tf.Name)
                ?? type.Fields.InDeclarationOrder().FirstOrDefault(f => f.JsonName == tf.Name)
                ?? throw new TemplateSyntaxException(tf.Line, $"'{path}.{tf.Name}' does not exist: {type.FullName} has {Names(type)}");
            var where = $"{path}.{fd.Name}";
            if (fd.FieldType == FieldType.Group)
            {
                throw new TemplateSyntaxException(tf.Line, $"'{where}' is a group; templates do not write groups");
            }

            var values = tf.Value is TList list ? list.Items : [tf.Value];
            if (!fd.IsRepeated && (values.Count != 1 || !seen.Add(fd.FieldNumber)))
            {
                throw new TemplateSyntaxException(tf.Line, $"'{where}' is not repeated: give it one value");
            }

            if (fd.IsMap && tf.Value is TMessage { Json: true } map)
            {
                // JSON writes a map as an object keyed by map key.
                var entry = fd.MessageType;
                foreach (var kv in map.Fields)
                {
                    var pair = new TMessage([new TField("key", new TScalar(kv.Name, ScalarKind.String, kv.Line), kv.Line), new TField("value", kv.Value, kv.Line)], true, kv.Line);
                    fields.Add(new Field(fd, null, Compile(pair, entry, where)));
                }

                continue;
            }

            foreach (var v in values)
            {
                fields.Add(CompileValue(fd, v, where));
            }
        }

        return new MessageTemplate(type, [.. fields]);
    }

    private static Field CompileValue(FieldDescriptor fd, TValue value, string where)
    {
        if (fd.FieldType == FieldType.Message)
        {
            return value switch
            {
                TMessage m => new Field(fd, null, Compile(m, fd.MessageType, where)),
                TScalar s => new Field(fd, null, WellKnown(fd.MessageType, s, where)),
                _ => throw new TemplateSyntaxException(value.Line, $"'{where}' is a {fd.MessageType.FullName} message: give it {{ fields }}"),
            };
        }

        if (value is not TScalar scalar)
        {
            throw new TemplateSyntaxException(value.Line, $"'{where}' is a {Kind(fd)}, not a message or a list");
        }

        return new Field(fd, Scalar(fd, scalar, where), null);
    }

    /// <summary>Well-known message types written as one scalar: Timestamp, Duration and the wrappers.</summary>
    private static MessageTemplate WellKnown(MessageDescriptor type, TScalar s, string where)
    {
        switch (type.FullName)
        {
            case "google.protobuf.Timestamp":
                if (Parts(s.Text, s.Line) is [Placeholder { Name: "timestamp" }])
                {
                    return new MessageTemplate(type, [
                        new Field(type.FindFieldByNumber(1), slot => slot.Now.ToUnixTimeSeconds(), null),
                        new Field(type.FindFieldByNumber(2), slot => (long)(slot.Now.UtcTicks % TimeSpan.TicksPerSecond * 100), null)]);
                }

                if (!DateTimeOffset.TryParse(s.Text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var at))
                {
                    throw new TemplateSyntaxException(s.Line, $"'{where}' is a Timestamp: give an RFC 3339 time or ${{timestamp}}, not '{s.Text}'");
                }

                return Constant(type, at.ToUnixTimeSeconds(), at.UtcTicks % TimeSpan.TicksPerSecond * 100);
            case "google.protobuf.Duration":
                if (!s.Text.EndsWith('s') || !decimal.TryParse(s.Text[..^1], NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds))
                {
                    throw new TemplateSyntaxException(s.Line, $"'{where}' is a Duration: give seconds like \"1.5s\", not '{s.Text}'");
                }

                return Constant(type, (long)decimal.Truncate(seconds), (long)((seconds - decimal.Truncate(seconds)) * 1_000_000_000m));
            case "google.protobuf.DoubleValue" or "google.protobuf.FloatValue" or "google.protobuf.Int64Value" or "google.protobuf.UInt64Value"
                or "google.protobuf.Int32Value" or "google.protobuf.UInt32Value" or "google.protobuf.BoolValue" or "google.protobuf.StringValue" or "google.protobuf.BytesValue":
                var inner = type.FindFieldByNumber(1);
                return new MessageTemplate(type, [new Field(inner, Scalar(inner, s, where), null)]);
            default:
                throw new TemplateSyntaxException(s.Line, $"'{where}' is a {type.FullName} message: give it {{ fields }} ({Names(type)})");
        }
    }

    private static MessageTemplate Constant(MessageDescriptor type, long seconds, long nanos) =>
        new(type, [new Field(type.FindFieldByNumber(1), _ => seconds, null), new Field(type.FindFieldByNumber(2), _ => nanos, null)]);

    private static Func<MessageSlot, object> Scalar(FieldDescriptor fd, TScalar s, string where)
    {
        var parts = s.Kind == ScalarKind.String ? Parts(s.Text, s.Line) : [new Literal(s.Text)];
        var dynamic = parts.Any(p => p is Placeholder);
        switch (fd.FieldType)
        {
            case FieldType.String:
                {
                    if (!dynamic)
                    {
                        var constant = s.Text;
                        return _ => constant;
                    }

                    return slot => Render(parts, slot);
                }

            case FieldType.Bytes:
                {
                    if (parts is [Placeholder { Name: "random" } r])
                    {
                        var n = r.Size;
                        return _ => RandomBytes(n);
                    }

                    if (!dynamic)
                    {
                        ByteString constant;
                        try
                        {
                            // proto3 JSON writes bytes as base64; text format as a string of bytes.
                            constant = s.Json ? ByteString.FromBase64(s.Text) : ByteString.CopyFromUtf8(s.Text);
                        }
                        catch (FormatException)
                        {
                            throw new TemplateSyntaxException(s.Line, $"'{where}' is bytes: in JSON give base64, or ${{random:N}}");
                        }

                        return _ => constant;
                    }

                    return slot => ByteString.CopyFromUtf8(Render(parts, slot));
                }

            case FieldType.Bool:
                if (s.Kind is not ScalarKind.Bool && s.Text is not ("true" or "false"))
                {
                    throw new TemplateSyntaxException(s.Line, $"'{where}' is a bool: true or false, not '{s.Text}'");
                }

                var b = s.Text == "true";
                return _ => b;
            case FieldType.Enum:
                {
                    var e = fd.EnumType;
                    var byName = e.FindValueByName(s.Text);
                    if (byName is null && int.TryParse(s.Text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var number))
                    {
                        return _ => number;
                    }

                    if (byName is null)
                    {
                        throw new TemplateSyntaxException(s.Line, $"'{s.Text}' is not a value of {e.FullName} ('{where}'): {string.Join(", ", e.Values.Select(v => v.Name))}");
                    }

                    var value = byName.Number;
                    return _ => value;
                }

            case FieldType.Double or FieldType.Float:
                {
                    if (parts is [Placeholder p])
                    {
                        var of = NumberOf(p, fd, s.Line, where);
                        return slot => (double)Convert.ToDecimal(of(slot), CultureInfo.InvariantCulture);
                    }

                    var d = s.Text switch
                    {
                        "inf" or "infinity" or "Infinity" => double.PositiveInfinity,
                        "-inf" or "-infinity" or "-Infinity" => double.NegativeInfinity,
                        "nan" or "NaN" => double.NaN,
                        _ => double.TryParse(s.Text.TrimEnd('f', 'F'), NumberStyles.Float, CultureInfo.InvariantCulture, out var x)
                            ? x
                            : throw new TemplateSyntaxException(s.Line, $"'{where}' is a {Kind(fd)}: '{s.Text}' is not a number"),
                    };
                    return _ => d;
                }

            default:
                {
                    // Every integer type.
                    if (parts is [Placeholder p])
                    {
                        return NumberOf(p, fd, s.Line, where);
                    }

                    if (dynamic)
                    {
                        throw new TemplateSyntaxException(s.Line, $"'{where}' is a {Kind(fd)}: give a number or exactly one of ${{seq}}, ${{stream}}, ${{timestamp}}");
                    }

                    var unsigned = fd.FieldType is FieldType.UInt32 or FieldType.UInt64 or FieldType.Fixed32 or FieldType.Fixed64;
                    var text = s.Text;
                    var hex = text.StartsWith("0x", StringComparison.OrdinalIgnoreCase);
                    object value;
                    if (unsigned && (hex ? ulong.TryParse(text[2..], NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var u) : ulong.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out u)))
                    {
                        value = u;
                    }
                    else if (!unsigned && (hex ? long.TryParse(text[2..], NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var l) : long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out l)))
                    {
                        value = l;
                    }
                    else
                    {
                        throw new TemplateSyntaxException(s.Line, $"'{where}' is a {Kind(fd)}: '{text}' is not one");
                    }

                    var max = fd.FieldType is FieldType.Int32 or FieldType.SInt32 or FieldType.SFixed32 ? int.MaxValue : fd.FieldType is FieldType.UInt32 or FieldType.Fixed32 ? uint.MaxValue : (decimal)ulong.MaxValue;
                    var min = fd.FieldType is FieldType.Int32 or FieldType.SInt32 or FieldType.SFixed32 ? int.MinValue : long.MinValue;
                    var dec = Convert.ToDecimal(value, CultureInfo.InvariantCulture);
                    if (dec > max || dec < min)
                    {
                        throw new TemplateSyntaxException(s.Line, $"'{where}' is a {Kind(fd)}: {text} is out of its range");
                    }

                    return _ => value;
                }
        }
    }

    private static Func<MessageSlot, object> NumberOf(Placeholder p, FieldDescriptor fd, int line, string where) => p.Name switch
    {
        "seq" => slot => slot.Seq,
        "stream" => slot => slot.Stream.StreamId,
        "timestamp" => p.Arg switch
        {
            "s" => slot => slot.Now.ToUnixTimeSeconds(),
            "ms" => slot => slot.Now.ToUnixTimeMilliseconds(),
            "us" => slot => (slot.Now.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) / 10,
            _ => slot => (slot.Now.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) * 100,
        },
        _ => throw new TemplateSyntaxException(line, $"'{where}' is a {Kind(fd)}: ${{{p.Name}}} is not a number (use ${{seq}}, ${{stream}} or ${{timestamp}})"),
    };

    private static void WriteScalar(CodedOutputStream o, FieldDescriptor f, object v)
    {
        var n = f.FieldNumber;
        switch (f.FieldType)
        {
            case FieldType.Double:
                o.WriteTag(n, WireFormat.WireType.Fixed64);
                o.WriteDouble(Convert.ToDouble(v, CultureInfo.InvariantCulture));
                break;
            case FieldType.Float:
                o.WriteTag(n, WireFormat.WireType.Fixed32);
                o.WriteFloat(Convert.ToSingle(v, CultureInfo.InvariantCulture));
                break;
            case FieldType.Int64:
                o.WriteTag(n, WireFormat.WireType.Varint);
                o.WriteInt64(Signed(v));
                break;
            case FieldType.UInt64:
                o.WriteTag(n, WireFormat.WireType.Varint);
                o.WriteUInt64(Unsigned(v));
                break;
            case FieldType.Int32:
                o.WriteTag(n, WireFormat.WireType.Varint);
                o.WriteInt32(unchecked((int)Signed(v)));
                break;
            case FieldType.Fixed64:
                o.WriteTag(n, WireFormat.WireType.Fixed64);
                o.WriteFixed64(Unsigned(v));
                break;
            case FieldType.Fixed32:
                o.WriteTag(n, WireFormat.WireType.Fixed32);
                o.WriteFixed32(unchecked((uint)Unsigned(v)));
                break;
            case FieldType.Bool:
                o.WriteTag(n, WireFormat.WireType.Varint);
                o.WriteBool((bool)v);
                break;
            case FieldType.String:
                o.WriteTag(n, WireFormat.WireType.LengthDelimited);
                o.WriteString((string)v);
                break;
            case FieldType.Bytes:
                o.WriteTag(n, WireFormat.WireType.LengthDelimited);
                o.WriteBytes((ByteString)v);
                break;
            case FieldType.UInt32:
                o.WriteTag(n, WireFormat.WireType.Varint);
                o.WriteUInt32(unchecked((uint)Unsigned(v)));
                break;
            case FieldType.SFixed32:
                o.WriteTag(n, WireFormat.WireType.Fixed32);
                o.WriteSFixed32(unchecked((int)Signed(v)));
                break;
            case FieldType.SFixed64:
                o.WriteTag(n, WireFormat.WireType.Fixed64);
                o.WriteSFixed64(Signed(v));
                break;
            case FieldType.SInt32:
                o.WriteTag(n, WireFormat.WireType.Varint);
                o.WriteSInt32(unchecked((int)Signed(v)));
                break;
            case FieldType.SInt64:
                o.WriteTag(n, WireFormat.WireType.Varint);
                o.WriteSInt64(Signed(v));
                break;
            case FieldType.Enum:
                o.WriteTag(n, WireFormat.WireType.Varint);
                o.WriteEnum((int)v);
                break;
            default:
                throw new InvalidOperationException($"{f.FullName}: {f.FieldType} is not a scalar");
        }
    }

    private static long Signed(object v) => v switch
    {
        long l => l,
        ulong u => unchecked((long)u),
        int i => i,
        _ => Convert.ToInt64(v, CultureInfo.InvariantCulture),
    };

    private static ulong Unsigned(object v) => v switch
    {
        ulong u => u,
        long l => unchecked((ulong)l),
        int i => unchecked((ulong)i),
        _ => Convert.ToUInt64(v, CultureInfo.InvariantCulture),
    };

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

    private static string Kind(FieldDescriptor fd) => fd.FieldType switch
    {
        FieldType.Enum => $"enum {fd.EnumType.FullName}",
        FieldType.Message => fd.MessageType.FullName,
        var t => t.ToString().ToLowerInvariant(),
    };

    private static string Names(MessageDescriptor type) =>
        type.Fields.InDeclarationOrder().Count == 0 ? "no fields" : "fields " + string.Join(", ", type.Fields.InDeclarationOrder().Select(f => $"{f.Name} ({Kind(f)}{(f.IsRepeated ? ", repeated" : "")})"));

    private abstract record Part;

    private sealed record Literal(string Text) : Part;

    private sealed record Placeholder(string Name, string? Arg, int Size) : Part;

    private sealed record Field(FieldDescriptor Descriptor, Func<MessageSlot, object>? Value, MessageTemplate? Message);
}
