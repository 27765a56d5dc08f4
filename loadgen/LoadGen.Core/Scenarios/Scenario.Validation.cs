using LoadGen.Core.Inputs;
using LoadGen.Results;

namespace LoadGen.Core.Scenarios;

/// <summary>
/// One problem of a scenario: the field it is in, as a path (<c>faults</c>, <c>messages.payloadBytes</c>,
/// <c>targets[0].authority</c>), and what is wrong in words a user acts on. The YAML loader adds the file and line.
/// </summary>
public sealed record ScenarioProblem(string Field, string Problem);

/// <summary>
/// The rules that hold across a scenario's fields, on the model itself: the YAML loader runs them (and names the
/// file and line of each problem), and so does <see cref="Engine.LoadEngine"/> for a scenario built in code, so both
/// paths refuse the same scenarios with the same words before any stream opens.
/// </summary>
public sealed partial record Scenario
{
    /// <summary>A name names run folders and reports: longer is a mistake, not a name.</summary>
    public const int MaxNameLength = 100;

    /// <summary>The longest run a profile may plan (every phase together): longer is a typo.</summary>
    public static readonly TimeSpan MaxRunLength = TimeSpan.FromDays(30);

    /// <summary>The lab's topologies (lab://NAME), as the lab builds them.</summary>
    public static readonly IReadOnlyList<string> LabTopologies = ["backend-h2c", "direct-tls", "gateway"];

    /// <summary>What the lab service's ClientFrame adds to its payload (sequence number, field tags, lengths, first-message directives), rounded up.</summary>
    internal const int LabFrameOverhead = 64;

    /// <summary>Every problem of this scenario (empty when it can run), in the order of its fields.</summary>
    public IReadOnlyList<ScenarioProblem> Validate()
    {
        var problems = new List<ScenarioProblem>();
        if (string.IsNullOrWhiteSpace(Name) || Name.Length > MaxNameLength)
        {
            problems.Add(new("name", $"a name of 1 to {MaxNameLength} characters (it names run folders and reports){(Name is { Length: > 0 } n ? $"; this one has {n.Length:#,0}" : "")}"));
        }

        if (Targets.Count == 0)
        {
            problems.Add(new("targets", "needs at least one target"));
        }

        for (var i = 0; i < Targets.Count; i++)
        {
            var t = Targets[i];
            if (TargetRules.NameProblem(t.Name) is { } badName)
            {
                problems.Add(new($"targets[{i}].name", badName));
            }

            if (t.Address.Scheme == "lab" && !LabTopologies.Contains(t.Address.Host))
            {
                problems.Add(new($"targets[{i}].address", $"lab://{t.Address.Host} is not a lab topology (known: {string.Join(", ", LabTopologies.Select(n => "lab://" + n))})"));
            }

            if (t.Insecure && t.CaFile is not null)
            {
                problems.Add(new($"targets[{i}].insecure", "turns the server certificate check off, so caFile would never be used: give one or the other"));
            }

            if (TargetRules.UrlProblem(t.Address) is { } inUrl)
            {
                // A code-first target never went through the address parser: the same rule here.
                problems.Add(new($"targets[{i}].address", inUrl));
            }

            if (t.Authority is { } authority && authority.Contains('@', StringComparison.Ordinal))
            {
                // Never echo it: the part before '@' is a user name or password.
                problems.Add(new($"targets[{i}].authority", "has a user name or password (before '@'), which would land in run.json and every report: " +
                    "give the host (and port) only, and send credentials as metadata from ${env:NAME} or ${file:PATH}"));
            }
        }

        var length = Profile.Phases.Aggregate(0.0, (sum, p) => sum + p.During.TotalSeconds);
        if (length > MaxRunLength.TotalSeconds)
        {
            problems.Add(new("profile", $"the phases last {Durations.Format(TimeSpan.FromSeconds(Math.Min(length, TimeSpan.MaxValue.TotalSeconds / 2)))} together: at most {Durations.Format(MaxRunLength)}"));
        }
        else if (Profile.Duration <= TimeSpan.Zero)
        {
            problems.Add(new("profile", "the profile lasts 0s: every phase is over 0s, so no stream would live long enough to measure anything; give a ramp an 'over' or add a hold"));
        }

        if (Service is null && Workload is null
            && Targets.FirstOrDefault(t => Messages.PayloadBytes + LabFrameOverhead > t.MaxSendMessageBytes) is { } small)
        {
            problems.Add(new("messages.payloadBytes",
                $"{Messages.PayloadBytes:#,0} bytes per message is over target '{small.Name}''s maxSendMessageSize ({small.MaxSendMessageBytes:#,0} bytes): the client would refuse every message (client-error:message-too-large)"));
        }

        if (Lab != new Lab.LabSettings() && Targets.Count > 0 && Targets.All(t => t.Address.Scheme != "lab"))
        {
            problems.Add(new("lab", $"these settings shape the lab's own NGINX, gateway and backend, but no target is a lab:// topology ({string.Join(", ", Targets.Select(t => t.Address))}): they would be ignored; remove the section or target lab://…"));
        }

        if (Faults.Count > 0 && Targets.FirstOrDefault(t => t.Address.Scheme != "lab") is { } outside)
        {
            problems.Add(new("faults", $"faults on cue act on the lab's own parts, but target '{outside.Name}' ({outside.Address}) is not a lab:// topology"));
        }
        else if (Faults.Count > 0 && length <= MaxRunLength.TotalSeconds && Faults.Max(f => f.At) is var last && last >= Profile.SplitHold(Rounds).Duration)
        {
            problems.Add(new("faults", $"a fault at {Durations.Format(last)} would never fire: each {(Rounds > 1 ? "round" : "target's run")} lasts {Durations.Format(Profile.SplitHold(Rounds).Duration)}"));
        }

        return problems;
    }

    /// <summary>
    /// Throws a <see cref="ScenarioException"/> listing every problem, each as "SOURCE:0:0: field: problem" — for a scenario
    /// built in code, where there is no file line to name; the YAML loader names the lines itself.
    /// </summary>
    public void ThrowIfInvalid()
    {
        var problems = Validate();
        if (problems.Count > 0)
        {
            throw new ScenarioException(problems.Select(p => new ScenarioException(Source, 0, 0, p.Field, p.Problem)).ToList());
        }
    }
}
