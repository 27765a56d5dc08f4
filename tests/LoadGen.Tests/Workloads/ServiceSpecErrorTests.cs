using LoadGen.Core.Inputs;
using LoadGen.Core.Scenarios;

namespace LoadGen.Tests.Workloads;

/// <summary>A service: section that cannot work says what, where, and what would.</summary>
public class ServiceSpecErrorTests
{
    private static async Task<ScenarioException> LoadFails(string service, string? extraProto = null)
    {
        var scenario = await TempScenario.WriteAsync("bad-service", OwnServiceTests.Yaml(new Uri("http://127.0.0.1:1"), service));
        if (extraProto is not null)
        {
            await File.WriteAllTextAsync(Path.Combine(scenario.Dir, "broken.proto"), extraProto);
        }

        var e = Assert.Throws<ScenarioException>(() => ScenarioLoader.LoadFile(scenario.File));
        Assert.Equal(scenario.File, e.File);
        return e;
    }

    private static string Service(string method, string message = "response_size: 1", string extra = "") => $"""
        service:
          proto: {OwnServiceTests.BenchmarkProto}
          importPaths: [{OwnServiceTests.Protos}]
          method: {method}
          message: '{message}'
        {extra}
        """;

    // The service: section starts on line 16 of OwnServiceTests.Yaml; its keys follow in order.
    private const int ServiceLine = 16;

    [Fact]
    public async Task UnknownMethod_IsNamed_WithWhatThereIs()
    {
        var e = await LoadFails(Service("grpc.testing.BenchmarkService/StreamingCal"));

        Assert.Equal("service.method", e.Field);
        Assert.Equal(ServiceLine + 3, e.Line);
        Assert.Contains("'grpc.testing.BenchmarkService/StreamingCal' is not in", e.Problem);
        Assert.Contains("grpc.testing.BenchmarkService/StreamingCall", e.Problem);
    }

    [Fact]
    public async Task UnaryMethod_IsRefused_AsNotBidi()
    {
        var e = await LoadFails(Service("grpc.testing.BenchmarkService/UnaryCall"));

        Assert.Equal("service.method", e.Field);
        Assert.Contains("is a unary method", e.Problem);
        Assert.Contains("'stream' on both sides", e.Problem);
        var server = await LoadFails(Service("grpc.testing.BenchmarkService/StreamingFromServer"));
        Assert.Contains("is a server streaming method", server.Problem);
    }

    [Fact]
    public async Task ProtoThatDoesNotCompile_CarriesProtocsMessage()
    {
        var e = await LoadFails("""
            service:
              proto: broken.proto
              method: x.Y/Z
              message: 'a: 1'
            """, "syntax = \"proto3\";\npackage x;\nmessage M { int32 a = 1 }\n");

        Assert.Equal("service.proto", e.Field);
        Assert.Equal(ServiceLine + 1, e.Line);
        Assert.Contains("do not compile", e.Problem);
        // protoc's own words: the file, line 3, and what it expected.
        Assert.Contains("broken.proto:3:", e.Problem);
        Assert.Contains("Expected \";\"", e.Problem);
    }

    [Fact]
    public async Task MissingProtoFile_IsNamed()
    {
        var e = await LoadFails(Service("grpc.testing.BenchmarkService/StreamingCall").Replace(OwnServiceTests.BenchmarkProto, "nowhere/service.proto", StringComparison.Ordinal));

        Assert.Equal("service.proto", e.Field);
        Assert.Contains("service.proto: no such file", e.Problem);
    }

    [Fact]
    public async Task TemplateFieldThatDoesNotExist_IsNamed_AtItsLine_WithTheFieldsThereAre()
    {
        var e = await LoadFails("""
            service:
              proto: PROTO
              importPaths: [DIR]
              method: grpc.testing.BenchmarkService/StreamingCall
              message: |
                response_size: 8
                payload { bdy: "x" }
            """.Replace("PROTO", OwnServiceTests.BenchmarkProto, StringComparison.Ordinal).Replace("DIR", OwnServiceTests.Protos, StringComparison.Ordinal));

        Assert.Equal("service.message", e.Field);
        // Line 2 of the template, the file's line 6 after 'message: |'.
        Assert.Equal(ServiceLine + 6, e.Line);
        Assert.Contains("'grpc.testing.SimpleRequest.payload.bdy' does not exist", e.Problem);
        Assert.Contains("body (bytes)", e.Problem);
    }

    [Fact]
    public async Task JsonTemplateFieldThatDoesNotExist_IsNamed_AtItsLine()
    {
        var e = await LoadFails($$"""
            service:
              proto: {{OwnServiceTests.BenchmarkProto}}
              importPaths: [{{OwnServiceTests.Protos}}]
              method: grpc.testing.BenchmarkService/StreamingCall
              message: |
                {
                  "responseSize": 8,
                  "payload": {"type": "COMPRESSABLE",
                              "bdy": "AAEC"}
                }
            """);

        Assert.Equal("service.message", e.Field);
        // Line 4 of the template.
        Assert.Equal(ServiceLine + 8, e.Line);
        Assert.Contains("'grpc.testing.SimpleRequest.payload.bdy' does not exist", e.Problem);
    }

    [Theory]
    [InlineData("response_size: \"${sequence}\"", "not a placeholder LoadGen knows")]
    [InlineData("response_size: big", "'big' is not one")]
    [InlineData("response_type: LOUD", "'LOUD' is not a value of grpc.testing.PayloadType")]
    [InlineData("payload: 3", "give it { fields }")]
    [InlineData("response_size: 1 response_size: 2", "is not repeated")]
    [InlineData("payload { body: \"${random}\" }", "random needs a size")]
    [InlineData("response_size: 99999999999", "out of its range")]
    [InlineData("payload { body: \"x\"", "'}' missing")]
    public async Task TemplateValueProblems_AreSaid(string message, string said)
    {
        var e = await LoadFails(Service("grpc.testing.BenchmarkService/StreamingCall", message));

        Assert.Equal("service.message", e.Field);
        Assert.Contains(said, e.Problem);
    }

    [Fact]
    public async Task ByField_WithAFieldTheReplyHasNot_IsNamed()
    {
        var e = await LoadFails(Service("grpc.testing.BenchmarkService/StreamingCall", extra: "  match: by-field\n  field: response_size"));

        Assert.Equal("service.field", e.Field);
        Assert.Contains("grpc.testing.SimpleResponse has no field 'response_size'", e.Problem);
    }

    [Theory]
    [InlineData("response_size: 1", "does not set 'response_status.code'")]
    [InlineData("response_status { code: 7 }", "is '7' in every message")]
    public async Task ByField_WithAnIdTheTemplateDoesNotVary_IsRefused(string message, string said)
    {
        var e = await LoadFails(Service("grpc.testing.BenchmarkService/StreamingCall", message, "  match: by-field\n  field: response_status.code\n  replyField: hostname"));

        Assert.Equal("service.field", e.Field);
        Assert.Contains(said, e.Problem);
    }

    [Fact]
    public async Task LabOnlyMessageSettings_AreRefused_WithAService()
    {
        var yaml = OwnServiceTests.Yaml(new Uri("http://127.0.0.1:1"), Service("grpc.testing.BenchmarkService/StreamingCall"))
            .Replace("  interval: 200ms", "  interval: 200ms\n  payloadBytes: 10", StringComparison.Ordinal);
        var scenario = await TempScenario.WriteAsync("lab-only", yaml);

        var e = Assert.Throws<ScenarioException>(() => ScenarioLoader.LoadFile(scenario.File));

        Assert.Equal("messages.payloadBytes", e.Field);
        Assert.Contains("lab service only", e.Problem);
    }
}
