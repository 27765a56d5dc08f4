using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using Google.Protobuf.Reflection;

namespace LoadGen.Core.Workloads;

/// <summary>
/// A singular scalar field reached through singular message fields ("id", "header.request_id"),
/// read straight from encoded bytes: the key a by-field match compares.
/// </summary>
internal sealed class FieldPath
{
    private readonly FieldDescriptor[] _steps;

    private FieldPath(string text, FieldDescriptor[] steps)
    {
        Text = text;
        _steps = steps;
    }

    public string Text { get; }

    /// <exception cref="WorkloadException">A step does not exist, is repeated, or the path does not end at a scalar.</exception>
    public static FieldPath Resolve(MessageDescriptor type, string path)
    {
        ArgumentNullException.ThrowIfNull(type);
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        var steps = new List<FieldDescriptor>();
        var current = type;
        var names = path.Split('.');
        for (var i = 0; i < names.Length; i++)
        {
            if (current is null)
            {
                throw new WorkloadException($"'{path}': {steps[^1].Name} is not a message, so it has no field '{names[i]}'");
            }

            var f = current.FindFieldByName(names[i])
                ?? throw new WorkloadException($"'{path}': {current.FullName} has no field '{names[i]}' (fields: {string.Join(", ", current.Fields.InDeclarationOrder().Select(x => x.Name))})");
            if (f.IsRepeated)
            {
                throw new WorkloadException($"'{path}': {f.Name} is repeated; a match key must be a single value");
            }

            steps.Add(f);
            current = f.FieldType == FieldType.Message ? f.MessageType : null;
        }

        if (steps[^1].FieldType is FieldType.Message or FieldType.Group)
        {
            throw new WorkloadException($"'{path}' is a {steps[^1].MessageType.FullName} message; a match key must be a scalar field (a number, string, bytes or enum) inside it");
        }

        return new FieldPath(path, [.. steps]);
    }

    /// <summary>The field's value as text, or null when the message does not carry it (or it cannot be read).</summary>
    public string? Read(ReadOnlySpan<byte> message) => Read(message, 0);

    private string? Read(ReadOnlySpan<byte> data, int depth)
    {
        var step = _steps[depth];
        var last = depth == _steps.Length - 1;
        string? found = null;
        var pos = 0;
        while (pos < data.Length)
        {
            if (!Varint(data, ref pos, out var tag))
            {
                return null;
            }

            var number = (int)(tag >> 3);
            var wire = (int)(tag & 7);
            var start = pos;
            ulong value = 0;
            var length = 0;
            switch (wire)
            {
                case 0:
                    if (!Varint(data, ref pos, out value))
                    {
                        return null;
                    }

                    break;
                case 1:
                    if (pos + 8 > data.Length)
                    {
                        return null;
                    }

                    value = BinaryPrimitives.ReadUInt64LittleEndian(data[pos..]);
                    pos += 8;
                    break;
                case 2:
                    if (!Varint(data, ref pos, out var len) || len > (ulong)(data.Length - pos))
                    {
                        return null;
                    }

                    start = pos;
                    length = (int)len;
                    pos += length;
                    break;
                case 5:
                    if (pos + 4 > data.Length)
                    {
                        return null;
                    }

                    value = BinaryPrimitives.ReadUInt32LittleEndian(data[pos..]);
                    pos += 4;
                    break;
                default:
                    // Groups: not produced by proto3 and not followed here.
                    return null;
            }

            if (number != step.FieldNumber)
            {
                continue;
            }

            // The last occurrence wins, as when protobuf merges; a nested message's key may sit in any part of it.
            found = last ? Format(step, wire, value, data.Slice(start, length)) : Read(data.Slice(start, length), depth + 1) ?? found;
        }

        return found;
    }

    private static string? Format(FieldDescriptor f, int wire, ulong v, ReadOnlySpan<byte> bytes) => (f.FieldType, wire) switch
    {
        (FieldType.String, 2) => Encoding.UTF8.GetString(bytes),
        (FieldType.Bytes, 2) => Convert.ToHexString(bytes),
        (FieldType.SInt32 or FieldType.SInt64, 0) => ((long)(v >> 1) ^ -(long)(v & 1)).ToString(CultureInfo.InvariantCulture),
        (FieldType.Int32 or FieldType.Int64 or FieldType.Enum, 0) => unchecked((long)v).ToString(CultureInfo.InvariantCulture),
        (FieldType.Bool, 0) => v != 0 ? "true" : "false",
        (FieldType.UInt32 or FieldType.UInt64, 0) or (FieldType.Fixed64, 1) or (FieldType.Fixed32, 5) => v.ToString(CultureInfo.InvariantCulture),
        (FieldType.SFixed64, 1) => unchecked((long)v).ToString(CultureInfo.InvariantCulture),
        (FieldType.SFixed32, 5) => unchecked((int)(uint)v).ToString(CultureInfo.InvariantCulture),
        (FieldType.Double, 1) => BitConverter.UInt64BitsToDouble(v).ToString("R", CultureInfo.InvariantCulture),
        (FieldType.Float, 5) => BitConverter.UInt32BitsToSingle((uint)v).ToString("R", CultureInfo.InvariantCulture),
        _ => null,
    };

    private static bool Varint(ReadOnlySpan<byte> data, ref int pos, out ulong value)
    {
        value = 0;
        for (var shift = 0; shift < 64 && pos < data.Length; shift += 7)
        {
            var b = data[pos++];
            value |= (ulong)(b & 0x7F) << shift;
            if (b < 0x80)
            {
                return true;
            }
        }

        return false;
    }
}
