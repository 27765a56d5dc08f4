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
}

/// <summary>A place in a scenario file.</summary>
/// <param name="BodyLine">For a template: the file line of its first line (a block scalar's starts on the line after its key).</param>
public sealed record SourceSpot(string File, long Line, long Column, long BodyLine = 0);
