using Grpc.Net.Client;
using LoadGen.Core.Engine;
using LoadGen.Core.Scenarios;
using LoadGen.Lab.Backend;
using LoadGen.Protos.Lab;

namespace LoadGen.Tests.Integration;

[Collection(SerialLoad.Name)]
public class TimeoutProbeTests
{
    [Fact(Timeout = SerialLoad.TimeoutMs)]
    public async Task Probe_FindsTheClientQuietCutoff_AndNoServerQuietOne()
    {
        // The backend imposes a 3 s client-quiet cut-off on every stream, as NGINX's client_body_timeout would.
        await using var backend = await LabBackend.StartAsync(new LabBackendOptions
        {
            StreamCutoff = new Cutoff { When = Cutoff.Types.When.ClientQuiet, AfterMs = 3000, Status = 14 },
        });
        var probe = new TimeoutProbe(() => GrpcChannel.ForAddress(backend.GrpcAddress));
        var options = new ProbeOptions { Min = TimeSpan.FromSeconds(1), Max = TimeSpan.FromSeconds(7), Budget = TimeSpan.FromSeconds(60) };

        var results = (await probe.RunAsync(options)).ToDictionary(r => r.Direction);

        var client = results["client-quiet"];
        Assert.True(client.Resolved, client.Verdict);
        Assert.InRange(client.CutoffS!.Value, 2, 4);
        Assert.True(client.ShortestFailedS - client.LongestSurvivedS <= 1);
        Assert.Equal("server-status:Unavailable", client.Cause);

        var both = results["both-quiet"];
        Assert.InRange(both.CutoffS!.Value, 2, 4);

        var server = results["server-quiet"];
        Assert.True(server.Resolved, server.Verdict);
        Assert.Null(server.CutoffS);
        Assert.Equal(7, server.LongestSurvivedS);
    }

    [Fact(Timeout = SerialLoad.TimeoutMs)]
    public async Task Probe_StopsWithinItsBudget_ReportingTheBracketSoFar()
    {
        await using var backend = await LabBackend.StartAsync(new LabBackendOptions
        {
            StreamCutoff = new Cutoff { When = Cutoff.Types.When.BothQuiet, AfterMs = 4000, Abort = true },
        });
        var probe = new TimeoutProbe(() => GrpcChannel.ForAddress(backend.GrpcAddress));
        // A 14 s budget with a 5 s reply wait leaves room for quiet intervals up to about 7 s in the
        // first round and too little for a second: a 0.1 s resolution cannot be reached.
        var options = new ProbeOptions
        {
            Min = TimeSpan.FromSeconds(1),
            Max = TimeSpan.FromSeconds(60),
            Resolution = TimeSpan.FromSeconds(0.1),
            Budget = TimeSpan.FromSeconds(14),
            Directions = [ProbeDirection.BothQuiet],
        };

        var r = Assert.Single(await probe.RunAsync(options).WaitAsync(TimeSpan.FromSeconds(25)));

        Assert.False(r.Resolved);
        Assert.Contains("budget", r.Verdict, StringComparison.Ordinal);
        Assert.Equal("rst:INTERNAL_ERROR", r.Cause);
        // The bracket holds the 4 s cut-off to within the ±1 s the probe promises (the client's own
        // delay between reading and sending counts as quiet at the backend, so it can sit a little low).
        Assert.True(r.CutoffS is >= 3 and <= 5, $"{r}");
        Assert.True(r.ShortestFailedS - r.LongestSurvivedS <= 1.5, $"{r}");
    }
}
