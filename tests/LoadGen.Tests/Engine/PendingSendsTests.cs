using LoadGen.Core.Engine;

namespace LoadGen.Tests.Engine;

public class PendingSendsTests
{
    [Fact]
    public void Replies_MatchTheirSendBySequenceNumber_InAnyOrder()
    {
        var p = new PendingSends();
        for (ulong s = 1; s <= 100; s++)
        {
            p.Add(s, scheduled: (long)s * 10, sent: ((long)s * 10) + 1);
        }

        Assert.Equal(100, p.Count);
        Assert.True(p.TryTake(57, out var sched, out var sent));
        Assert.Equal((570L, 571L), (sched, sent));
        Assert.False(p.TryTake(57, out _, out _)); // a duplicate reply matches nothing
        Assert.True(p.TryTake(1, out sched, out _));
        Assert.Equal(10, sched);
        Assert.False(p.TryTake(101, out _, out _)); // never sent
        Assert.Equal(98, p.Count);
        Assert.Equal(0, p.Abandoned);
    }
}
