using System.CommandLine;
using System.Runtime.InteropServices;
using LoadGen.Cli.Commands;

namespace LoadGen.Cli;

internal static class Cli
{
    public static async Task<int> RunAsync(string[] args, TextWriter? stdout = null, TextWriter? stderr = null)
    {
        var console = new CliConsole(stdout ?? Console.Out, stderr ?? Console.Error);
        var root = new RootCommand(
            "LoadGen: load and soak tests for long-lived gRPC bidirectional streams.\n" +
            "Holds thousands of streams against one or more topologies, measures every message (HdrHistogram,\n" +
            "coordinated-omission corrected) and records why every stream ended, into a run folder.\n\n" +
            "Exit codes: 0 ok, 1 a gate failed (a threshold; compare-runs and compare with --gate: the comparison failed it — without\n" +
            "--gate a comparison only informs), 2 bad input (usage, scenario, an unusable run folder or one missing the data its thresholds\n" +
            "need, client limits that refused every reply), 3 the target never answered (no stream opened, or not one message answered), 4 LoadGen\n" +
            "itself failed (its own I/O, an internal error), 130 interrupted.");
        root.Subcommands.Add(RunCommand.Create(console));
        root.Subcommands.Add(DemoCommand.Create(console));
        root.Subcommands.Add(CompareCommand.Create(console));
        root.Subcommands.Add(ReportCommand.Create(console));
        root.Subcommands.Add(ReportCommand.CreateCompareRuns(console));
        root.Subcommands.Add(MergeCommand.Create(console));
        root.Subcommands.Add(HistoryCommand.Create(console));
        root.Subcommands.Add(ValidateCommand.Create(console));
        root.Subcommands.Add(ProbeCommand.Create(console));
        root.Subcommands.Add(LabCommand.Create(console));

        var parse = root.Parse(args);
        if (parse.Errors.Count > 0)
        {
            foreach (var e in parse.Errors)
            {
                console.Error($"error: {e.Message}");
            }

            console.Error("Run 'loadgen --help' for usage.");
            return ExitCodes.BadInput;
        }

        // First SIGINT/SIGTERM: stop gracefully and still write the run folder; a second one exits at once.
        using var stop = new CancellationTokenSource();
        var signals = 0;
        void OnSignal(PosixSignalContext ctx)
        {
            ctx.Cancel = true;
            if (Interlocked.Increment(ref signals) == 1)
            {
                console.Error($"\n{ctx.Signal}: stopping gracefully (open streams are closed, results written); send it again to exit at once");
                stop.Cancel();
                return;
            }

            // Not the signal's default action: a process started in the background inherits SIGINT
            // ignored, and the default would then do nothing at all.
            console.Error($"{ctx.Signal} again: exiting now; the run folder so far is reportable (loadgen report <run folder>)");
            Environment.Exit(ExitCodes.Interrupted);
        }

        using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal);
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal);
        try
        {
            return await parse.InvokeAsync(new InvocationConfiguration { ProcessTerminationTimeout = null, EnableDefaultExceptionHandler = false }, stop.Token);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // Never exit 1 (a failed gate) for LoadGen's own failure.
            console.Error($"error: LoadGen itself failed ({e.GetType().Name}: {e.Message}); this is not the target's doing nor a gate's verdict. Please report it with this trace:");
            console.Error(e.ToString());
            return ExitCodes.LoadGenFailed;
        }
    }
}

/// <summary>Where commands write: stdout for results, stderr for progress and errors.</summary>
internal sealed class CliConsole(TextWriter stdout, TextWriter stderr)
{
    public TextWriter Out { get; } = stdout;

    public TextWriter Err { get; } = stderr;

    private readonly Lock _lock = new();

    public void Line(string text)
    {
        lock (_lock)
        {
            Out.WriteLine(Core.Inputs.Secrets.Redact(text));
        }
    }

    /// <summary>
    /// A paragraph for a reader at a terminal: words wrapped at the table's width (80 columns off a terminal), the
    /// lines after the first indented by <paramref name="indent"/>. Nothing is cut; a word longer than a line keeps its line.
    /// <paramref name="progress"/>: to stderr, with the progress lines.
    /// </summary>
    public void Paragraph(string text, string indent = "    ", bool progress = false)
    {
        ArgumentNullException.ThrowIfNull(text);
        var width = Commands.RunCommand.TableWidth();
        var lead = text[..(text.Length - text.TrimStart(' ').Length)];
        var lines = new List<string>();
        var line = new System.Text.StringBuilder(lead);
        var empty = true;
        foreach (var word in text.TrimStart(' ').Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            if (!empty && line.Length + 1 + word.Length > width)
            {
                lines.Add(line.ToString());
                line.Clear().Append(indent);
                empty = true;
            }

            line.Append(empty ? "" : " ").Append(word);
            empty = false;
        }

        lines.Add(line.ToString());
        if (progress)
        {
            Error(string.Join(Environment.NewLine, lines));
        }
        else
        {
            Line(string.Join(Environment.NewLine, lines));
        }
    }

    /// <summary>Progress, warnings and errors; safe from any thread (fault events arrive from their own).</summary>
    public void Error(string text)
    {
        lock (_lock)
        {
            Err.WriteLine(Core.Inputs.Secrets.Redact(text));
        }
    }
}
