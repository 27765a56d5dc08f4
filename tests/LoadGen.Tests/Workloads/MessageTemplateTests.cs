using LoadGen.Core.Workloads;
using LoadGen.Tests.Workloads.Grpc.Testing;

namespace LoadGen.Tests.Workloads;

/// <summary>Templates encode what protobuf's own generated code reads back.</summary>
public class MessageTemplateTests
{
    private static readonly StreamContext Stream7 = new(7, "t");

    private static SimpleRequest Encode(string template, ulong seq = 3) =>
        SimpleRequest.Parser.ParseFrom(MessageTemplate.Compile(template, SimpleRequest.Descriptor).Encode(new MessageSlot(Stream7, seq, DateTimeOffset.UnixEpoch.AddSeconds(1_700_000_000))));

    [Fact]
    public void TextFormat_EveryKindOfField_WithPlaceholders()
    {
        var r = Encode("""
            # a comment
            response_type: COMPRESSABLE
            response_size: ${seq}
            payload < body: "id-${stream}-${seq}" >
            fill_username: true, fill_oauth_scope: false;
            response_status { code: -5 message: 'it''s' " fine" }
            expect_compressed { value: t }
            """);

        Assert.Equal(3, r.ResponseSize);
        Assert.Equal("id-7-3", r.Payload.Body.ToStringUtf8());
        Assert.True(r.FillUsername);
        Assert.Equal(-5, r.ResponseStatus.Code);
        Assert.Equal("its fine", r.ResponseStatus.Message);
        Assert.True(r.ExpectCompressed.Value);
    }

    [Fact]
    public void Json_AsProto3JsonWritesIt()
    {
        var r = Encode("""{"responseSize": 12, "payload": {"body": "aGk="}, "response_status": {"code": "${stream}", "message": "${topology}"}, "fillServerId": true}""");

        Assert.Equal(12, r.ResponseSize);
        Assert.Equal("hi", r.Payload.Body.ToStringUtf8());
        Assert.Equal(7, r.ResponseStatus.Code);
        Assert.Equal("t", r.ResponseStatus.Message);
        Assert.True(r.FillServerId);
    }

    [Fact]
    public void RandomBytes_HaveTheirSize_AndDifferPerMessage()
    {
        var template = MessageTemplate.Compile("payload { body: \"${random:100}\" }", SimpleRequest.Descriptor);
        var a = SimpleRequest.Parser.ParseFrom(template.Encode(new MessageSlot(Stream7, 1, DateTimeOffset.UtcNow)));
        var b = SimpleRequest.Parser.ParseFrom(template.Encode(new MessageSlot(Stream7, 2, DateTimeOffset.UtcNow)));

        Assert.Equal(100, a.Payload.Body.Length);
        Assert.NotEqual(a.Payload.Body, b.Payload.Body);
    }

    [Fact]
    public void AConstantTemplate_IsEncodedOnce_AndReadsBackAsProtobufWritesIt()
    {
        var template = MessageTemplate.Compile("response_size: 12 payload { body: \"hello\" } response_status { code: 3 }", SimpleRequest.Descriptor);
        var expected = new SimpleRequest { ResponseSize = 12, Payload = new Payload { Body = Google.Protobuf.ByteString.CopyFromUtf8("hello") }, ResponseStatus = new EchoStatus { Code = 3 } };

        var first = template.Encode(new MessageSlot(Stream7, 1, DateTimeOffset.UtcNow));
        var before = GC.GetAllocatedBytesForCurrentThread();
        var second = template.Encode(new MessageSlot(Stream7, 2, DateTimeOffset.UtcNow));
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.False(template.IsDynamic);
        Assert.Equal(Google.Protobuf.MessageExtensions.ToByteArray(expected), first);
        Assert.Same(first, second);
        Assert.Equal(0, allocated);
    }

    [Fact]
    public void APlaceholderInANestedMessage_ChangesPerMessage_AndCostsAboutTheMessagesBytes()
    {
        var template = MessageTemplate.Compile("response_size: 1 payload { body: \"id-${seq}\" } response_status { code: 3 }", SimpleRequest.Descriptor);
        _ = template.Encode(new MessageSlot(Stream7, 1, DateTimeOffset.UtcNow));

        var before = GC.GetAllocatedBytesForCurrentThread();
        var bytes = template.Encode(new MessageSlot(Stream7, 42, DateTimeOffset.UtcNow));
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.True(template.IsDynamic);
        var r = SimpleRequest.Parser.ParseFrom(bytes);
        Assert.Equal("id-42", r.Payload.Body.ToStringUtf8());
        Assert.Equal(3, r.ResponseStatus.Code);
        // The message and its nested part at their sizes, the writers, the placeholder's string: hundreds of bytes
        // where a MemoryStream and a 4 KB buffer per level cost ~9 KB.
        Assert.True(allocated < 1024, $"{allocated} bytes allocated for a {bytes.Length}-byte message");
    }

    [Fact]
    public void AMessageLargerThanTheScratchBuffer_IsWrittenWhole()
    {
        var template = MessageTemplate.Compile("payload { body: \"${random:5000}\" } response_size: ${seq}", SimpleRequest.Descriptor);

        var r = SimpleRequest.Parser.ParseFrom(template.Encode(new MessageSlot(Stream7, 9, DateTimeOffset.UtcNow)));

        Assert.Equal(5000, r.Payload.Body.Length);
        Assert.Equal(9, r.ResponseSize);
    }

    [Fact]
    public void Timestamp_InAStringAndAnInteger()
    {
        var r = Encode("response_status { code: ${timestamp:s} message: \"${timestamp}\" }");

        Assert.Equal(1_700_000_000, r.ResponseStatus.Code);
        Assert.Equal("2023-11-14T22:13:20.0000000Z", r.ResponseStatus.Message);
    }

    [Theory]
    [InlineData("response_status.code", "response_status { code: -42 }", "-42")]
    [InlineData("response_size", "response_size: ${seq}", "3")]
    [InlineData("payload.body", "payload { body: \"AB\" }", "4142")]
    [InlineData("response_status.message", "response_size: 1", null)]
    public void FieldPath_ReadsTheKeyFromTheBytes(string path, string template, string? expected)
    {
        var bytes = MessageTemplate.Compile(template, SimpleRequest.Descriptor).Encode(new MessageSlot(Stream7, 3, DateTimeOffset.UtcNow));

        Assert.Equal(expected, FieldPath.Resolve(SimpleRequest.Descriptor, path).Read(bytes));
    }

    [Fact]
    public void FieldPath_ThatEndsAtAMessage_IsRefused()
    {
        var e = Assert.Throws<WorkloadException>(() => FieldPath.Resolve(SimpleRequest.Descriptor, "payload"));

        Assert.Contains("must be a scalar field", e.Message);
    }
}
