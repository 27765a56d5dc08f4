using System.Net.Http;
using Grpc.Core;
using Grpc.Net.Client;
using LoadGen.Core.Outcomes;
using LoadGen.Lab.Backend;
using LoadGen.Protos.Lab;

namespace LoadGen.Tests.Integration;

/// <summary>The lab backend obeys its directives; what the .NET client then sees is pinned here.</summary>
public class LabBackendTests
{
    private static (GrpcChannel Channel, LabService.LabServiceClient Client) Connect(LabBackend b)
    {
        var channel = GrpcChannel.ForAddress(b.GrpcAddress);
        return (channel, new LabService.LabServiceClient(channel));
    }

    [Fact]
    public async Task Echo_RepliesWithTheSequenceNumber_FanOutAndReplySize()
    {
        await using var backend = await LabBackend.StartAsync(new LabBackendOptions());
        var (channel, client) = Connect(backend);
        using var _ = channel;
        using var call = client.Chat();

        await call.RequestStream.WriteAsync(new ClientFrame { Seq = 41, Directives = new Directives { ReplyCount = 3, ReplySize = 100 } });
        var replies = new List<ServerFrame>();
        for (var i = 0; i < 3 && await call.ResponseStream.MoveNext(); i++)
        {
            replies.Add(call.ResponseStream.Current);
        }

        await call.RequestStream.CompleteAsync();
        Assert.False(await call.ResponseStream.MoveNext());
        Assert.Equal([41UL, 41UL, 41UL], replies.Select(r => r.Seq));
        Assert.Equal([0U, 1U, 2U], replies.Select(r => r.ReplyIndex));
        Assert.Equal([1UL, 2UL, 3UL], replies.Select(r => r.ServerSeq));
        Assert.All(replies, r => Assert.Equal(100, r.Payload.Length));
        Assert.Equal(StatusCode.OK, call.GetStatus().StatusCode);
    }

    [Fact]
    public async Task EndStream_AfterNMessages_EndsWithTheAskedStatus()
    {
        await using var backend = await LabBackend.StartAsync(new LabBackendOptions());
        var (channel, client) = Connect(backend);
        using var _ = channel;
        using var call = client.Chat();

        await call.RequestStream.WriteAsync(new ClientFrame { Seq = 1, Directives = new Directives { EndStream = true, EndAfterMessages = 2, EndStatus = (int)StatusCode.ResourceExhausted, EndDetail = "lab says stop" } });
        await call.RequestStream.WriteAsync(new ClientFrame { Seq = 2 });
        await call.RequestStream.WriteAsync(new ClientFrame { Seq = 3 });
        var seen = new List<ulong>();
        var e = await Assert.ThrowsAsync<RpcException>(async () =>
        {
            while (await call.ResponseStream.MoveNext())
            {
                seen.Add(call.ResponseStream.Current.Seq);
            }
        });

        Assert.Equal([1UL, 2UL, 3UL], seen);
        Assert.Equal(StatusCode.ResourceExhausted, e.StatusCode);
        Assert.Equal("lab says stop", e.Status.Detail);
        Assert.Equal("server-status:ResourceExhausted", OutcomeClassifier.Classify(e).Cause);
    }

    [Fact]
    public async Task Abort_ResetsTheStream_ClientSeesAnRstWithItsCode()
    {
        await using var backend = await LabBackend.StartAsync(new LabBackendOptions());
        var (channel, client) = Connect(backend);
        using var _ = channel;
        using var call = client.Chat();
        await call.ResponseHeadersAsync;

        await call.RequestStream.WriteAsync(new ClientFrame { Seq = 1, Directives = new Directives { Abort = true } });
        var e = await Assert.ThrowsAsync<RpcException>(() => call.ResponseStream.MoveNext());

        // Kestrel's HttpContext.Abort() resets the stream with INTERNAL_ERROR (observed, pinned here).
        var c = OutcomeClassifier.Classify(e);
        Assert.Equal("rst:INTERNAL_ERROR", c.Cause);
        Assert.Equal(2, c.Http2Code);
        Assert.Equal(StatusCode.Internal, e.StatusCode);
    }

    [Fact]
    public async Task Healthz_OnTheHttp1Port_Returns200()
    {
        await using var backend = await LabBackend.StartAsync(new LabBackendOptions());
        using var http = new HttpClient();

        var response = await http.GetAsync(backend.HealthAddress);

        Assert.Equal(System.Net.HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("ok\n", await response.Content.ReadAsStringAsync());
    }
}
