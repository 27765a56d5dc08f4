using System.Globalization;
using System.Text;
using Google.Protobuf;
using Google.Protobuf.Reflection;

namespace LoadGen.Core.Workloads;

/// <summary>Writing scalar values in protobuf wire format.</summary>
internal sealed partial class MessageTemplate
{
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
}
