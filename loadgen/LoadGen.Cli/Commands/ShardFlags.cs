using System.CommandLine;
using System.Globalization;
using LoadGen.Core.Engine;
using LoadGen.Core.Scenarios;
using LoadGen.Results;

namespace LoadGen.Cli.Commands;

/// <summary>
/// <c>run</c>'s flags for one shard of a run split over processes (a Kubernetes Indexed Job's pods), each
/// with its environment default so a Job's pods need no per-pod arguments.
/// </summary>
internal sealed class ShardFlags
{
    public const string IndexEnv = "JOB_COMPLETION_INDEX";
    public const string CountEnv = "LOADGEN_SHARDS";
    public const string RunIdEnv = "LOADGEN_RUN_ID";
    public const string StartAtEnv = "LOADGEN_START_AT";
    public const string WaitEnv = "LOADGEN_WAIT_FOR_SHARDS";

    /// <summary>The furthest ahead a start time may be: further is a typo, not a plan.</summary>
    public static readonly TimeSpan MaxWait = TimeSpan.FromHours(24);

    private readonly Option<string> _shard = new("--shard")
    {
        Description = $"Run shard INDEX of COUNT (0-based, e.g. 0/3): this process's exact slice of every population level (the slices add up to the whole), " +
            $"stream ids and random seeds fixed per shard, its own run folder <run-id>-shard-<i>-of-<N>; put the folders together with `loadgen merge`. " +
            $"Default: ${IndexEnv} (set by a Kubernetes Indexed Job) of ${CountEnv}.",
        HelpName = "INDEX/COUNT",
    };

    private readonly Option<string> _runId = new("--run-id")
    {
        Description = $"The run the shards make together (letters, digits, '.', '_', '-'); every shard of a run gets the same. Default: ${RunIdEnv}, else made from --start-at and the scenario's name.",
        HelpName = "ID",
    };

    private readonly Option<string> _startAt = new("--start-at")
    {
        Description = $"Wall-clock time (ISO 8601 with a zone, e.g. 2026-12-01T09:00:00Z) every shard starts its phases at; the warm-up ends then. " +
            $"A shard that starts late runs at once and its run.json says by how much. Default: ${StartAtEnv}, else at once.",
        HelpName = "TIME",
    };

    private readonly Option<string> _wait = new("--wait-for-shards")
    {
        Description = $"Start together without a hand-set time: this shard writes a ready file under --out (.loadgen-barrier/<run-id>/) and waits up to DURATION " +
            $"for every shard's; all then start {Durations.Format(ShardBarrier.Lead)} after the last one was ready. A shard that never comes is named, and every waiting " +
            $"shard exits 3 before any stream opens. Needs --shard and a run id; not with --start-at. Default: ${WaitEnv}, else no waiting.",
        HelpName = "DURATION",
    };

    private readonly Option<bool> _noGate = new("--no-gate")
    {
        Description = "Judge the thresholds and write them into every report, but exit 0 when thresholds are all that failed: a shard judges only its slice, " +
            "so in a sharded run the merge judges the whole (`loadgen merge` exits 1 when a threshold fails). Bad input, an unreachable target and LoadGen's own failure keep their codes.",
    };

    public void AddTo(Command command)
    {
        command.Options.Add(_shard);
        command.Options.Add(_runId);
        command.Options.Add(_startAt);
        command.Options.Add(_wait);
        command.Options.Add(_noGate);
    }

    /// <summary>True with --no-gate: a failed threshold does not set the exit code.</summary>
    public bool NoGate(ParseResult parse) => parse.GetValue(_noGate);

    /// <summary>How long to wait for the other shards (null: no barrier); false with <paramref name="error"/> when the flag cannot apply.</summary>
    public bool TryReadWait(ParseResult parse, ShardPlan? plan, DateTimeOffset? startAt, out TimeSpan? wait, out string? error)
    {
        wait = null;
        error = null;
        var text = parse.GetValue(_wait) ?? Environment.GetEnvironmentVariable(WaitEnv);
        var from = parse.GetValue(_wait) is null ? "$" + WaitEnv : "--wait-for-shards";
        if (string.IsNullOrWhiteSpace(text))
        {
            return true;
        }

        if (!Durations.TryParse(text, out var d) || d <= TimeSpan.Zero || d > MaxWait)
        {
            error = $"{from} '{text}': expected {Durations.Expected}, more than 0s and at most {MaxWait.TotalHours:0}h";
            return false;
        }

        if (plan is null)
        {
            error = $"{from}: waits for the other shards of a sharded run, but this run is not a shard: pass --shard INDEX/COUNT (or ${IndexEnv} and ${CountEnv})";
            return false;
        }

        if (startAt is not null)
        {
            error = $"{from} and a start time (--start-at or ${StartAtEnv}) both say when to start: choose one";
            return false;
        }

        wait = d;
        return true;
    }

    /// <summary>The shard plan and start time; false with <paramref name="error"/> naming the flag or variable that is wrong.</summary>
    public bool TryRead(ParseResult parse, Scenario scenario, DateTimeOffset now, out ShardPlan? plan, out DateTimeOffset? startAt, out string? error)
    {
        plan = null;
        startAt = null;
        error = null;
        var startText = parse.GetValue(_startAt) ?? Environment.GetEnvironmentVariable(StartAtEnv);
        var startFrom = parse.GetValue(_startAt) is null ? "$" + StartAtEnv : "--start-at";
        if (!string.IsNullOrWhiteSpace(startText))
        {
            if (!DateTimeOffset.TryParse(startText, CultureInfo.InvariantCulture, DateTimeStyles.None, out var at)
                || !System.Text.RegularExpressions.Regex.IsMatch(startText, @"[T ]\d\d:\d\d(:\d\d(\.\d+)?)?(Z|z|[+-]\d\d:?\d\d)$"))
            {
                error = $"{startFrom} '{startText}': expected an ISO 8601 time with its zone, e.g. 2026-12-01T09:00:00Z";
                return false;
            }

            if (at - now > MaxWait)
            {
                error = $"{startFrom} '{startText}' is {(at - now).TotalHours:0} h away: at most {MaxWait.TotalHours:0} h ahead";
                return false;
            }

            startAt = at;
        }

        var shardText = parse.GetValue(_shard);
        var shardFrom = "--shard";
        if (shardText is null && Environment.GetEnvironmentVariable(IndexEnv) is { Length: > 0 } index)
        {
            if (Environment.GetEnvironmentVariable(CountEnv) is not { Length: > 0 } count)
            {
                error = $"${IndexEnv} is {index} (a Kubernetes Indexed Job's pod) but ${CountEnv} is not set: how many shards make the run? Set it to the Job's completions, or pass --shard INDEX/COUNT";
                return false;
            }

            shardText = $"{index}/{count}";
            shardFrom = $"${IndexEnv}/${CountEnv}";
        }

        if (shardText is null && parse.GetValue(_runId) is { } lone)
        {
            // Taken silently, it did nothing: an unsharded run's folder is named by its start time and scenario.
            error = $"--run-id '{lone}' names the run that shards make together, and this run has no --shard (nor ${IndexEnv}): it would be ignored. " +
                "Drop it, or pass --shard INDEX/COUNT (a single process is --shard 0/1)";
            return false;
        }

        if (shardText is null)
        {
            return true;
        }

        if (ShardSlice.TryParse(shardText, out var why) is not { } slice)
        {
            error = $"{shardFrom} {why}";
            return false;
        }

        if (scenario.Faults.Count > 0)
        {
            error = $"{shardFrom} {slice}: the scenario has faults on cue, which act on this process's own lab:// topology; shards cannot share them. Run faults unsharded";
            return false;
        }

        if (scenario.Profile.For(slice).Peak == 0)
        {
            error = $"{shardFrom} {slice}: the scenario's peak of {scenario.Profile.Peak:#,0} streams leaves this shard none; use at most {scenario.Profile.Peak:#,0} shards";
            return false;
        }

        var runId = parse.GetValue(_runId) ?? Environment.GetEnvironmentVariable(RunIdEnv);
        var runIdFrom = parse.GetValue(_runId) is null ? "$" + RunIdEnv : "--run-id";
        if (string.IsNullOrEmpty(runId))
        {
            if (startAt is not { } s)
            {
                error = $"{shardFrom} {slice}: shards of one run need a shared run id: pass --run-id (or ${RunIdEnv}), or a shared --start-at (or ${StartAtEnv}) to make it from";
                return false;
            }

            var safe = new string(scenario.Name.Select(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' ? c : '-').ToArray());
            runId = $"{s.UtcDateTime:yyyyMMdd-HHmmss}-{safe}";
        }
        else if (runId.Length > 100 || !runId.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-') || runId.StartsWith('.'))
        {
            error = $"{runIdFrom} '{runId}': expected at most 100 letters, digits, '.', '_' or '-' (it names folders), not starting with '.'";
            return false;
        }

        plan = new ShardPlan(slice, runId);
        return true;
    }
}
