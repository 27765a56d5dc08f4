using System.Globalization;

namespace LoadGen.Core.Scenarios;

/// <summary>
/// Shard <see cref="Index"/> of <see cref="Count"/>: its exact slice of every population level, so the
/// slices add up to the whole for any level and any count (shard i gets ⌊L·(i+1)/N⌋ − ⌊L·i/N⌋ streams).
/// Stream ids are <c>Index + 1 + k·Count</c> (k = 0, 1 …): unique across shards, the same on every re-run.
/// </summary>
public sealed record ShardSlice
{
    public ShardSlice(int index, int count)
    {
        if (count < 1 || index < 0 || index >= count)
        {
            throw new ArgumentOutOfRangeException(nameof(index), $"shard {index}/{count}: expected 0 ≤ index < count");
        }

        Index = index;
        Count = count;
    }

    public int Index { get; }

    public int Count { get; }

    /// <summary>Seeds every random choice of this shard (send phases, backoff jitter): the same scenario and shard choose alike on every re-run.</summary>
    public int Seed { get; init; }

    /// <summary>This shard's streams of a population level <paramref name="whole"/>.</summary>
    public int Of(int whole) => (int)(((long)whole * (Index + 1) / Count) - ((long)whole * Index / Count));

    /// <summary>The first stream id and the step between ids.</summary>
    public (long First, long Step) StreamIds => (Index + 1, Count);

    /// <summary>"i/N" as <c>--shard</c> takes it.</summary>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{Index}/{Count}");

    /// <summary>Reads "i/N" (0 ≤ i &lt; N ≤ 10,000); null with <paramref name="error"/> saying what is wrong.</summary>
    public static ShardSlice? TryParse(string? text, out string? error)
    {
        error = null;
        var parts = (text ?? "").Split('/');
        if (parts.Length != 2
            || !int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var i)
            || !int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var n))
        {
            error = $"'{text}': expected INDEX/COUNT, e.g. 0/3 for the first of three shards";
            return null;
        }

        if (n < 1 || n > MaxCount || i >= n)
        {
            error = $"'{text}': the index counts from 0 and must be below the count (0/{Math.Max(n, 1)} … {Math.Max(n, 1) - 1}/{Math.Max(n, 1)}), the count at most {MaxCount:#,0}";
            return null;
        }

        return new ShardSlice(i, n);
    }

    public const int MaxCount = 10_000;
}
