using LoadGen.Core.Engine;
using LoadGen.Core.Scenarios;
using Microsoft.Extensions.Time.Testing;

namespace LoadGen.Tests.Engine;

public class OpenLoopSenderTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);

    private sealed record Sent(ulong Seq, TimeSpan Scheduled, TimeSpan Actual);

    private sealed class Harness
    {
        private readonly long _origin;

        public Harness(FakeTimeProvider time)
        {
            Time = time;
            _origin = time.GetTimestamp();
        }

        public FakeTimeProvider Time { get; }

        public List<Sent> Sends { get; } = [];

        public TaskCompletionSource? Block { get; set; }

        public async ValueTask Send(ulong seq, long scheduled)
        {
            lock (Sends)
            {
                Sends.Add(new Sent(seq, Time.GetElapsedTime(_origin, scheduled), Time.GetElapsedTime(_origin, Time.GetTimestamp())));
            }

            if (Block is { } b)
            {
                await b.Task;
            }
        }

        public int Count
        {
            get
            {
                lock (Sends)
                {
                    return Sends.Count;
                }
            }
        }

        public void AdvanceUntil(int sends, TimeSpan step)
        {
            // Advance fake time in steps, letting the sender's continuations run between steps.
            while (Count < sends)
            {
                SpinWait.SpinUntil(() => false, 5);
                Time.Advance(step);
            }
        }
    }

    [Fact]
    public async Task FixedSchedule_SendsAtOffsetPlusWholeIntervals()
    {
        var h = new Harness(new FakeTimeProvider());
        var sender = new OpenLoopSender(h.Time, TimeSpan.FromMilliseconds(300), () => TimeSpan.FromSeconds(1), inFlight: null);
        using var cts = new CancellationTokenSource();
        var run = sender.RunAsync(h.Send, cts.Token);

        h.AdvanceUntil(4, TimeSpan.FromMilliseconds(100));
        await cts.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => run.WaitAsync(Wait));

        var first4 = h.Sends.Take(4).ToList();
        Assert.Equal([1UL, 2UL, 3UL, 4UL], first4.Select(s => s.Seq));
        Assert.Equal(
            [TimeSpan.FromMilliseconds(300), TimeSpan.FromMilliseconds(1300), TimeSpan.FromMilliseconds(2300), TimeSpan.FromMilliseconds(3300)],
            first4.Select(s => s.Scheduled));
        // With nothing in the way, each message goes out at its scheduled time (to the 100 ms step).
        Assert.All(first4, s => Assert.InRange(s.Actual - s.Scheduled, TimeSpan.Zero, TimeSpan.FromMilliseconds(100)));
    }

    [Fact]
    public async Task StalledSend_BacklogKeepsOriginalScheduledTimes()
    {
        var h = new Harness(new FakeTimeProvider());
        var sender = new OpenLoopSender(h.Time, TimeSpan.Zero, () => TimeSpan.FromSeconds(1), inFlight: null);
        using var cts = new CancellationTokenSource();
        var stall = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        h.Block = stall;
        var run = sender.RunAsync(h.Send, cts.Token);

        // Message 1 goes out at t=0 and its write hangs for 3.5 s.
        SpinWait.SpinUntil(() => h.Count == 1, Wait);
        h.Time.Advance(TimeSpan.FromMilliseconds(3500));
        h.Block = null;
        stall.SetResult();
        SpinWait.SpinUntil(() => h.Count >= 4, Wait);
        await cts.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => run.WaitAsync(Wait));

        // Messages 2-4 were due at 1, 2, 3 s; all left at 3.5 s and keep their due times, so a
        // latency measured from the due time includes the 2.5, 1.5 and 0.5 s they waited.
        var backlog = h.Sends.Skip(1).Take(3).ToList();
        Assert.Equal([TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(3)], backlog.Select(s => s.Scheduled));
        Assert.All(backlog, s => Assert.Equal(TimeSpan.FromMilliseconds(3500), s.Actual));
    }

    [Fact]
    public async Task InFlightCap_WaitsForReplyButKeepsSchedule()
    {
        var h = new Harness(new FakeTimeProvider());
        var window = new InFlightWindow(1);
        var sender = new OpenLoopSender(h.Time, TimeSpan.Zero, () => TimeSpan.FromSeconds(1), window);
        using var cts = new CancellationTokenSource();
        var run = sender.RunAsync(h.Send, cts.Token);

        SpinWait.SpinUntil(() => h.Count == 1, Wait);
        h.Time.Advance(TimeSpan.FromSeconds(2.5));
        SpinWait.SpinUntil(() => false, 50);
        Assert.Equal(1, h.Count); // no reply yet: message 2 (due at 1 s) must wait

        window.Release(); // the reply to message 1 arrives at 2.5 s
        SpinWait.SpinUntil(() => h.Count == 2, Wait);
        await cts.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => run.WaitAsync(Wait));

        Assert.Equal(TimeSpan.FromSeconds(1), h.Sends[1].Scheduled);
        Assert.Equal(TimeSpan.FromSeconds(2.5), h.Sends[1].Actual);
    }

    [Fact]
    public void PoissonSchedule_GapsAverageTheInterval()
    {
        var schedule = new SendSchedule(ScheduleKind.Poisson, TimeSpan.FromSeconds(2), new Random(42));
        var gaps = Enumerable.Range(0, 20_000).Select(_ => schedule.NextGap().TotalSeconds).ToList();

        Assert.InRange(gaps.Average(), 1.95, 2.05);
        // Exponential gaps: about 63% are shorter than the mean, unlike a fixed schedule.
        Assert.InRange(gaps.Count(g => g < 2) / (double)gaps.Count, 0.61, 0.65);
        Assert.All(gaps, g => Assert.True(g >= 0));
    }

    [Fact]
    public void FixedSchedule_FirstOffsetSpreadsStreamsOverOneInterval()
    {
        var schedule = new SendSchedule(ScheduleKind.Fixed, TimeSpan.FromSeconds(1), new Random(7));
        var offsets = Enumerable.Range(0, 1000).Select(_ => schedule.FirstOffset().TotalSeconds).ToList();

        Assert.All(offsets, o => Assert.InRange(o, 0, 1));
        Assert.InRange(offsets.Average(), 0.45, 0.55);
        Assert.Equal(TimeSpan.FromSeconds(1), schedule.NextGap());
    }
}
