namespace LoadGen.Results;

/// <summary>Which side of a stream a timer watches: the words of cut-offs, probes and detected timeouts.</summary>
public enum QuietSide
{
    /// <summary>The client has sent nothing for a while.</summary>
    ClientQuiet,

    /// <summary>The server has sent nothing for a while.</summary>
    ServerQuiet,

    /// <summary>Neither side has sent anything for a while.</summary>
    BothQuiet,

    /// <summary>Not quiet at all: the stream's age.</summary>
    Age,
}

/// <summary>
/// The one reader and writer of the quiet-side words (client-quiet, server-quiet, both-quiet, age) used
/// in scenarios (cutoff.when, probe.directions), on the command line (lab backend --cutoff), by the
/// timeout probe and in summary.json's detected timeouts.
/// </summary>
public static class QuietSides
{
    public const string ClientQuiet = "client-quiet";
    public const string ServerQuiet = "server-quiet";
    public const string BothQuiet = "both-quiet";
    public const string Age = "age";

    private static readonly (string Word, QuietSide Side)[] Words =
        [(ClientQuiet, QuietSide.ClientQuiet), (ServerQuiet, QuietSide.ServerQuiet), (BothQuiet, QuietSide.BothQuiet), (Age, QuietSide.Age)];

    public static string Name(QuietSide side) => Words.First(w => w.Side == side).Word;

    /// <param name="withAge">Whether "age" is a valid answer here (a cut-off may be by age; a quiet-time probe may not).</param>
    public static bool TryParse(string? text, bool withAge, out QuietSide side)
    {
        foreach (var (word, s) in Words)
        {
            if (word == text && (withAge || s != QuietSide.Age))
            {
                side = s;
                return true;
            }
        }

        side = default;
        return false;
    }

    /// <summary>"one of: client-quiet, server-quiet, both-quiet[, age]".</summary>
    public static string Expected(bool withAge) =>
        "one of: " + string.Join(", ", Words.Where(w => withAge || w.Side != QuietSide.Age).Select(w => w.Word));
}
