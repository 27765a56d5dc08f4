using System.Globalization;
using System.Text;
using Google.Protobuf;
using Google.Protobuf.Reflection;

namespace LoadGen.Core.Workloads;

/// <summary>Compiling a parsed template against the request type: each field to a constant or a per-message value, checked at load time with the template line.</summary>
internal sealed partial class MessageTemplate
{
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
                    var compiled = Compile(pair, entry, where);
                    fields.Add(new Field(fd, null, compiled, compiled.IsDynamic));
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
                TMessage m => Nested(fd, Compile(m, fd.MessageType, where)),
                TScalar s => Nested(fd, WellKnown(fd.MessageType, s, where)),
                _ => throw new TemplateSyntaxException(value.Line, $"'{where}' is a {fd.MessageType.FullName} message: give it {{ fields }}"),
            };
        }

        if (value is not TScalar scalar)
        {
            throw new TemplateSyntaxException(value.Line, $"'{where}' is a {Kind(fd)}, not a message or a list");
        }

        return new Field(fd, Scalar(fd, scalar, where), null, HasPlaceholder(scalar));
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
                        new Field(type.FindFieldByNumber(1), slot => slot.Now.ToUnixTimeSeconds(), null, Dynamic: true),
                        new Field(type.FindFieldByNumber(2), slot => (long)(slot.Now.UtcTicks % TimeSpan.TicksPerSecond * 100), null, Dynamic: true)]);
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
                return new MessageTemplate(type, [new Field(inner, Scalar(inner, s, where), null, HasPlaceholder(s))]);
            default:
                throw new TemplateSyntaxException(s.Line, $"'{where}' is a {type.FullName} message: give it {{ fields }} ({Names(type)})");
        }
    }

    private static Field Nested(FieldDescriptor fd, MessageTemplate child) => new(fd, null, child, child.IsDynamic);

    /// <summary>Whether a scalar's value changes per message: placeholders live in string-kind scalars only (as <see cref="Scalar"/> reads them).</summary>
    private static bool HasPlaceholder(TScalar s) => s.Kind == ScalarKind.String && Parts(s.Text, s.Line).Any(p => p is Placeholder);

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

    private static string Kind(FieldDescriptor fd) => fd.FieldType switch
    {
        FieldType.Enum => $"enum {fd.EnumType.FullName}",
        FieldType.Message => fd.MessageType.FullName,
        var t => t.ToString().ToLowerInvariant(),
    };

    private static string Names(MessageDescriptor type) =>
        type.Fields.InDeclarationOrder().Count == 0 ? "no fields" : "fields " + string.Join(", ", type.Fields.InDeclarationOrder().Select(f => $"{f.Name} ({Kind(f)}{(f.IsRepeated ? ", repeated" : "")})"));
}
