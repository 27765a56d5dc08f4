using System.Diagnostics;
using System.Runtime.InteropServices;
using Google.Protobuf;
using HdrHistogram;
using LoadGen.Core.Metrics;
using LoadGen.Core.Outcomes;
using LoadGen.Core.Results;
using LoadGen.Core.Scenarios;
using LoadGen.Protos.Lab;

namespace LoadGen.Core.Engine;

/// <summary>One progress line: what the run looks like at an interval tick.</summary>
public sealed record ProgressSnapshot(
    string Topology,
    string Phase,
    TimeSpan Elapsed,
    TimeSpan Planned,
    int TargetStreams,
    long ActiveStreams,
    long Opened,
    long Ended,
    long UnplannedEnds,
    long Sent,
    long Received,
    double? IntervalP50Ms,
    double? IntervalP99Ms);

/// <summary>
/// Runs a scenario: for each target in turn, holds the profile's stream population, measures every
/// message and every stream end, and writes the run folder as it goes.
/// </summary>
public sealed class LoadEngine
{
    private static readonly TimeSpan Tick = TimeSpan.FromMilliseconds(20);
    private static readonly TimeSpan AbortGrace = TimeSpan.FromSeconds(5);

    private readonly TimeProvider _time;

    public LoadEngine(TimeProvider? time = null)
    {
        _time = time ?? TimeProvider.System;
    }

    /// <summary>Called at every interval tick, from the engine's loop: keep it quick.</summary>
    public Action<ProgressSnapshot>? Progress { get; init; }

    /// <param name="targets">As recorded in run.json (what a lab:// address resolved to); defaults to the scenario's.</param>
    /// <param name="cancellationToken">Stops the run early: streams are closed gracefully and the folder is still written.</param>
    public async Task<RunSummary> RunAsync(Scenario scenario, RunFolder folder, IReadOnlyList<RunTarget>? targets = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(scenario);
        ArgumentNullException.ThrowIfNull(folder);
        var startedAt = _time.GetUtcNow();
        var wallStart = Stopwatch.GetTimestamp();
        var cpuStart = Process.GetCurrentProcess().TotalProcessorTime;
        targets ??= scenario.Targets.Select(t => new RunTarget(t.Name, t.Address.ToString(), null, null)).ToList();
        var info = new RunInfo
        {
            RunId = folder.RunId,
            Scenario = scenario.Name,
            ScenarioSource = scenario.Source,
            ScenarioSettings = new { scenario.Profile, scenario.Messages, scenario.Connections, Interval = scenario.Interval.ToString(), CloseTimeout = scenario.CloseTimeout.ToString(), Thresholds = scenario.Thresholds.Select(t => t.Expression) },
            Targets = targets,
            LoadGenVersion = typeof(LoadEngine).Assembly.GetName().Version?.ToString() ?? "0",
            Runtime = RuntimeInformation.FrameworkDescription,
            Host = Environment.MachineName,
            Os = RuntimeInformation.OSDescription,
            StartedAt = startedAt,
        };
        folder.WriteJson(RunFolder.RunFile, info);

        var topologies = new List<TopologySummary>();
        await using (var outcomes = new OutcomeWriter(folder.OutcomesPath))
        {
            using var hlogStream = new FileStream(folder.Latency, FileMode.Create, FileAccess.Write, FileShare.Read);
            using var hlog = new HdrLogWriter(hlogStream, startedAt, $"LoadGen {info.LoadGenVersion} run {folder.RunId}; values in microseconds");
            foreach (var target in scenario.Targets)
            {
                if (cancellationToken.IsCancellationRequested)
                {
                    break;
                }

                topologies.Add(await RunTopologyAsync(scenario, target, hlog, outcomes, cancellationToken));
            }
        }

        var endedAt = _time.GetUtcNow();
        var completion = cancellationToken.IsCancellationRequested ? "interrupted" : "completed";
        var thresholds = EvaluateThresholds(scenario.Thresholds, topologies);
        var wall = Stopwatch.GetElapsedTime(wallStart);
        var cpu = Process.GetCurrentProcess().TotalProcessorTime - cpuStart;
        var summary = new RunSummary
        {
            RunId = folder.RunId,
            Scenario = scenario.Name,
            StartedAt = startedAt,
            EndedAt = endedAt,
            Completion = completion,
            Verdict = thresholds.Count == 0 ? "none" : thresholds.All(t => t.Passed) ? "pass" : "fail",
            Topologies = topologies,
            Thresholds = thresholds,
            LoadGen = new ProcessStats(
                Math.Round(Process.GetCurrentProcess().PeakWorkingSet64 / 1048576.0, 1),
                Math.Round(cpu.TotalSeconds, 2),
                Math.Round(100 * cpu.TotalSeconds / Math.Max(0.001, wall.TotalSeconds), 1),
                Environment.ProcessorCount),
        };
        folder.WriteJson(RunFolder.SummaryFile, summary);
        folder.WriteJson(RunFolder.RunFile, info with { EndedAt = endedAt, Completion = completion });
        return summary;
    }

    private async Task<TopologySummary> RunTopologyAsync(Scenario scenario, TargetOptions target, HdrLogWriter hlog, OutcomeWriter outcomes, CancellationToken cancellationToken)
    {
        var profile = scenario.Profile;
        var metrics = new TopologyMetrics(target.Name);
        using var pool = new ConnectionPool(target, scenario.Connections, profile.Peak, metrics);
        var directives = scenario.Messages.Directives is { } d
            ? new Directives { DelayMs = (uint)d.Delay.TotalMilliseconds, ReplyCount = (uint)d.ReplyCount, ReplySize = (uint)d.ReplySize }
            : null;
        var settings = new StreamSettings(
            metrics,
            pool,
            outcomes,
            _time,
            new SendSchedule(scenario.Messages.Schedule, scenario.Messages.Interval, new Random()),
            ByteString.CopyFrom(new byte[scenario.Messages.PayloadBytes]),
            directives,
            scenario.Messages.MaxInFlight,
            scenario.Connections.OpenTimeout);

        var totals = new Dictionary<ShardedRecorder, HistogramBase>
        {
            [metrics.Rtt] = Histograms.Create(),
            [metrics.RttUncorrected] = Histograms.Create(),
            [metrics.Open] = Histograms.Create(),
            [metrics.SendLag] = Histograms.Create(),
        };
        var start = _time.GetTimestamp();
        var intervalStart = _time.GetUtcNow();
        var live = new List<LabStream>();
        var closing = new List<LabStream>();
        long nextId = 0;
        var tokens = 1.0;
        var lastTick = start;
        var nextCut = scenario.Interval;

        void Cut(TimeSpan elapsed)
        {
            var now = _time.GetUtcNow();
            HistogramBase rtt = null!;
            foreach (var (recorder, total) in totals)
            {
                var h = recorder.TakeInterval();
                total.Add(h);
                hlog.Write(h, intervalStart, now);
                if (recorder == metrics.Rtt)
                {
                    rtt = h;
                }
            }

            hlog.Flush();
            intervalStart = now;
            var unplanned = metrics.Outcomes.Where(kv => kv.Key != OutcomeClassifier.ClientClosed).Sum(kv => kv.Value);
            Progress?.Invoke(new ProgressSnapshot(
                target.Name, profile.PhaseAt(elapsed), elapsed, profile.Duration, profile.TargetAt(elapsed), metrics.Active,
                metrics.Opened, metrics.Ended, unplanned, metrics.Sent, metrics.Received,
                Histograms.PercentileMs(rtt, 50), Histograms.PercentileMs(rtt, 99)));
        }

        while (true)
        {
            var now = _time.GetTimestamp();
            var elapsed = _time.GetElapsedTime(start, now);
            if (cancellationToken.IsCancellationRequested || elapsed >= profile.Duration)
            {
                break;
            }

            // Token bucket: at most MaxOpensPerSecond, with at most one second's worth saved up.
            tokens = Math.Min(Math.Max(1, profile.MaxOpensPerSecond), tokens + (_time.GetElapsedTime(lastTick, now).TotalSeconds * profile.MaxOpensPerSecond));
            lastTick = now;
            live.RemoveAll(s => s.IsEnded);
            closing.RemoveAll(s => s.IsEnded);

            var want = profile.TargetAt(elapsed);
            if (live.Count < want)
            {
                var n = (int)Math.Min(want - live.Count, Math.Floor(tokens));
                tokens -= n;
                for (var i = 0; i < n; i++)
                {
                    var s = new LabStream(++nextId, settings);
                    live.Add(s);
                    s.Start();
                }
            }
            else if (live.Count > want)
            {
                for (var i = live.Count - 1; i >= want; i--)
                {
                    live[i].RequestClose();
                    closing.Add(live[i]);
                }

                live.RemoveRange(want, live.Count - want);
            }

            if (elapsed >= nextCut)
            {
                Cut(elapsed);
                nextCut += scenario.Interval;
            }

            await Task.Delay(Tick, _time, CancellationToken.None);
        }

        foreach (var s in live)
        {
            s.RequestClose();
        }

        closing.AddRange(live);
        var all = Task.WhenAll(closing.Select(s => s.Completion));
        await Task.WhenAny(all, Task.Delay(scenario.CloseTimeout, _time, CancellationToken.None));
        if (!all.IsCompleted)
        {
            foreach (var s in closing.Where(s => !s.IsEnded))
            {
                s.Abort();
            }

            await Task.WhenAny(all, Task.Delay(AbortGrace, _time, CancellationToken.None));
        }

        var duration = _time.GetElapsedTime(start);
        Cut(duration);
        await outcomes.FlushAsync();

        return new TopologySummary
        {
            Name = target.Name,
            Address = target.Address.ToString(),
            DurationS = Math.Round(duration.TotalSeconds, 3),
            Streams = new StreamCounts(metrics.Attempted, metrics.Opened, metrics.Ended, metrics.PeakActive, metrics.WaitedForSlot),
            Messages = new MessageCounts(metrics.Sent, metrics.Received),
            LatencyMs = LatencyStats.From(totals[metrics.Rtt]),
            LatencyUncorrectedMs = LatencyStats.From(totals[metrics.RttUncorrected]),
            OpenLatencyMs = LatencyStats.From(totals[metrics.Open]),
            SendLagMs = LatencyStats.From(totals[metrics.SendLag]),
            Outcomes = metrics.Outcomes.OrderByDescending(kv => kv.Value).ToDictionary(kv => kv.Key, kv => kv.Value, StringComparer.Ordinal),
            Connections = new ConnectionCounts(pool.Planned, pool.PerConnection, metrics.ConnectionsOpened),
        };
    }

    internal static List<ThresholdResult> EvaluateThresholds(IReadOnlyList<Threshold> thresholds, IReadOnlyList<TopologySummary> topologies)
    {
        var results = new List<ThresholdResult>();
        foreach (var t in thresholds)
        {
            foreach (var topo in topologies)
            {
                var stats = t.Uncorrected ? topo.LatencyUncorrectedMs : topo.LatencyMs;
                var actual = t.Metric switch
                {
                    ThresholdMetric.P50 => stats.P50,
                    ThresholdMetric.P90 => stats.P90,
                    ThresholdMetric.P99 => stats.P99,
                    ThresholdMetric.P999 => stats.P999,
                    _ => stats.Max,
                };
                // No measurement is no evidence of passing.
                results.Add(new ThresholdResult(t.Expression, topo.Name, actual, t.LimitMs, actual is { } a && a < t.LimitMs));
            }
        }

        return results;
    }
}
