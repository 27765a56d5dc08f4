using System.Net;
using System.Security.Cryptography;
using System.Text;
using LoadGen.Lab.Backend;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Logging;

namespace LoadGen.Lab.Esp;

/// <summary>
/// The ESP stand-in's credential check, out of NGINX as ESP's own is (Service Control for API keys,
/// its JWT verifier for tokens): NGINX asks it with <c>auth_request</c> for every new stream, and it
/// answers 204 or 401 from the credentials it holds in memory. So the credentials the stand-in wants
/// never appear in nginx.conf or anywhere else on disk.
/// </summary>
internal sealed class CredentialCheck : IAsyncDisposable
{
    private readonly WebApplication _app;

    private CredentialCheck(WebApplication app, Uri address)
    {
        _app = app;
        Address = address;
    }

    /// <summary>The URL NGINX's auth subrequest goes to (HTTP/1.x on loopback).</summary>
    public Uri Address { get; }

    /// <param name="wanted">Read on every check, so a reconfiguration takes effect without a restart.</param>
    public static async Task<CredentialCheck> StartAsync(Func<EspOptions> wanted, CancellationToken cancellationToken)
    {
        var port = LabBackend.FreePort(IPAddress.Loopback);
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { ContentRootPath = AppContext.BaseDirectory, Args = [] });
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, port, l => l.Protocols = HttpProtocols.Http1));
        var app = builder.Build();
        app.Map("/check", (HttpContext c) => Allows(wanted(), c.Request.Headers) ? Results.NoContent() : Results.StatusCode(StatusCodes.Status401Unauthorized));
        await app.StartAsync(cancellationToken);
        return new CredentialCheck(app, new Uri($"http://127.0.0.1:{port}/check"));
    }

    /// <summary>ESP's rules, simplified: the exact <c>x-api-key</c>, and <c>authorization: Bearer {token}</c>, where wanted.</summary>
    internal static bool Allows(EspOptions wanted, IHeaderDictionary headers) =>
        (wanted.ApiKey is not { } key || Same(headers["x-api-key"].ToString(), key)) &&
        (wanted.BearerToken is not { } token || Same(headers.Authorization.ToString(), $"Bearer {token}"));

    private static bool Same(string given, string wanted) =>
        CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(given), Encoding.UTF8.GetBytes(wanted));

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync(CancellationToken.None);
        await _app.DisposeAsync();
    }
}
