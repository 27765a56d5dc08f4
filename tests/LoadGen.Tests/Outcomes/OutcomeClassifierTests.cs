using System.Net.Http;
using System.Net.Sockets;
using System.Security.Authentication;
using Grpc.Core;
using LoadGen.Core.Outcomes;
using LoadGen.Results;
using LoadGen.Results.Analysis;

namespace LoadGen.Tests.Outcomes;

public class OutcomeClassifierTests
{
    // Shapes as Grpc.Net.Client builds them: RpcException whose Status.DebugException holds the transport error.
    private static RpcException Rpc(StatusCode code, string detail, Exception? debug = null) =>
        new(new Status(code, detail, debug));

    [Fact]
    public void RstStream_IsClassifiedByItsHttp2Code_NotItsText()
    {
        var reset = new HttpProtocolException(1, "The HTTP/2 server reset the stream. HTTP/2 error code 'PROTOCOL_ERROR' (0x1).", null);
        var e = Rpc(StatusCode.Internal, "Error reading next message. HttpProtocolException: ...", new IOException("read failed", reset));

        var c = OutcomeClassifier.Classify(e);

        Assert.Equal("rst:PROTOCOL_ERROR", c.Cause);
        Assert.Equal("Internal", c.GrpcStatus);
        Assert.Equal(1, c.Http2Code);
        Assert.Equal("RpcException > IOException > HttpProtocolException", c.ExceptionChain);
    }

    [Fact]
    public void InvalidDataTheClientFoundItself_IsAProtocolError_NeverAReset()
    {
        // SocketsHttpHandler's words when it finds the peer's HTTP/2 invalid (seen when a Go server closes an
        // aged connection, and at an HTTP/1.1 port): no RST_STREAM carried this code.
        var own = new HttpProtocolException(1, "The HTTP/2 server sent invalid data on the connection. HTTP/2 error code 'PROTOCOL_ERROR' (0x1). (HttpProtocolError)", null);

        var c = OutcomeClassifier.Classify(Rpc(StatusCode.Internal, "Error reading next message.", new IOException("The request was aborted.", own)));

        Assert.Equal("protocol-error:PROTOCOL_ERROR", c.Cause);
        Assert.Equal(1, c.Http2Code);
    }

    [Fact]
    public void WhatWasSeenOnTheWire_ComesFirst()
    {
        // WireWatch's findings sit under whatever the client built on them.
        var http1 = new LoadGen.Core.Connections.Http1AnswerException("HTTP/1.1 400 Bad Request");
        var aged = new LoadGen.Core.Connections.ClosedAfterGoAwayException(0, 2147483647, TimeSpan.FromSeconds(1), new IOException("Connection reset by peer"));

        Assert.Equal("http2-unavailable", OutcomeClassifier.Classify(Rpc(StatusCode.Unavailable, "Error starting gRPC call.", new HttpRequestException("An error occurred while sending the request.", http1))).Cause);
        var c = OutcomeClassifier.Classify(Rpc(StatusCode.Unavailable, "Error reading next message.", new IOException("The request was aborted.", aged)));
        Assert.Equal("connection-closed-after-goaway", c.Cause);
        Assert.Contains("after its GOAWAY (NO_ERROR", c.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void NoHttp2AtTheTarget_AlpnOrHandshake_IsHttp2Unavailable()
    {
        // TLS ALPN chose HTTP/1.1 (SocketsHttpHandler's own words and error kind).
        var alpn = new HttpRequestException(HttpRequestError.VersionNegotiationError,
            "Requesting HTTP version 2.0 with version policy RequestVersionExact while unable to establish HTTP/2 connection.");
        // No SETTINGS came back for the preface (seen at NGINX's HTTP/1.1 port).
        var handshake = new HttpRequestException(HttpRequestError.HttpProtocolError,
            "An HTTP/2 connection could not be established because the server did not complete the HTTP/2 handshake.");

        Assert.Equal("http2-unavailable", OutcomeClassifier.Classify(Rpc(StatusCode.Unavailable, "Error starting gRPC call.", alpn)).Cause);
        Assert.Equal("http2-unavailable", OutcomeClassifier.Classify(Rpc(StatusCode.Internal, "Error starting gRPC call.", handshake)).Cause);

        // The same words with a connection reset underneath (a clean CI clone, 1 of 59 streams: the lab backend
        // dropped a new connection right after reading its first stream): a dropped connection, not a missing HTTP/2.
        var reset = new HttpRequestException(HttpRequestError.HttpProtocolError,
            "An HTTP/2 connection could not be established because the server did not complete the HTTP/2 handshake.",
            new IOException("Unable to read data from the transport connection: Connection reset by peer.", new System.Net.Sockets.SocketException((int)System.Net.Sockets.SocketError.ConnectionReset)));
        Assert.Equal("connection-lost", OutcomeClassifier.Classify(Rpc(StatusCode.Internal, "Error starting gRPC call.", reset)).Cause);
    }

    [Fact]
    public void KeepalivePingTimeout_IsNotAServerReset()
    {
        // As .NET 10 reports it (seen in the lab with NGINX frozen): a PROTOCOL_ERROR no server sent.
        var ping = new HttpProtocolException(1, "The HTTP/2 server didn't respond to a ping request within the configured KeepAlivePingDelay. (HttpProtocolError)", null);

        var c = OutcomeClassifier.Classify(Rpc(StatusCode.Internal, "Error reading next message. HttpProtocolException: ...", ping));

        Assert.Equal("keepalive-timeout", c.Cause);
    }

    [Fact]
    public void GoawayDuringAWrite_RawHttpRequestException_IsGoaway()
    {
        var goaway = new HttpProtocolException(0, "The HTTP/2 server closed the connection. HTTP/2 error code 'NO_ERROR' (0x0).", null);
        var e = new HttpRequestException("The request was aborted.", goaway);

        var c = OutcomeClassifier.Classify(e);

        Assert.Equal("goaway:NO_ERROR", c.Cause);
        Assert.Null(c.GrpcStatus);
        Assert.Equal(0, c.Http2Code);
    }

    [Fact]
    public void RefusedAfterTheFirstWrite_IsNotProcessed_EvenWithAProtocolErrorInTheChain()
    {
        // SocketsHttpHandler's retry fails on LoadGen's once-only body; the refusal itself may sit deeper.
        var refused = new HttpProtocolException(7, "The HTTP/2 server reset the stream. HTTP/2 error code 'REFUSED_STREAM' (0x7).", null);
        var e = Rpc(StatusCode.Internal, "Error starting gRPC call. StreamNotProcessedException: ...",
            new LoadGen.Core.Connections.StreamNotProcessedException("refused", refused));

        Assert.Equal("not-processed", OutcomeClassifier.Classify(e).Cause);
    }

    [Fact]
    public void TrailersWithStatus_AreServerStatus()
    {
        Assert.Equal("server-status:ResourceExhausted", OutcomeClassifier.Classify(Rpc(StatusCode.ResourceExhausted, "quota")).Cause);
        Assert.Equal("server-status:Unavailable", OutcomeClassifier.Classify(Rpc(StatusCode.Unavailable, "no healthy upstream")).Cause);
    }

    [Fact]
    public void RefusedConnection_IsConnectFailed()
    {
        var e = Rpc(StatusCode.Unavailable, "Error starting gRPC call.",
            new HttpRequestException(HttpRequestError.ConnectionError, "Connection refused (127.0.0.1:1)", new SocketException((int)SocketError.ConnectionRefused)));

        Assert.Equal("connect-failed", OutcomeClassifier.Classify(e).Cause);
    }

    [Fact]
    public void TlsHandshakeFailure_IsTlsFailed()
    {
        var e = Rpc(StatusCode.Unavailable, "Error starting gRPC call.",
            new HttpRequestException("The SSL connection could not be established", new AuthenticationException("remote certificate is invalid")));

        Assert.Equal("tls-failed", OutcomeClassifier.Classify(e).Cause);
    }

    [Fact]
    public void SocketResetMidStream_IsConnectionLost()
    {
        var e = Rpc(StatusCode.Unavailable, "Error reading next message.",
            new IOException("Unable to read data", new SocketException((int)SocketError.ConnectionReset)));

        Assert.Equal("connection-lost", OutcomeClassifier.Classify(e).Cause);
    }

    [Fact]
    public void NonOkHttpAnswer_IsHttpStatus_WithTheProxySignatureKept()
    {
        var e = Rpc(StatusCode.Unavailable, "Bad gRPC response. HTTP status code: 503");
        var c = OutcomeClassifier.Classify(e);

        Assert.Equal("http-status:503", c.Cause);
        Assert.Equal("Unavailable", c.GrpcStatus);
        Assert.Contains("HTTP status code: 503", c.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void PingTimeout_IsKeepaliveTimeout()
    {
        var e = Rpc(StatusCode.Unavailable, "Error reading next message.",
            new HttpRequestException("The HTTP/2 server didn't respond to a ping request within the configured KeepAlivePingTimeout."));

        Assert.Equal("keepalive-timeout", OutcomeClassifier.Classify(e).Cause);
    }

    [Theory]
    [InlineData(7, "REFUSED_STREAM")]
    [InlineData(8, "CANCEL")]
    [InlineData(0xb, "ENHANCE_YOUR_CALM")]
    [InlineData(0x42, "0x42")]
    public void Http2ErrorNames_FollowRfc9113(long code, string name) =>
        Assert.Equal(name, EndCauses.Http2ErrorName(code));
}
