using System.Globalization;
using LoadGen.Core.Inputs;
using Microsoft.Extensions.Logging;

namespace LoadGen.Cli;

/// <summary>
/// loadgen.log in the run folder: one line per event (time, level, event id and name, category,
/// message), secrets redacted as everywhere. Events before the folder exists (the lab coming up) are
/// held and written when it is attached. The console never shows these: it has its own lines.
/// </summary>
internal sealed class RunLog : ILoggerProvider
{
    public const string FileName = LoadGen.Results.RunFolder.LogFile;

    private readonly Lock _lock = new();
    private readonly List<string> _held = [];
    private readonly LogLevel _level;
    private StreamWriter? _writer;

    public RunLog(LogLevel level)
    {
        _level = level;
        Factory = LoggerFactory.Create(b => b.SetMinimumLevel(level).AddProvider(this));
    }

    public ILoggerFactory Factory { get; }

    /// <summary>Starts writing to <paramref name="folder"/>/loadgen.log, with what was held until now.</summary>
    public void Attach(string folder)
    {
        lock (_lock)
        {
            if (_writer is not null)
            {
                return;
            }

            _writer = new StreamWriter(Path.Combine(folder, FileName), append: true) { AutoFlush = true, NewLine = "\n" };
            _held.ForEach(_writer.WriteLine);
            _held.Clear();
        }
    }

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void Dispose()
    {
        lock (_lock)
        {
            _writer?.Dispose();
            _writer = null;
        }
    }

    private void Write(string line)
    {
        lock (_lock)
        {
            if (_writer is null)
            {
                _held.Add(line);
            }
            else
            {
                _writer.WriteLine(line);
            }
        }
    }

    private sealed class Logger(RunLog log, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= log._level && logLevel != LogLevel.None;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            ArgumentNullException.ThrowIfNull(formatter);
            if (!IsEnabled(logLevel))
            {
                return;
            }

            var text = formatter(state, exception) + (exception is null ? "" : "\n" + exception);
            log.Write(Secrets.Redact(string.Create(CultureInfo.InvariantCulture,
                $"{DateTimeOffset.UtcNow:yyyy-MM-ddTHH:mm:ss.fffZ} {Level(logLevel)} [{eventId.Id} {eventId.Name}] {category}: {text}")));
        }

        private static string Level(LogLevel l) => l switch
        {
            LogLevel.Trace => "TRACE",
            LogLevel.Debug => "DEBUG",
            LogLevel.Information => "INFO ",
            LogLevel.Warning => "WARN ",
            LogLevel.Error => "ERROR",
            _ => "CRIT ",
        };
    }
}
