using LoadGen.Core.Inputs;
using LoadGen.Core.Workloads;

namespace LoadGen.Core.Workloads;

/// <summary>
/// A scenario's <c>service:</c> section: drive the user's own bidi method, its messages written as
/// templates. See docs/own-service.md.
/// </summary>
public sealed record ServiceSpec
{
    /// <summary>.proto files to compile (relative to the scenario file); empty with <see cref="Reflect"/>.</summary>
    public IReadOnlyList<string> Protos { get; init; } = [];

    /// <summary>Extra import paths for protoc (each proto's own directory and the well-known types are always there).</summary>
    public IReadOnlyList<string> ImportPaths { get; init; } = [];

    /// <summary>Where relative paths start (the scenario file's directory).</summary>
    public string BaseDirectory { get; init; } = ".";

    /// <summary>"package.Service/Method"; must be bidi streaming.</summary>
    public required string Method { get; init; }

    /// <summary>Take the method's descriptors from the server's reflection service instead of .proto files.</summary>
    public bool Reflect { get; init; }

    /// <summary>The request template: protobuf text format, or JSON when it starts with '{'.</summary>
    public required string Message { get; init; }

    public ReplyMatchKind Match { get; init; } = ReplyMatchKind.PingPong;

    /// <summary>by-field: the request field carrying the key.</summary>
    public string? RequestField { get; init; }

    /// <summary>by-field: the reply field carrying it (the request's field path when not given).</summary>
    public string? ReplyField { get; init; }

    /// <summary>Where each setting was written, so a problem found later (e.g. after reflection) names its line.</summary>
    public IReadOnlyDictionary<string, SourceSpot> Spots { get; init; } = new Dictionary<string, SourceSpot>();

    /// <summary>The problem as a ScenarioException at the setting's line ("service.method" …), or without a place when the spec came from code.</summary>
    /// <param name="templateLine">For a template: the line within it (1-based), 0 for the setting's own line.</param>
    public ScenarioException Error(string field, string problem, int templateLine = 0) =>
        Spots.TryGetValue(field, out var s)
            ? templateLine > 0 && s.BodyLine > 0
                ? new ScenarioException(s.File, s.BodyLine + templateLine - 1, 1, field, problem)
                : new ScenarioException(s.File, s.Line, s.Column, field, problem)
            : new ScenarioException("?", 0, 0, field, problem);
}
