// Over 400 lines: one reason to change — how shard folders become one run folder (checks that they are one run's, the interval-by-interval sum, the outcomes' connection numbers, the merged run.json); each part reads the others' bookkeeping.
using System.Globalization;
using System.Text;
using System.Text.Json;
using HdrHistogram;

namespace LoadGen.Results.Analysis;

/// <summary>
/// <c>loadgen merge</c>: one run folder from the folders of a run's shards. Interval histograms are added
/// interval by interval (HdrHistogram addition is exact), interval counts summed, outcomes concatenated
/// (TCP connection numbers made unique per shard), then the summary is rebuilt from the merged files with the
/// builders every run uses: survival and timeout detection see every shard's streams at once.
/// </summary>
public static class ShardMerge
{
    /// <summary>The merged folder and what a reader must know about how it was made.</summary>
    public sealed record Result(RunFolder Folder, RunSummary Summary, IReadOnlyList<string> Warnings);

    /// <summary>
    /// The shard folders behind <paramref name="paths"/>: a path holding run.json is a shard folder; one
    /// without (the volume the shards wrote to) stands for its sub-folders that hold one.
    /// </summary>
    /// <param name="runId">When set, only the shard folders of this run (a volume holds many runs' shards).</param>
    public static IReadOnlyList<string> Expand(IEnumerable<string> paths, string? runId = null)
    {
        ArgumentNullException.ThrowIfNull(paths);
        var folders = new List<string>();
        foreach (var p in paths)
        {
            var full = Path.GetFullPath(p);
            if (!Directory.Exists(full))
            {
                throw new MergeRefusedException([$"{p}: no such folder"]);
            }

            if (File.Exists(Path.Combine(full, RunFolder.RunFile)))
            {
                folders.Add(full);
                continue;
            }

            var inside = Directory.GetDirectories(full).Where(d => File.Exists(Path.Combine(d, RunFolder.RunFile))).Order(StringComparer.Ordinal).ToList();
            if (inside.Count == 0)
            {
                throw new MergeRefusedException([$"{p}: neither a run folder (no {RunFolder.RunFile}) nor a folder of run folders"]);
            }

            folders.AddRange(inside);
        }

        if (runId is null)
        {
            return folders;
        }

        var runs = folders.Select(f => (Folder: f, Run: ShardRunId(f))).ToList();
        var mine = runs.Where(r => r.Run == runId).Select(r => r.Folder).ToList();
        return mine.Count > 0 ? mine : throw new MergeRefusedException([
            $"no shard folder of run {runId} in {string.Join(", ", paths)}; the shards there belong to: {string.Join(", ", runs.Select(r => r.Run ?? "(not a shard)").Distinct(StringComparer.Ordinal).Take(10))}"]);
    }

    private static string? ShardRunId(string folder)
    {
        try
        {
            return JsonSerializer.Deserialize<RunInfo>(File.ReadAllText(Path.Combine(folder, RunFolder.RunFile)), RunSummary.JsonOptions)?.Shard?.RunId;
        }
        catch (Exception e) when (e is JsonException or IOException)
        {
            return null;
        }
    }

    /// <summary>
    /// Checks that <paramref name="shardFolders"/> are every shard of one run, once each (from their run.json), then
    /// writes the merged folder <c>&lt;outDir&gt;/&lt;run-id&gt;</c> (run.json, latency.hlog, intervals, outcomes, events,
    /// summary.json), reading one shard at a time: what is held is one shard's files and one set of summed histograms.
    /// </summary>
    /// <exception cref="MergeRefusedException">Every reason the folders do not make one run, each naming the folders concerned.</exception>
    public static Result Merge(IReadOnlyList<string> shardFolders, string outDir)
    {
        ArgumentNullException.ThrowIfNull(shardFolders);
        var shards = Check(shardFolders);
        var folder = RunFolder.CreateNamed(outDir, shards[0].Shard.RunId);
        try
        {
            return Write(shards, folder);
        }
        catch
        {
            // Half a merge is not a run folder: nothing is left to be mistaken for one.
            Directory.Delete(folder.Path, recursive: true);
            throw;
        }
    }

    private static Result Write(List<ShardFolder> shards, RunFolder folder)
    {
        var first = shards[0].Info;
        var count = shards.Count;
        var startedAt = shards.Min(s => s.Info.StartedAt);
        var warnings = new List<string>();
        var sums = new IntervalSums();
        var stats = new List<ProcessStats>();
        using (var outcomes = new StreamWriter(folder.OutcomesPath, append: false, new UTF8Encoding(false)) { NewLine = "\n" })
        using (var events = new StreamWriter(folder.Events, append: false, new UTF8Encoding(false)) { NewLine = "\n" })
        {
            foreach (var s in shards)
            {
                var files = RunFiles.Read(RunFolder.Open(s.Path));
                warnings.AddRange(files.Damage.Select(d => $"shard {s.Shard.Index}/{count} ({s.Name}): damaged {d}"));
                sums.Add(files);
                foreach (var o in files.Outcomes)
                {
                    // TCP connections are numbered per process: made unique per shard, so each counts once.
                    var unique = o.TcpConnection is { } c ? o with { TcpConnection = ((c - 1) * count) + s.Shard.Index + 1 } : o;
                    outcomes.WriteLine(JsonSerializer.Serialize(unique, Ndjson.Options));
                }

                foreach (var e in files.Events)
                {
                    events.WriteLine(JsonSerializer.Serialize(e, Ndjson.Options));
                }

                if (ReadStats(files.Folder) is { } p)
                {
                    stats.Add(p);
                }
            }
        }

        var completions = shards.Select(s => s.Info.Completion).ToList();
        var hosts = shards.Select(s => s.Info.Host).Distinct(StringComparer.Ordinal).ToList();
        var info = first with
        {
            RunId = folder.RunId,
            Shard = null,
            MergedFrom = [.. shards.Select(s => new MergedShard(s.Shard.Index, s.Path, s.Info.Host, s.Info.Completion, s.Shard.StartLateS))],
            Host = string.Join(", ", hosts.Take(5)) + (hosts.Count > 5 ? $", … ({hosts.Count} hosts)" : ""),
            Processors = shards.Sum(s => s.Info.Processors),
            StartedAt = startedAt,
            EndedAt = completions.Any(c => c is null) ? null : shards.Max(s => s.Info.EndedAt),
            Completion = WorstCompletion(completions),
            AbortedBy = shards.Select(s => s.Info.AbortedBy).FirstOrDefault(a => a is not null),
            // Each target's fingerprint over every shard's connections and streams.
            Targets = [.. first.Targets.Select(t => t with { Path = PathSeen.Sum(shards.Select(s => s.Info.Targets.FirstOrDefault(x => x.Name == t.Name)?.Path)) })],
            Warnings = [.. shards.SelectMany(s => s.Info.Warnings).Distinct(StringComparer.Ordinal), .. warnings,
                .. shards.Where(s => s.Info.Completion is null).Select(s => $"shard {s.Shard.Index}/{count} ({s.Name}) did not finish (killed, or still running): its streams count only up to its last flushed interval")],
        };
        folder.WriteJson(RunFolder.RunFile, info);
        var (intervals, latency) = sums.Result();
        using (var hlogStream = new FileStream(folder.Latency, FileMode.CreateNew, FileAccess.Write))
        using (var hlog = new HdrLogWriter(hlogStream, startedAt, $"LoadGen {first.LoadGenVersion} run {folder.RunId}: {count} shards merged; values in microseconds"))
        {
            foreach (var l in latency)
            {
                hlog.Write(l.Histogram, l.Start, l.End);
            }
        }

        using (var w = new StreamWriter(folder.Intervals, append: false, new UTF8Encoding(false)) { NewLine = "\n" })
        {
            foreach (var r in intervals)
            {
                w.WriteLine(JsonSerializer.Serialize(r, Ndjson.Options));
            }
        }

        var summary = RunFiles.Read(folder).Rebuild(Busiest(stats));
        folder.WriteJson(RunFolder.SummaryFile, summary);
        return new Result(folder, summary, warnings);
    }

    private sealed record ShardFolder(string Path, RunInfo Info, ShardInfo Shard, string Name);

    /// <summary>The shards, in index order, from their run.json alone, or every reason they are not one run's shards.</summary>
    private static List<ShardFolder> Check(IReadOnlyList<string> folders)
    {
        var problems = new List<string>();
        var shards = new List<ShardFolder>();
        foreach (var path in folders)
        {
            var folder = RunFolder.Open(path);
            RunInfo? info = null;
            string? why = null;
            try
            {
                info = File.Exists(folder.RunJson) ? JsonSerializer.Deserialize<RunInfo>(File.ReadAllText(folder.RunJson), RunSummary.JsonOptions) : null;
            }
            catch (JsonException e)
            {
                why = e.Message;
            }

            if (info is null)
            {
                problems.Add($"{path}: no readable {RunFolder.RunFile}: not a run folder{(why is null ? "" : $" ({why})")}");
            }
            else if (info.Shard is not { } shard)
            {
                problems.Add(info.MergedFrom is not null
                    ? $"{path}: already a merged run (of {info.MergedFrom.Count} shards), not a shard"
                    : $"{path}: not a shard (its run.json has no 'shard': it was not run with --shard)");
            }
            else
            {
                shards.Add(new ShardFolder(folder.Path, info, shard, folder.RunId));
            }
        }

        if (problems.Count > 0 || shards.Count == 0)
        {
            throw new MergeRefusedException(problems.Count > 0 ? problems : ["no shard folders given"]);
        }

        string Names(IEnumerable<ShardFolder> group) => string.Join(", ", group.Select(s => s.Path));
        void Agree<T>(Func<ShardFolder, T> key, string what)
        {
            var groups = shards.GroupBy(key).ToList();
            if (groups.Count > 1)
            {
                problems.Add($"the folders are not one run's shards: different {what}: " +
                    string.Join("; ", groups.Select(g => $"{g.Key} in {Names(g)}")));
            }
        }

        Agree(s => s.Shard.RunId, "run ids");
        Agree(s => s.Shard.ScenarioHash, "scenarios (scenario hash)");
        Agree(s => s.Shard.Count, "shard counts");
        if (problems.Count == 0)
        {
            var count = shards[0].Shard.Count;
            foreach (var twice in shards.GroupBy(s => s.Shard.Index).Where(g => g.Count() > 1))
            {
                problems.Add($"shard {twice.Key}/{count} is given {twice.Count()} times: {Names(twice)} — keep one (a pod that ran twice leaves two folders)");
            }

            var missing = Enumerable.Range(0, count).Where(i => shards.All(s => s.Shard.Index != i)).ToList();
            if (missing.Count > 0)
            {
                problems.Add($"shard{(missing.Count > 1 ? "s" : "")} {string.Join(", ", missing.Take(10).Select(i => $"{i}/{count}"))}{(missing.Count > 10 ? ", …" : "")} of run {shards[0].Shard.RunId} missing: " +
                    $"{shards.Count} of {count} given; a merge of part of a run would report part of its streams as the whole");
            }
        }

        if (problems.Count > 0)
        {
            throw new MergeRefusedException(problems);
        }

        return [.. shards.OrderBy(s => s.Shard.Index)];
    }

    /// <summary>
    /// Intervals and their histograms, summed shard by shard and paired by place: a topology's round and the interval's
    /// number within that round (shards started together cut together; with interleaved rounds a shard whose round cut one
    /// interval more still pairs its next round's intervals with the others'). Within a shard, the j-th histogram of a
    /// tag was cut with the j-th interval of its topology.
    /// </summary>
    private sealed class IntervalSums
    {
        private readonly Dictionary<(string Topology, int Round, int K), List<IntervalRecord>> _records = [];
        private readonly Dictionary<(string Tag, int Round, int K), LoggedInterval> _histograms = [];

        public void Add(RunFiles files)
        {
            foreach (var topology in files.Intervals.GroupBy(i => i.Topology))
            {
                var places = new List<(int Round, int K)>();
                var perRound = new Dictionary<int, int>();
                foreach (var r in topology)
                {
                    var round = r.Round ?? 1;
                    var k = perRound.GetValueOrDefault(round);
                    perRound[round] = k + 1;
                    places.Add((round, k));
                    if (!_records.TryGetValue((topology.Key, round, k), out var list))
                    {
                        _records[(topology.Key, round, k)] = list = [];
                    }

                    list.Add(r);
                }

                var tags = files.Latency.Where(l => l.Tag is { } t && t.StartsWith(topology.Key + ".", StringComparison.Ordinal) && !t[(topology.Key.Length + 1)..].Contains('.', StringComparison.Ordinal))
                    .GroupBy(l => l.Tag!);
                foreach (var tag in tags)
                {
                    var j = 0;
                    foreach (var l in tag)
                    {
                        // A histogram cut after the last interval line (a kill between the two writes) keeps a place of its own.
                        var (round, k) = j < places.Count ? places[j] : (int.MaxValue, j);
                        j++;
                        var s = _histograms.TryGetValue((tag.Key, round, k), out var found) ? found : new LoggedInterval(tag.Key, l.Start, l.End, Empty(tag.Key));
                        s.Histogram.Add(l.Histogram);
                        _histograms[(tag.Key, round, k)] = s with { Start = l.Start < s.Start ? l.Start : s.Start, End = l.End > s.End ? l.End : s.End };
                    }
                }
            }
        }

        public (List<IntervalRecord> Intervals, List<LoggedInterval> Latency) Result()
        {
            var intervals = _records
                .Select(kv => (kv.Key, Record: Sum(kv.Value, _histograms.TryGetValue(($"{kv.Key.Topology}.{TopologySummaryBuilder.Rtt}", kv.Key.Round, kv.Key.K), out var rtt) ? rtt.Histogram : null)))
                .OrderBy(x => x.Record.Start).ThenBy(x => x.Key.Round).ThenBy(x => x.Key.K)
                .Select(x => x.Record)
                .ToList();
            // The same order for the histograms: a rebuild pairs a topology's k-th histogram of a kind with its k-th interval.
            var latency = _histograms.OrderBy(kv => kv.Value.Start).ThenBy(kv => kv.Key.Round).ThenBy(kv => kv.Key.K).Select(kv => kv.Value).ToList();
            return (intervals, latency);
        }

        private static HistogramBase Empty(string tag)
        {
            var h = Histograms.Create();
            h.Tag = tag;
            return h;
        }
    }

    /// <summary>
    /// One interval of the whole from the shards' same interval: counts summed; peaks summed (an upper bound: the
    /// shards need not peak at once); the hold's stream-seconds summed (exact), its lowest share and short time the
    /// worst shard's (a lower bound for the whole); LoadGen's own memory, CPU share, GC pauses and send lag the worst shard's.
    /// </summary>
    private static IntervalRecord Sum(List<IntervalRecord> r, HistogramBase? rtt)
    {
        var holds = r.Select(x => x.Hold).OfType<HoldRecord>().ToList();
        return r[0] with
        {
            Start = r.Min(x => x.Start),
            End = r.Max(x => x.End),
            TargetStreams = r.Sum(x => x.TargetStreams),
            Active = r.Sum(x => x.Active),
            PeakActive = r.Sum(x => x.PeakActive ?? x.Active),
            Hold = holds.Count == 0 ? null : new HoldRecord(holds.Max(h => h.Seconds), holds.Sum(h => h.WantedStreamSeconds), holds.Sum(h => h.HeldStreamSeconds),
                holds.Min(h => h.MinShare), holds.Max(h => h.ShortWhileBackoffS))
            { ShortS = holds.Any(h => h.ShortS is not null) ? holds.Max(h => h.ShortS ?? 0) : null },
            WaitedForSlot = r.Sum(x => x.WaitedForSlot),
            ConnectionsOpened = r.Sum(x => x.ConnectionsOpened),
            ConnectionsPlanned = r.Sum(x => x.ConnectionsPlanned),
            StreamsPerConnection = r.Max(x => x.StreamsPerConnection),
            Reconnects = r.Sum(x => x.Reconnects),
            LostForGood = r.Sum(x => x.LostForGood),
            StreamSeconds = r.Sum(x => x.StreamSeconds),
            Attempted = r.Sum(x => x.Attempted),
            Opened = r.Sum(x => x.Opened),
            Ended = r.Sum(x => x.Ended),
            EndsByCause = Add(r.Select(x => x.EndsByCause)),
            Sent = r.Sum(x => x.Sent),
            Received = r.Sum(x => x.Received),
            UnansweredByCause = r.All(x => x.UnansweredByCause is null) ? null : Add(r.Select(x => x.UnansweredByCause).OfType<IReadOnlyDictionary<string, long>>()),
            P50Ms = rtt is null ? null : Histograms.PercentileMs(rtt, 50),
            P99Ms = rtt is null ? null : Histograms.PercentileMs(rtt, 99),
            LoadGenCpuShare = r.Max(x => x.LoadGenCpuShare),
            MachineCpuShare = r.Max(x => x.MachineCpuShare),
            LoadGenGcPauseShare = r.Max(x => x.LoadGenGcPauseShare),
            SendLagP99Ms = r.Max(x => x.SendLagP99Ms),
            LoadGenRssMb = r.Max(x => x.LoadGenRssMb),
            LoadGenHeapMb = r.Max(x => x.LoadGenHeapMb),
        };
    }

    private static Dictionary<string, long> Add(IEnumerable<IReadOnlyDictionary<string, long>> counts)
    {
        var sum = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var (k, v) in counts.SelectMany(c => c))
        {
            sum[k] = sum.GetValueOrDefault(k) + v;
        }

        return sum;
    }

    /// <summary>The figures of the shard that worked its machine hardest (whether the generator kept up is decided by its worst process), with the largest peak RSS of any shard.</summary>
    private static ProcessStats? Busiest(List<ProcessStats> stats) =>
        stats.Count == 0 ? null : stats.MaxBy(p => p.AvgCpuPercentOfOneCore / Math.Max(1, p.Processors))! with { PeakRssMb = stats.Max(p => p.PeakRssMb) };

    private static ProcessStats? ReadStats(RunFolder folder)
    {
        try
        {
            return File.Exists(folder.Summary) ? folder.ReadSummary().LoadGen : null;
        }
        catch (Exception e) when (e is JsonException or IOException or InvalidDataException)
        {
            return null;
        }
    }

    private static RunCompletion? WorstCompletion(IReadOnlyList<RunCompletion?> completions) =>
        completions.Any(c => c is null) ? null
        : completions.Contains(RunCompletion.Interrupted) ? RunCompletion.Interrupted
        : completions.Contains(RunCompletion.Aborted) ? RunCompletion.Aborted
        : completions.FirstOrDefault(c => c != RunCompletion.Completed) ?? RunCompletion.Completed;
}

/// <summary>Why folders cannot be merged: every reason, each naming the folders concerned.</summary>
public sealed class MergeRefusedException : Exception
{
    public MergeRefusedException(IReadOnlyList<string> reasons)
        : base(string.Join("; ", reasons ?? []))
    {
        Reasons = reasons ?? [];
    }

    public MergeRefusedException()
        : this([])
    {
    }

    public MergeRefusedException(string message)
        : this([message])
    {
    }

    public MergeRefusedException(string message, Exception innerException)
        : base(message, innerException)
    {
        Reasons = [message];
    }

    public IReadOnlyList<string> Reasons { get; }
}
