using System.CommandLine;
using LoadGen.Results;

namespace LoadGen.Cli.Commands;

/// <summary>
/// How a comparison is judged, on the command line: the gate, the primary figures and margins. They
/// override the scenario's <c>comparison:</c> section (or, for compare-runs, the candidate run's).
/// </summary>
internal sealed class ComparisonFlags
{
    private readonly Option<string> _gate = new("--gate")
    {
        Description = "Whether the comparison sets the exit code: none (it informs; the default), not-worse (exit 1 unless every primary figure is " +
            "shown no worse than its margin), equivalent (exit 1 unless every primary figure is shown within its margin). 'Cannot tell' fails a gate, and so does a generator saturated on either side (send lag p99 ≥ 20 ms).",
        HelpName = "none|not-worse|equivalent",
    };

    private readonly Option<string[]> _margin = new("--margin")
    {
        Description = "A figure's equivalence margin, FIGURE=MARGIN (repeatable): e.g. --margin 'p99=max(2ms, 10%)' --margin unplanned-ends=2x. " +
            $"Figures: {ComparisonSettings.Known}. Defaults: p50 max(0.5ms, 5%), p99 max(2ms, 10%), unplanned-ends 2x (see docs/comparisons.md).",
        HelpName = "FIGURE=MARGIN",
        AllowMultipleArgumentsPerToken = false,
    };

    private readonly Option<string> _primary = new("--primary")
    {
        Description = "Comma-separated figures the headline rests on (the 5% false-alarm budget is shared among them). Default: p50,p99,unplanned-ends.",
        HelpName = "LIST",
    };

    private readonly Option<string> _expectPath = new("--expect-path")
    {
        Description = "What the two sides' path fingerprints (TLS, the server's HTTP/2 SETTINGS, response headers: see docs/fingerprint.md) must show: " +
            "any (shown, not judged; the default), same (exit 1 when any field differs: a baseline and a soak of one path), changed (exit 1 when none does: " +
            "a migration whose candidate must not have crossed the old path). A side that recorded no fingerprint fails either.",
        HelpName = "any|same|changed",
    };

    public IEnumerable<Option> All => [_gate, _expectPath, _margin, _primary];

    /// <summary><paramref name="settings"/> with the flags applied; null after printing what is wrong.</summary>
    public ComparisonSettings? Apply(ParseResult parse, ComparisonSettings settings, CliConsole console)
    {
        ArgumentNullException.ThrowIfNull(parse);
        ArgumentNullException.ThrowIfNull(settings);
        if (parse.GetValue(_gate) is { } gateText)
        {
            if (ComparisonSettings.ParseGate(gateText) is not { } gate)
            {
                console.Error($"error: --gate '{gateText}': expected none, not-worse or equivalent");
                return null;
            }

            settings = settings with { Gate = gate };
        }

        if (parse.GetValue(_expectPath) is { } expectText)
        {
            if (ComparisonSettings.ParseExpectPath(expectText) is not { } expect)
            {
                console.Error($"error: --expect-path '{expectText}': expected any, same or changed");
                return null;
            }

            settings = settings with { ExpectPath = expect };
        }

        if (parse.GetValue(_primary) is { } primaryText)
        {
            var names = primaryText.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(ComparisonSettings.Canonical).ToArray();
            var unknown = names.FirstOrDefault(n => !ComparisonSettings.IsFigure(n));
            if (unknown is not null || names.Length == 0)
            {
                console.Error($"error: --primary '{primaryText}': {(unknown is null ? "no figure given" : $"'{unknown}' is not a figure")} (known: {ComparisonSettings.Known})");
                return null;
            }

            settings = settings with { Primary = names.Distinct(StringComparer.Ordinal).ToList() };
        }

        var margins = new Dictionary<string, Margin>(settings.Margins, StringComparer.Ordinal);
        foreach (var raw in parse.GetValue(_margin) ?? [])
        {
            var eq = raw.IndexOf('=', StringComparison.Ordinal);
            var figure = eq > 0 ? ComparisonSettings.Canonical(raw[..eq].Trim()) : "";
            string? problem = "expected FIGURE=MARGIN, e.g. p99=max(2ms, 10%)";
            var margin = eq > 0 ? Margin.Parse(raw[(eq + 1)..], out problem) : null;
            problem = margin is null ? problem : ComparisonSettings.MarginProblem(figure, margin);
            if (problem is not null)
            {
                console.Error($"error: --margin '{raw}': {problem}");
                return null;
            }

            margins[figure] = margin!;
        }

        return settings with { Margins = margins };
    }
}
