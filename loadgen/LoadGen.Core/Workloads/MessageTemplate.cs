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
internal sealed partial class MessageTemplate
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

    private sealed record Field(FieldDescriptor Descriptor, Func<MessageSlot, object>? Value, MessageTemplate? Message);
}
