using Grpc.Core;
using LoadGen.Protos.Lab;

namespace LoadGen.Tests.Foreign;

/// <summary>What a foreign server does with each stream, as production handlers do.</summary>
/// <param name="StopReplyingAfter">Answer this many messages, then read on without answering (0: answer all).</param>
/// <param name="EndOkAfter">End every stream with OK this long after it opened (null: never).</param>
/// <param name="RefuseWith">End every stream at once with this status, before reading anything (a trailers-only answer).</param>
public sealed record ForeignHandler(int StopReplyingAfter = 0, TimeSpan? EndOkAfter = null, StatusCode? RefuseWith = null);

/// <summary>
/// A gRPC server on grpc C-core (the Grpc.Core package's native library — the core that C++, Python, Ruby and PHP
/// servers run on), in this process, h2c on loopback, serving the lab's Chat method as an echo. Its channel
/// arguments are the server options users set in production (grpc.max_connection_age_ms, keepalive enforcement…).
/// </summary>
internal sealed class CCoreServer : IAsyncDisposable
{
    private readonly Server _server;

    private CCoreServer(Server server, int port)
    {
        _server = server;
        Address = new Uri($"http://127.0.0.1:{port}");
    }

    public Uri Address { get; private init; }

    /// <summary>The CA a client trusts for this server's TLS; null for h2c.</summary>
    public string? CaFile { get; private init; }

    /// <param name="args">C-core channel arguments, e.g. ("grpc.max_connection_age_ms", 3000).</param>
    public static CCoreServer Start(ForeignHandler handler, params (string Name, int Value)[] args) => Start(handler, null, args);

    /// <param name="tls">Serve TLS with the lab's server certificate (C-core's own TLS); null for h2c.</param>
    /// <param name="args">C-core channel arguments, e.g. ("grpc.max_connection_age_ms", 3000).</param>
    public static CCoreServer Start(ForeignHandler handler, LoadGen.Lab.Tls.LabCertificates? tls, params (string Name, int Value)[] args)
    {
        var credentials = tls is null ? ServerCredentials.Insecure
            : new SslServerCredentials([new KeyCertificatePair(File.ReadAllText(tls.ServerCertificateFile), File.ReadAllText(tls.ServerKeyFile))]);
        var server = new Server(args.Select(a => new ChannelOption(a.Name, a.Value)))
        {
            Services = { LabService.BindService(new Echo(handler)) },
            Ports = { new ServerPort("127.0.0.1", 0, credentials) },
        };
        server.Start();
        var port = server.Ports.Single().BoundPort;
        return new CCoreServer(server, port)
        {
            Address = new Uri($"{(tls is null ? "http" : "https")}://127.0.0.1:{port}"),
            CaFile = tls?.CaFile,
        };
    }

    public async ValueTask DisposeAsync() => await _server.KillAsync();

    private sealed class Echo(ForeignHandler handler) : LabService.LabServiceBase
    {
        public override async Task Chat(IAsyncStreamReader<ClientFrame> requestStream, IServerStreamWriter<ServerFrame> responseStream, ServerCallContext context)
        {
            if (handler.RefuseWith is { } refused)
            {
                throw new RpcException(new Status(refused, "not serving"));
            }

            // Grpc.Core's MoveNext(token) cancels the whole call when the token fires: the handler's own end races the read instead.
            var ending = handler.EndOkAfter is { } after ? Task.Delay(after) : Task.Delay(Timeout.Infinite, context.CancellationToken);
            var answered = 0;
            while (true)
            {
                var next = requestStream.MoveNext();
                if (await Task.WhenAny(next, ending) == ending || !await next)
                {
                    return;
                }

                if (handler.StopReplyingAfter > 0 && answered >= handler.StopReplyingAfter)
                {
                    continue;
                }

                var frame = requestStream.Current;
                await responseStream.WriteAsync(new ServerFrame { Seq = frame.Seq, Payload = frame.Payload });
                answered++;
            }
        }
    }
}
