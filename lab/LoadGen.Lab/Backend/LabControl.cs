using System.Collections.Concurrent;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Http;

namespace LoadGen.Lab.Backend;

/// <summary>Faults on cue for the whole backend: pause it, reset every stream, end every connection; and connection aging.</summary>
/// <param name="maxAge">MAX_CONNECTION_AGE: GOAWAY this long after a connection opened; null for never.</param>
/// <param name="grace">MAX_CONNECTION_AGE_GRACE: then closed this long after the GOAWAY, streams open or not.</param>
public sealed class LabControl(TimeSpan? maxAge = null, TimeSpan grace = default)
{
    private readonly ConcurrentDictionary<string, ConnectionContext> _connections = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<HttpContext, byte> _streams = new();
    private long _pausedUntilTicks;

    /// <summary>
    /// Stalls the whole backend: no stream replies until <paramref name="duration"/> has passed
    /// (frames are still read). Imitates a GC pause or a starved CPU on the server.
    /// </summary>
    public void Pause(TimeSpan duration) =>
        Interlocked.Exchange(ref _pausedUntilTicks, DateTime.UtcNow.Ticks + duration.Ticks);

    /// <summary>Resets every open stream (RST_STREAM INTERNAL_ERROR): a mass reset. Returns how many.</summary>
    public int AbortAllStreams()
    {
        var n = 0;
        foreach (var s in _streams.Keys)
        {
            s.Abort();
            n++;
        }

        return n;
    }

    /// <summary>Ends every client connection: gracefully with GOAWAY, or by dropping it. Returns how many.</summary>
    public int EndAllConnections(bool graceful)
    {
        var n = 0;
        foreach (var c in _connections.Values)
        {
            End(c, graceful);
            n++;
        }

        return n;
    }

    internal TimeSpan PauseLeft()
    {
        var left = Interlocked.Read(ref _pausedUntilTicks) - DateTime.UtcNow.Ticks;
        return left > 0 ? TimeSpan.FromTicks(left) : TimeSpan.Zero;
    }

    internal void StreamStarted(HttpContext context) => _streams.TryAdd(context, 0);

    internal void StreamEnded(HttpContext context) => _streams.TryRemove(context, out _);

    /// <summary>Ends the connection a request runs on.</summary>
    internal void EndConnectionOf(HttpContext context, bool graceful)
    {
        if (_connections.TryGetValue(context.Connection.Id, out var c))
        {
            End(c, graceful);
        }
    }

    /// <summary>Connections ended by age so far: GOAWAYs sent, and connections closed after the grace.</summary>
    public (int GoAways, int Closed) Aged => (Volatile.Read(ref _agedGoAways), Volatile.Read(ref _agedClosed));

    private int _agedGoAways;
    private int _agedClosed;

    internal async Task TrackAsync(ConnectionContext connection, ConnectionDelegate next)
    {
        _connections[connection.ConnectionId] = connection;
        using var done = new CancellationTokenSource();
        var aging = maxAge is { } age ? AgeAsync(connection, age, done.Token) : Task.CompletedTask;
        try
        {
            await next(connection);
        }
        finally
        {
            _connections.TryRemove(connection.ConnectionId, out _);
            await done.CancelAsync();
            await aging;
        }
    }

    /// <summary>MAX_CONNECTION_AGE as grpc-go does it: GOAWAY at the age, the connection closed after the grace with its streams still open.</summary>
    private async Task AgeAsync(ConnectionContext connection, TimeSpan age, CancellationToken ended)
    {
        try
        {
            await Task.Delay(age, ended);
            if (connection.Features.Get<IConnectionLifetimeNotificationFeature>() is { } notify)
            {
                notify.RequestClose();
                Interlocked.Increment(ref _agedGoAways);
            }

            await Task.Delay(grace, ended);
            connection.Abort(new ConnectionAbortedException("lab: connection closed after MAX_CONNECTION_AGE_GRACE"));
            Interlocked.Increment(ref _agedClosed);
        }
        catch (OperationCanceledException)
        {
            // The connection ended first.
        }
    }

    private static void End(ConnectionContext c, bool graceful)
    {
        if (graceful && c.Features.Get<IConnectionLifetimeNotificationFeature>() is { } notify)
        {
            notify.RequestClose();
        }
        else
        {
            c.Abort(new ConnectionAbortedException("lab: connection dropped on cue"));
        }
    }
}
