namespace LoadGen.Core.Inputs;

/// <summary>A scenario that cannot be used, with where the problem is: file, line, column and field path.</summary>
public sealed class ScenarioException : Exception
{
    public ScenarioException(string file, long line, long column, string field, string problem)
        : base($"{file}:{line}:{column}: {field}: {problem}")
    {
        File = file;
        Line = line;
        Column = column;
        Field = field;
        Problem = problem;
    }

    public ScenarioException()
        : this("?", 0, 0, "?", "invalid scenario")
    {
    }

    public ScenarioException(string message)
        : this("?", 0, 0, "?", message)
    {
    }

    /// <summary>Several problems found in one reading: the message lists each on its own line (file:line:column: field: problem).</summary>
    public ScenarioException(IReadOnlyList<ScenarioException> problems)
        : base(problems.Count == 1 ? problems[0].Message
            : $"{problems[0].File} has {problems.Count} problems:{Environment.NewLine}" + string.Join(Environment.NewLine, problems.Select(p => "  " + p.Message)))
    {
        File = problems[0].File;
        Line = problems[0].Line;
        Column = problems[0].Column;
        Field = problems[0].Field;
        Problem = problems[0].Problem;
        All = problems;
    }

    public ScenarioException(string message, Exception innerException)
        : base(message, innerException)
    {
        File = "?";
        Field = "?";
        Problem = message;
    }

    public string File { get; }

    public long Line { get; }

    public long Column { get; }

    /// <summary>Dotted path of the field, e.g. profile.phases[1].over.</summary>
    public string Field { get; }

    public string Problem { get; }

    /// <summary>Every problem found (this one alone unless the loader collected several).</summary>
    public IReadOnlyList<ScenarioException> All { get => field ?? [this]; private init; }
}

/// <summary>A place in a scenario file.</summary>
/// <param name="BodyLine">For a template: the file line of its first line (a block scalar's starts on the line after its key).</param>
public sealed record SourceSpot(string File, long Line, long Column, long BodyLine = 0);
