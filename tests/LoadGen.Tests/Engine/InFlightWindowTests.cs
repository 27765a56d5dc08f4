using LoadGen.Core.Engine;

namespace LoadGen.Tests.Engine;

public class InFlightWindowTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task Slots_AreTakenAtOnce_ThenTheSenderWaitsForAReply()
    {
        var window = new InFlightWindow(2);
        Assert.True(window.WaitAsync(CancellationToken.None).AsTask().IsCompletedSuccessfully);
        Assert.True(window.WaitAsync(CancellationToken.None).AsTask().IsCompletedSuccessfully);
        Assert.Equal(0, window.Free);

        var third = window.WaitAsync(CancellationToken.None);
        Assert.False(third.IsCompleted); // both slots in flight: no third send before a reply
        window.Release();
        await third.AsTask().WaitAsync(Wait);
        Assert.Equal(0, window.Free); // the reply's slot went to the waiting sender

        window.Release();
        window.Release();
        Assert.Equal(2, window.Free);
    }

    [Fact]
    public async Task OneWindow_ServesManyWaits_InOrder()
    {
        // A closed loop's life: wait, send, the reply releases — many times over one window.
        var window = new InFlightWindow(1);
        await window.WaitAsync(CancellationToken.None);
        for (var i = 0; i < 1_000; i++)
        {
            var next = window.WaitAsync(CancellationToken.None);
            Assert.False(next.IsCompleted);
            var reply = Task.Run(window.Release);
            await next.AsTask().WaitAsync(Wait);
            await reply.WaitAsync(Wait);
        }

        Assert.Equal(0, window.Free);
    }

    [Fact]
    public async Task Cancel_EndsAPendingWait_AndTheSlotIsNotLost()
    {
        var window = new InFlightWindow(1);
        await window.WaitAsync(CancellationToken.None);
        using var cts = new CancellationTokenSource();
        var waiting = window.WaitAsync(cts.Token).AsTask();
        await cts.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting.WaitAsync(Wait));

        window.Release(); // the reply arrives after the wait was given up: the slot is free, not handed to nobody
        Assert.Equal(1, window.Free);
        Assert.True(window.WaitAsync(CancellationToken.None).AsTask().IsCompletedSuccessfully);
    }

    [Fact]
    public async Task AlreadyCancelled_Throws_EvenWithASlotFree()
    {
        var window = new InFlightWindow(1);
        using var cts = new CancellationTokenSource();
        await cts.CancelAsync();
        await Assert.ThrowsAsync<OperationCanceledException>(async () => await window.WaitAsync(cts.Token));
        Assert.Equal(1, window.Free);
    }

    [Fact]
    public async Task ASecondWaiter_IsRefused()
    {
        var window = new InFlightWindow(1);
        await window.WaitAsync(CancellationToken.None);
        var first = window.WaitAsync(CancellationToken.None);
        await Assert.ThrowsAsync<InvalidOperationException>(async () => await window.WaitAsync(CancellationToken.None));
        window.Release();
        await first.AsTask().WaitAsync(Wait);
    }
}
