using Google.Protobuf;
using Grpc.Core;
using Grpc.Net.Client;
using Grpc.Reflection.V1Alpha;
using LoadGen.Core.Connections;
using LoadGen.Core.Engine;
using LoadGen.Core.Scenarios;
using LoadGen.Core.Workloads;

namespace LoadGen.Core.Engine;

/// <summary>
/// Fetches a method's descriptors from the server's reflection service (grpc.reflection.v1alpha),
/// for a <c>service:</c> section with <c>reflect: true</c> (or <c>--reflect</c>) and no .proto files.
/// </summary>
public static class ServiceReflection
{
    /// <summary>When the scenario waits for reflection: asks the first target and builds the workload.</summary>
    /// <exception cref="Inputs.ScenarioException">The server does not answer reflection, does not know the service, or the method/template does not fit.</exception>
    public static async Task<Scenario> ResolveAsync(Scenario scenario, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(scenario);
        if (scenario.Workload is not null || scenario.Service is not { Reflect: true } spec)
        {
            return scenario;
        }

        var target = scenario.Targets.Count > 0 ? scenario.Targets[0] : throw spec.Error("service.reflect", "no target to ask");
        ProtoSchema schema;
        try
        {
            schema = await FetchAsync(target, spec.Method, cancellationToken);
        }
        catch (WorkloadException e)
        {
            throw spec.Error(spec.Spots.ContainsKey("service.reflect") ? "service.reflect" : "service.method", e.Message);
        }

        return scenario with { Workload = ServiceWorkload.Build(spec, schema) };
    }

    /// <summary>The files defining <paramref name="method"/>'s service, with their imports, as the server describes them.</summary>
    /// <exception cref="WorkloadException">Reflection failed or the server does not know the service.</exception>
    public static async Task<ProtoSchema> FetchAsync(TargetOptions target, string method, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(target);
        ArgumentNullException.ThrowIfNull(method);
        var split = method.LastIndexOf('/') is var slash and >= 0 ? slash : method.LastIndexOf('.');
        var service = split > 0 ? method[..split] : method;
        using var channel = TargetChannelFactory.Create(target);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(30));
        var headers = MetadataSource.Create(target, TimeProvider.System)?.Current();
        var files = new Dictionary<string, ByteString>(StringComparer.Ordinal);
        try
        {
            using var call = new ServerReflection.ServerReflectionClient(channel).ServerReflectionInfo(headers, cancellationToken: timeout.Token);
            var asked = new Queue<ServerReflectionRequest>([new ServerReflectionRequest { FileContainingSymbol = service }]);
            var requested = new HashSet<string>(StringComparer.Ordinal);
            while (asked.TryDequeue(out var request))
            {
                try
                {
                    await call.RequestStream.WriteAsync(request, timeout.Token);
                }
                catch (RpcException) when (!timeout.IsCancellationRequested)
                {
                    // The server may already have answered with its status alone (Unimplemented, when it offers no
                    // reflection), and the write lost the race with it (seen as Cancelled): the read below brings the status.
                }

                if (!await call.ResponseStream.MoveNext(timeout.Token))
                {
                    throw new WorkloadException($"the reflection service at {target.Address} ended the stream without an answer");
                }

                var response = call.ResponseStream.Current;
                if (response.ErrorResponse is { } error)
                {
                    throw new WorkloadException(request.FileContainingSymbol.Length > 0
                        ? $"the server at {target.Address} does not know service '{service}' (reflection: {(StatusCode)error.ErrorCode} {error.ErrorMessage}); {await ListAsync(channel, headers, timeout.Token)}"
                        : $"the server at {target.Address} could not describe {request.FileByFilename}: {error.ErrorMessage}");
                }

                foreach (var bytes in response.FileDescriptorResponse?.FileDescriptorProto ?? [])
                {
                    var file = Google.Protobuf.Reflection.FileDescriptorProto.Parser.ParseFrom(bytes);
                    files.TryAdd(file.Name, bytes);
                    requested.Add(file.Name);
                    // A server may answer with the file alone: ask for each import it did not send.
                    foreach (var dep in file.Dependency.Where(d => requested.Add(d)))
                    {
                        asked.Enqueue(new ServerReflectionRequest { FileByFilename = dep });
                    }
                }
            }

            await call.RequestStream.CompleteAsync();
        }
        catch (RpcException e) when (e.StatusCode == StatusCode.Unimplemented)
        {
            throw new WorkloadException($"the server at {target.Address} does not offer reflection (grpc.reflection.v1alpha.ServerReflection is unimplemented there): give the .proto files in service.proto instead");
        }
        catch (RpcException e)
        {
            throw new WorkloadException($"reflection at {target.Address} failed: {e.Status.StatusCode} {e.Status.Detail}");
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new WorkloadException($"reflection at {target.Address} did not answer within 30 s");
        }

        return ProtoSchema.FromFiles(files.Values, $"server reflection at {target.Address}");
    }

    private static async Task<string> ListAsync(GrpcChannel channel, Metadata? headers, CancellationToken ct)
    {
        try
        {
            using var call = new ServerReflection.ServerReflectionClient(channel).ServerReflectionInfo(headers, cancellationToken: ct);
            await call.RequestStream.WriteAsync(new ServerReflectionRequest { ListServices = "" }, ct);
            await call.RequestStream.CompleteAsync();
            return await call.ResponseStream.MoveNext(ct) && call.ResponseStream.Current.ListServicesResponse is { } list
                ? $"services there: {string.Join(", ", list.Service.Select(s => s.Name))}"
                : "it did not list its services";
        }
        catch (RpcException)
        {
            return "it did not list its services";
        }
    }
}
