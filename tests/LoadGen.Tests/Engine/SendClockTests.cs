using System.Diagnostics;
using LoadGen.Core.Engine;
using LoadGen.Tests.Integration;

namespace LoadGen.Tests.Engine;

/// <summary>The shared send clock that wakes open-loop senders (real time: its lanes are threads; serial with the load tests, whose CPU would blur it).</summary>
[Collection(SerialLoad.Name)]
public class SendClockTests
{
    private static long In(double ms) => Stopwatch.GetTimestamp() + (long)(ms / 1000 * Stopwatch.Frequency);

    [Fact(Timeout = SerialLoad.TimeoutMs)]
    public async Task AWait_EndsNoMoreThanHalfAMillisecondEarly_AndOneWaiterServesManyWaits()
    {
        var waiter = SendClock.Shared.NewWaiter(7);
        var early = (long)(SendClock.Early.TotalSeconds * Stopwatch.Frequency);
        for (var i = 0; i < 50; i++)
        {
            var due = In(2 + (i % 5) + (0.37 * (i % 3)));
            await waiter.WaitUntilAsync(due, CancellationToken.None);
            var now = Stopwatch.GetTimestamp();
            Assert.True(now >= due - early, $"wait {i} ended {Stopwatch.GetElapsedTime(now, due).TotalMilliseconds:0.###} ms early");
        }
    }

    [Fact(Timeout = SerialLoad.TimeoutMs)]
    public async Task ADueTimeAlreadyPast_EndsAtOnce()
    {
        var waiter = SendClock.Shared.NewWaiter(1);
        var wait = waiter.WaitUntilAsync(Stopwatch.GetTimestamp() - 1, CancellationToken.None);
        Assert.True(wait.IsCompletedSuccessfully);
        await wait;
    }

    [Fact(Timeout = SerialLoad.TimeoutMs)]
    public async Task ManySenders_AreWokenInDueOrder_AndEachAtItsOwnTime()
    {
        // 400 senders over the lanes, due times shuffled over 200 ms: each wakes at or after its time, and a sender
        // due later never wakes before one due 50 ms earlier on any lane.
        // The wake time is read where the wait's continuation runs, on the thread pool: on a busy runner a continuation
        // can run more than 50 ms after its release (CI saw it once), and then the order cannot be read from the wake
        // times at all. Such a run (a sender woken over 50 ms late) is made again, at most twice more.
        var tolerance = (long)(0.050 * Stopwatch.Frequency);
        var random = new Random(3);
        (long Due, long At)[] woke;
        var attempts = 0;
        do
        {
            var dues = Enumerable.Range(0, 400).Select(i => (Key: (long)i, Due: In(20 + random.NextDouble() * 200))).ToList();
            var run = new (long Due, long At)[dues.Count];
            await Task.WhenAll(dues.Select(async (d, i) =>
            {
                await SendClock.Shared.NewWaiter(d.Key).WaitUntilAsync(d.Due, CancellationToken.None);
                run[i] = (d.Due, Stopwatch.GetTimestamp());
            }));
            woke = run;
        }
        while (++attempts < 3 && woke.Any(w => w.At - w.Due > tolerance));

        var early = (long)(SendClock.Early.TotalSeconds * Stopwatch.Frequency);
        Assert.All(woke, w => Assert.True(w.At >= w.Due - early, "a sender woke over half a millisecond early"));
        var byWake = woke.OrderBy(w => w.At).ToList();
        for (var i = 1; i < byWake.Count; i++)
        {
            Assert.True(byWake[i].Due >= byWake[i - 1].Due - tolerance, "a sender due 50 ms later woke first");
        }
    }

    [Fact(Timeout = SerialLoad.TimeoutMs)]
    public async Task Cancelling_EndsAPendingWait_AtOnce_WithOperationCanceled()
    {
        var waiter = SendClock.Shared.NewWaiter(2);
        using var cts = new CancellationTokenSource();
        var started = Stopwatch.GetTimestamp();
        var wait = waiter.WaitUntilAsync(In(60_000), cts.Token).AsTask();
        await Task.Delay(50);
        Assert.False(wait.IsCompleted);

        await cts.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => wait.WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.True(Stopwatch.GetElapsedTime(started) < TimeSpan.FromSeconds(10));
    }

    [Fact(Timeout = SerialLoad.TimeoutMs)]
    public async Task AnEarlierArrival_WakesTheLane_ThatSleptUntilALaterTime()
    {
        // Same key, same lane: one sender due in 30 s puts the lane to sleep for 30 s; another due in 20 ms must not wait for it.
        using var cts = new CancellationTokenSource();
        var late = SendClock.Shared.NewWaiter(5).WaitUntilAsync(In(30_000), cts.Token).AsTask();
        await Task.Delay(20);
        var due = In(20);

        await SendClock.Shared.NewWaiter(5).WaitUntilAsync(due, CancellationToken.None).AsTask().WaitAsync(TimeSpan.FromSeconds(10));

        Assert.True(Stopwatch.GetTimestamp() >= due - (long)(SendClock.Early.TotalSeconds * Stopwatch.Frequency));
        Assert.False(late.IsCompleted);
        await cts.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => late);
    }
}
