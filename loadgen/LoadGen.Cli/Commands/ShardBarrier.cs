using System.Globalization;
using LoadGen.Core.Engine;
using LoadGen.Results;

namespace LoadGen.Cli.Commands;

/// <summary>
/// A start barrier for the shards of one run that share a folder (the runs volume of an Indexed Job): each shard
/// writes <c>shard-&lt;i&gt;-of-&lt;N&gt;.ready</c> holding the time it became ready, then waits for all N. The start
/// is the latest ready time plus <see cref="Lead"/>: every shard reads the same files, so every shard computes the
/// same instant, with no hand-edited start time and no coordinator. Image pulls and node scale-ups that take
/// minutes only move the start; a shard that never comes is named before any stream opens.
/// </summary>
internal static class ShardBarrier
{
    /// <summary>From the last shard ready to the shared start: time for every shard to see the last file (a shared
    /// volume may show a new file a few seconds late) and for the start to be the same instant everywhere.</summary>
    public static readonly TimeSpan Lead = TimeSpan.FromSeconds(10);

    private static readonly TimeSpan Poll = TimeSpan.FromMilliseconds(500);
    private static readonly TimeSpan ProgressEvery = TimeSpan.FromSeconds(30);

    /// <summary>Where the shards of <paramref name="plan"/>'s run leave their ready files.</summary>
    public static string Folder(string outDir, ShardPlan plan) => Path.Combine(outDir, ".loadgen-barrier", plan.RunId);

    /// <summary>What the wait came to: the shared start, or the shards that never became ready.</summary>
    public sealed record Result(DateTimeOffset? StartAt, IReadOnlyList<int> Missing, string Folder);

    /// <summary>Marks this shard ready, then waits up to <paramref name="timeout"/> for every shard of the run.</summary>
    public static async Task<Result> WaitAsync(string outDir, ShardPlan plan, TimeSpan timeout, Action<string> progress, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(plan);
        ArgumentNullException.ThrowIfNull(progress);
        var folder = Folder(outDir, plan);
        Directory.CreateDirectory(folder);
        var count = plan.Slice.Count;
        var mine = Path.Combine(folder, FileName(plan.Slice.Index, count));
        // Written whole, then renamed into place: a reader never sees half a time.
        var temp = mine + ".tmp";
        await File.WriteAllTextAsync(temp, DateTimeOffset.UtcNow.ToString("O", CultureInfo.InvariantCulture), ct);
        File.Move(temp, mine, overwrite: true);

        var started = DateTimeOffset.UtcNow;
        var lastSaid = started;
        progress($"shard {plan.Slice} ready; waiting up to {Durations.Format(timeout)} for every shard of run {plan.RunId} ({folder})");
        while (true)
        {
            var ready = Read(folder, count);
            if (ready.Count == count)
            {
                return new Result(ready.Values.Max() + Lead, [], folder);
            }

            var now = DateTimeOffset.UtcNow;
            var missing = Enumerable.Range(0, count).Where(i => !ready.ContainsKey(i)).ToList();
            if (now - started >= timeout)
            {
                return new Result(null, missing, folder);
            }

            if (now - lastSaid >= ProgressEvery)
            {
                lastSaid = now;
                progress($"{ready.Count} of {count} shards ready after {Durations.Format(TimeSpan.FromSeconds(Math.Floor((now - started).TotalSeconds)))}; waiting for {Describe(missing, count)}");
            }

            await Task.Delay(Poll, ct);
        }
    }

    /// <summary>"shard 2 of 0–2", "shards 1, 2 of 0–2".</summary>
    public static string Describe(IReadOnlyList<int> missing, int count) =>
        $"shard{(missing.Count == 1 ? "" : "s")} {string.Join(", ", missing)} of 0–{count - 1}";

    private static string FileName(int index, int count) => string.Create(CultureInfo.InvariantCulture, $"shard-{index}-of-{count}.ready");

    /// <summary>The ready times by shard index; a file being written (or unreadable for a moment) counts as not ready yet.</summary>
    private static Dictionary<int, DateTimeOffset> Read(string folder, int count)
    {
        var ready = new Dictionary<int, DateTimeOffset>();
        for (var i = 0; i < count; i++)
        {
            var path = Path.Combine(folder, FileName(i, count));
            try
            {
                if (File.Exists(path)
                    && DateTimeOffset.TryParse(File.ReadAllText(path), CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind, out var at))
                {
                    ready[i] = at;
                }
            }
            catch (IOException)
            {
            }
        }

        return ready;
    }
}
