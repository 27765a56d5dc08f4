using Google.Protobuf;
using Grpc.Core;
using LoadGen.Protos.Lab;

namespace LoadGen.Lab.Backend;

/// <summary>The lab's gRPC service: echoes every frame and obeys its directives.</summary>
internal sealed class LabService(LabBackendStats stats, TimeProvider timeProvider) : Protos.Lab.LabService.LabServiceBase
{
    public override async Task Chat(IAsyncStreamReader<ClientFrame> requestStream, IServerStreamWriter<ServerFrame> responseStream, ServerCallContext context)
    {
        stats.StreamStarted();
        try
        {
            // Headers go out at once, so a client can tell "stream open" from "first reply".
            await context.WriteResponseHeadersAsync([]);
            await ServeAsync(requestStream, responseStream, context);
        }
        finally
        {
            stats.StreamEnded();
        }
    }

    private async Task ServeAsync(IAsyncStreamReader<ClientFrame> requestStream, IServerStreamWriter<ServerFrame> responseStream, ServerCallContext context)
    {
        var ct = context.CancellationToken;
        ulong serverSeq = 0;
        int? endCountdown = null;
        Status endStatus = Status.DefaultSuccess;
        var payloadCache = ByteString.Empty;

        while (await requestStream.MoveNext(ct))
        {
            var frame = requestStream.Current;
            stats.MessageReceived();
            var directives = frame.Directives;
            if (directives is not null)
            {
                if (directives.Abort)
                {
                    context.GetHttpContext().Abort();
                    return;
                }

                if (directives.DelayMs > 0)
                {
                    await Task.Delay(TimeSpan.FromMilliseconds(directives.DelayMs), timeProvider, ct);
                }

                if (directives.EndStream)
                {
                    endCountdown = (int)directives.EndAfterMessages;
                    endStatus = new Status((StatusCode)directives.EndStatus, directives.EndDetail);
                }
            }

            var paused = stats.PauseLeft();
            if (paused > TimeSpan.Zero)
            {
                await Task.Delay(paused, ct);
            }

            var replies = Math.Max(1u, directives?.ReplyCount ?? 1u);
            var size = directives is { ReplySize: > 0 } ? (int)directives.ReplySize : frame.Payload.Length;
            if (payloadCache.Length != size)
            {
                payloadCache = ByteString.CopyFrom(new byte[size]);
            }

            for (uint i = 0; i < replies; i++)
            {
                await responseStream.WriteAsync(new ServerFrame
                {
                    Seq = frame.Seq,
                    ServerSeq = ++serverSeq,
                    ReplyIndex = i,
                    ServerTimeUnixNanos = timeProvider.GetUtcNow().ToUnixTimeMilliseconds() * 1_000_000,
                    Payload = payloadCache,
                }, ct);
                stats.MessageSent();
            }

            if (endCountdown is { } left)
            {
                if (left == 0)
                {
                    if (endStatus.StatusCode == StatusCode.OK)
                    {
                        return;
                    }

                    throw new RpcException(endStatus);
                }

                endCountdown = left - 1;
            }
        }
    }
}
