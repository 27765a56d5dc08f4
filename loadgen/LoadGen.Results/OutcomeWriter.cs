using System.Text.Json;
using System.Threading.Channels;

namespace LoadGen.Results;

/// <summary>
/// Streams outcome records to outcomes.ndjson from a background task, so memory stays flat however
/// long the run, in the run folder's one NDJSON form (<see cref="Ndjson"/>); <see cref="FlushAsync"/> makes everything so far durable (called every interval).
/// </summary>
public sealed class OutcomeWriter : IAsyncDisposable
{
    private readonly Channel<OutcomeRecord> _queue = Channel.CreateUnbounded<OutcomeRecord>(new UnboundedChannelOptions { SingleReader = true });
    private readonly FileStream _file;
    private readonly Utf8JsonWriter _json;
    private readonly Task _pump;
    private readonly SemaphoreSlim _io = new(1, 1);

    public OutcomeWriter(string path)
    {
        _file = new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.Read, 64 * 1024, useAsync: true);
        _json = new Utf8JsonWriter(_file, new JsonWriterOptions { SkipValidation = true, Encoder = Ndjson.Options.Encoder });
        _pump = Task.Run(PumpAsync);
    }

    public void Write(OutcomeRecord record) => _queue.Writer.TryWrite(record);

    public async Task FlushAsync()
    {
        await _io.WaitAsync();
        try
        {
            await _json.FlushAsync();
            await _file.FlushAsync();
        }
        finally
        {
            _io.Release();
        }
    }

    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        await _pump;
        await FlushAsync();
        await _json.DisposeAsync();
        await _file.DisposeAsync();
        _io.Dispose();
    }

    private async Task PumpAsync()
    {
        await foreach (var r in _queue.Reader.ReadAllAsync())
        {
            await _io.WaitAsync();
            try
            {
                WriteLine(r);
            }
            finally
            {
                _io.Release();
            }
        }
    }

    private void WriteLine(OutcomeRecord r)
    {
        _json.Reset();
        JsonSerializer.Serialize(_json, r, Ndjson.Options);
        _json.Flush();
        _file.WriteByte((byte)'\n');
    }
}
