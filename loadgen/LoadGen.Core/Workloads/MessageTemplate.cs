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

    /// <summary>Each nesting level's scratch buffer, per thread: a message is written into it, then copied out at its exact size.</summary>
    [ThreadStatic]
    private static List<byte[]>? _threadScratch;

    private readonly Field[] _fields;

    /// <summary>The bytes of a template without placeholders, encoded once: every message is the same.</summary>
    private byte[]? _constant;

    private MessageTemplate(MessageDescriptor type, Field[] fields)
    {
        Type = type;
        _fields = fields;
        IsDynamic = fields.Any(f => f.Dynamic);
    }

    public MessageDescriptor Type { get; }

    /// <summary>Whether any field's value changes per message (a placeholder, here or in a nested message).</summary>
    public bool IsDynamic { get; }

    /// <summary>Parses and checks a template (text format, or JSON when it starts with '{').</summary>
    /// <exception cref="TemplateSyntaxException">It does not parse, or names a field, value or placeholder the type does not have.</exception>
    public static MessageTemplate Compile(string text, MessageDescriptor type)
    {
        ArgumentNullException.ThrowIfNull(type);
        return Compile(TemplateSyntax.Parse(text), type, type.FullName);
    }

    /// <summary>
    /// One message's bytes. A template without placeholders returns the same array every time (the marshaller only
    /// reads it); otherwise the message is written into this thread's scratch buffer and copied out at its size: one
    /// allocation of the message's length, where a MemoryStream, a CodedOutputStream's own 4 KB buffer and a copy per
    /// nesting level cost ~9 KB per message.
    /// </summary>
    public byte[] Encode(in MessageSlot slot) => IsDynamic ? EncodeAt(slot, 0) : _constant ??= EncodeAt(slot, 0);

    private byte[] EncodeAt(in MessageSlot slot, int depth)
    {
        var scratch = _threadScratch ??= [];
        while (scratch.Count <= depth)
        {
            scratch.Add(new byte[256]);
        }

        while (true)
        {
            var buffer = scratch[depth];
            try
            {
                var output = new CodedOutputStream(buffer);
                Write(output, slot, depth);
                return buffer.AsSpan(0, (int)output.Position).ToArray();
            }
            catch (CodedOutputStream.OutOfSpaceException)
            {
                scratch[depth] = new byte[buffer.Length * 2];
            }
        }
    }

    private void Write(CodedOutputStream output, in MessageSlot slot, int depth)
    {
        foreach (var f in _fields)
        {
            if (f.Message is { } child)
            {
                output.WriteTag(f.Descriptor.FieldNumber, WireFormat.WireType.LengthDelimited);
                output.WriteBytes(UnsafeByteOperations.UnsafeWrap(child.IsDynamic ? child.EncodeAt(slot, depth + 1) : child._constant ??= child.EncodeAt(slot, depth + 1)));
            }
            else
            {
                WriteScalar(output, f.Descriptor, f.Value!(slot));
            }
        }
    }

    /// <param name="Dynamic">The value changes per message (a placeholder, or a nested message with one).</param>
    private sealed record Field(FieldDescriptor Descriptor, Func<MessageSlot, object>? Value, MessageTemplate? Message, bool Dynamic = false);
}
