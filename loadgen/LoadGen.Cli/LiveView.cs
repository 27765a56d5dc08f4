using System.Collections.Concurrent;
using System.Globalization;
using LoadGen.Core.Engine;
using LoadGen.Reports;
using LoadGen.Results;
using Spectre.Console;

namespace LoadGen.Cli;

/// <summary>
/// What a run shows while it goes. On a terminal: a live table (Spectre.Console) per topology —
/// elapsed against planned with a bar, phase, streams, opens/s, messages/s each way, p50/p99 of the
/// last interval, ends by cause in the last interval and in total — and the latest fault events.
/// Anywhere else (CI logs, | tee, tests): one plain line per topology per interval, and fault events
/// as lines. --quiet: nothing until the final summary.
/// </summary>
internal sealed class LiveView : IAsyncDisposable
{
    private readonly CliConsole _console;
    private readonly ConcurrentDictionary<string, ProgressSnapshot> _latest = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<string> _events = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _live = Task.CompletedTask;
    private readonly bool _quiet;

    private LiveView(CliConsole console, bool quiet, bool interactive)
    {
        _console = console;
        _quiet = quiet;
        if (interactive && !quiet)
        {
            _live = Task.Run(RunLiveAsync);
        }
    }

    /// <summary>Interactive when the console's error stream is the process's own and a terminal.</summary>
    public static LiveView Start(CliConsole console, bool quiet)
    {
        ArgumentNullException.ThrowIfNull(console);
        var interactive = ReferenceEquals(console.Err, Console.Error) && !Console.IsErrorRedirected && !Console.IsOutputRedirected
            && Environment.GetEnvironmentVariable("TERM") is not (null or "dumb");
        return new LiveView(console, quiet, interactive);
    }

    private bool Interactive => !_live.IsCompleted;

    public void Progress(ProgressSnapshot p)
    {
        if (_quiet)
        {
            return;
        }

        if (Interactive)
        {
            _latest[p.Topology] = p;
        }
        else
        {
            _console.Error(FormatLine(p));
        }
    }

    /// <summary>A fault event or any other line worth seeing as it happens.</summary>
    public void Event(string line)
    {
        if (Interactive)
        {
            _events.Enqueue(line);
            while (_events.Count > 5 && _events.TryDequeue(out _))
            {
            }
        }
        else
        {
            _console.Error(line);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _live;
        _stop.Dispose();
    }

    /// <summary>Widest plain line the live view writes with the usual values (k6 and ghz fit an 80-column terminal too).</summary>
    public const int Columns = 80;

    /// <summary>
    /// The plain lines, one group per topology per interval, stable to grep and parse: where the run is, then
    /// (indented) messages and latency, with the interval's ends after them when they fit in <see cref="Columns"/>,
    /// else on a line of their own.
    /// </summary>
    public static string FormatLine(ProgressSnapshot p)
    {
        ArgumentNullException.ThrowIfNull(p);
        var i = p.Interval;
        var head = string.Create(CultureInfo.InvariantCulture,
            $"[{p.Topology}] {p.Phase,-9} {Clock(p.Elapsed)}/{Clock(p.Planned)}  streams {p.ActiveStreams:#,0}/{p.TargetStreams:#,0}  opens/s {Rate(i, i?.Opened)}");
        var body = string.Create(CultureInfo.InvariantCulture,
            $"  msgs/s out {Rate(i, i?.Sent)} in {Rate(i, i?.Received)}  {(p.ReplyGaps ? "reply gap " : "")}p50 {SummaryTable.Ms(p.IntervalP50Ms)} p99 {SummaryTable.Ms(p.IntervalP99Ms)}");
        var ends = $"ends {Ends(i?.EndsByCause)} (total {Ends(p.TotalEnds)})";
        return body.Length + 2 + ends.Length <= Columns ? $"{head}\n{body}  {ends}" : $"{head}\n{body}\n  {ends}";
    }

    /// <summary>A count of the interval as a per-second rate; "-" before the first interval.</summary>
    private static string Rate(IntervalRecord? interval, long? count) => interval is null || count is null ? "-" :
        (count.Value / Math.Max(0.001, (interval.End - interval.Start).TotalSeconds)).ToString("#,0.#", CultureInfo.InvariantCulture);

    private static string Ends(IReadOnlyDictionary<string, long>? ends) =>
        ends is null || ends.Count == 0 ? "0" : string.Join(", ", ends.OrderByDescending(kv => kv.Value).Select(kv => $"{kv.Key} {kv.Value:#,0}"));

    private static string Clock(TimeSpan t) => t.TotalHours >= 1 ? t.ToString(@"h\:mm\:ss", CultureInfo.InvariantCulture) : t.ToString(@"mm\:ss", CultureInfo.InvariantCulture);

    private static string Bar(TimeSpan elapsed, TimeSpan planned, int width = 10)
    {
        var share = planned <= TimeSpan.Zero ? 1 : Math.Clamp(elapsed / planned, 0, 1);
        var full = (int)Math.Round(share * width);
        return $"[green]{new string('█', full)}[/][grey]{new string('░', width - full)}[/] {share:P0}";
    }

    private async Task RunLiveAsync()
    {
        var ansi = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Error) });
        await ansi.Live(Render()).AutoClear(false).StartAsync(async ctx =>
        {
            while (!_stop.IsCancellationRequested)
            {
                ctx.UpdateTarget(Render());
                try
                {
                    await Task.Delay(500, _stop.Token);
                }
                catch (OperationCanceledException)
                {
                    break;
                }
            }

            ctx.UpdateTarget(Render());
        });
    }

    private Rows Render()
    {
        var table = new Table().Border(TableBorder.Rounded).Expand();
        foreach (var h in new[] { "topology / phase", "elapsed", "streams", "opens/s", "msgs/s out/in", "p50 / p99", "ends (interval)", "ends (total)" })
        {
            table.AddColumn(new TableColumn(h));
        }

        foreach (var p in _latest.Values.OrderBy(p => p.Topology, StringComparer.Ordinal))
        {
            var i = p.Interval;
            table.AddRow(
                $"[bold]{Markup.Escape(p.Topology)}[/]\n{Markup.Escape(p.Phase)}",
                $"{Bar(p.Elapsed, p.Planned)}\n{Clock(p.Elapsed)}/{Clock(p.Planned)}",
                $"{p.ActiveStreams:#,0} / {p.TargetStreams:#,0}",
                Rate(i, i?.Opened),
                $"{Rate(i, i?.Sent)} / {Rate(i, i?.Received)}",
                $"{SummaryTable.Ms(p.IntervalP50Ms)} / {SummaryTable.Ms(p.IntervalP99Ms)}{(p.ReplyGaps ? "\n(reply gap)" : "")}",
                Markup.Escape(Ends(i?.EndsByCause)),
                Markup.Escape(Ends(p.TotalEnds)));
        }

        var rows = new List<Spectre.Console.Rendering.IRenderable> { table };
        rows.AddRange(_events.Select(e => new Markup($"[yellow]{Markup.Escape(e)}[/]")));
        return new Rows(rows);
    }
}
