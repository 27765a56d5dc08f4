using Grpc.Core;
using LoadGen.Core.Inputs;
using LoadGen.Core.Scenarios;

namespace LoadGen.Core.Connections;

/// <summary>
/// The request metadata every stream of a target carries: the scenario's entries with their
/// ${env:…} and ${file:…} values filled in, and the compression request. File values are read again
/// every <see cref="TargetOptions.MetadataRefresh"/>, so a token rotated on disk during a soak is
/// picked up by the streams opened after; if a re-read fails the last good value stays in use and
/// the failure is counted. Every value read is registered with <see cref="Secrets"/>.
/// </summary>
public sealed class MetadataSource
{
    private readonly TargetOptions _target;
    private readonly TimeProvider _time;
    private readonly bool _refreshes;
    private readonly Lock _lock = new();
    private Metadata _current;
    private long _readAt;
    private long _refreshFailures;

    private MetadataSource(TargetOptions target, TimeProvider time)
    {
        _target = target;
        _time = time;
        _refreshes = target.Metadata.Any(m => MetadataTemplate.Placeholders(m.Template).Any(p => p.Kind == "file"));
        _current = Read();
        _readAt = time.GetTimestamp();
    }

    /// <summary>Re-reads that failed (the last good values stayed in use).</summary>
    public long RefreshFailures => Interlocked.Read(ref _refreshFailures);

    /// <summary>The last re-read failure, redacted; null when none failed.</summary>
    public string? LastRefreshError { get; private set; }

    /// <summary>Null when the target sends no metadata; reads every value once, so a missing one fails here.</summary>
    /// <exception cref="InputException">A value cannot be read: the message names the target, header and source.</exception>
    public static MetadataSource? Create(TargetOptions target, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(target);
        return target.Metadata.Count == 0 && target.Compression is null ? null : new MetadataSource(target, time ?? TimeProvider.System);
    }

    /// <summary>The metadata for a stream opening now (shared: callers must not change it).</summary>
    public Metadata Current()
    {
        if (_refreshes && _time.GetElapsedTime(Interlocked.Read(ref _readAt)) >= _target.MetadataRefresh)
        {
            lock (_lock)
            {
                if (_time.GetElapsedTime(_readAt) >= _target.MetadataRefresh)
                {
                    try
                    {
                        _current = Read();
                    }
                    catch (InputException e)
                    {
                        Interlocked.Increment(ref _refreshFailures);
                        LastRefreshError = Secrets.Redact(e.Message);
                    }

                    Interlocked.Exchange(ref _readAt, _time.GetTimestamp());
                }
            }
        }

        return Volatile.Read(ref _current);
    }

    private Metadata Read()
    {
        var metadata = new Metadata();
        foreach (var entry in _target.Metadata)
        {
            string value;
            try
            {
                value = MetadataTemplate.Expand(entry.Template, Secrets.Register);
            }
            catch (InputException e)
            {
                throw new InputException($"target '{_target.Name}', metadata '{entry.Name}': {Secrets.Redact(e.Message)}", e);
            }

            if (MetadataTemplate.NotAscii(value) is { } at)
            {
                throw new InputException($"target '{_target.Name}', metadata '{entry.Name}': the value read has a character that is not printable ASCII at position {at + 1}: gRPC metadata values are printable ASCII");
            }

            metadata.Add(entry.Name, value);
        }

        if (_target.Compression is { } compression)
        {
            // Grpc.Net.Client's per-call switch: compress this call's messages with that provider.
            metadata.Add("grpc-internal-encoding-request", compression);
        }

        return metadata;
    }
}
