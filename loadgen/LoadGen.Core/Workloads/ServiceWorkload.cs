using Grpc.Core;

namespace LoadGen.Core.Workloads;

/// <summary>The data-driven workload: any bidi method, byte-level calls, messages from a template.</summary>
public static class ServiceWorkload
{
    private static readonly Marshaller<byte[]> Bytes = Marshallers.Create(b => b, b => b);

    /// <summary>Builds the workload a <c>service:</c> section describes, against descriptors compiled or fetched for it.</summary>
    /// <exception cref="Inputs.ScenarioException">Unknown or not-bidi method, a template that does not fit the request type, a match field that does not exist — at the setting's line.</exception>
    public static StreamWorkload Build(ServiceSpec spec, ProtoSchema schema)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(schema);
        Google.Protobuf.Reflection.MethodDescriptor method;
        try
        {
            method = schema.BidiMethod(spec.Method);
        }
        catch (WorkloadException e)
        {
            throw spec.Error("service.method", e.Message);
        }

        MessageTemplate template;
        try
        {
            template = MessageTemplate.Compile(spec.Message, method.InputType);
        }
        catch (TemplateSyntaxException e)
        {
            throw spec.Error("service.message", $"{e.Message} (template line {e.Line}; {method.InputType.FullName} is {method.Name}'s request)", Math.Max(0, e.Line));
        }

        var call = new Method<byte[], byte[]>(MethodType.DuplexStreaming, method.Service.FullName, method.Name, Bytes, Bytes);
        var workload = new BidiWorkload<byte[], byte[]>(
            ProtoSchema.Name(method),
            (invoker, options) => invoker.AsyncDuplexStreamingCall(call, null, options),
            (stream, seq) => template.Encode(new MessageSlot(stream, seq, DateTimeOffset.UtcNow)));
        switch (spec.Match)
        {
            case ReplyMatchKind.CountOnly:
                return workload.CountOnly();
            case ReplyMatchKind.ByKey:
                var requestField = spec.RequestField ?? throw spec.Error("service.match", "by-field needs the field that carries the id: add 'field: NAME' (and 'replyField:' when the reply names it differently)");
                var request = Resolve(spec, "service.field", method.InputType, requestField);
                var reply = Resolve(spec, spec.ReplyField is null ? "service.field" : "service.replyField", method.OutputType, spec.ReplyField ?? requestField);
                // Two sample messages: the id must be there, and differ from one message to the next.
                var probe = new StreamContext(1, "check");
                var (first, second) = (request.Read(template.Encode(new MessageSlot(probe, 1, DateTimeOffset.UtcNow))), request.Read(template.Encode(new MessageSlot(probe, 2, DateTimeOffset.UtcNow))));
                if (first is null)
                {
                    throw spec.Error("service.field", $"the message template does not set '{request.Text}', so no request would carry an id: set it, e.g. {request.Text.Split('.')[^1]}: ${{seq}}");
                }

                if (first == second)
                {
                    throw spec.Error("service.field", $"'{request.Text}' is '{first}' in every message of a stream, so replies could not be told apart: make it change per message, e.g. ${{seq}}");
                }

                return workload.MatchByKey(
                    m => request.Read(m) ?? "",
                    m => reply.Read(m),
                    $"request {request.Text} = reply {reply.Text}");
            default:
                return workload;
        }
    }

    private static FieldPath Resolve(ServiceSpec spec, string field, Google.Protobuf.Reflection.MessageDescriptor type, string path)
    {
        try
        {
            return FieldPath.Resolve(type, path);
        }
        catch (WorkloadException e)
        {
            throw spec.Error(field, $"{e.Message} ({type.FullName})");
        }
    }
}
