using Grpc.Net.Client;
using LoadGen.Core.Engine;
using LoadGen.Lab.Backend;
using LoadGen.Protos.Lab;

namespace LoadGen.Tests.Integration;

[Collection(SerialLoad.Name)]
public class TimeoutProbeTests
{
    [Fact]
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

    [Fact]
    public async Task Probe_StopsWithinItsBudget_ReportingTheBracketSoFar()
    {
        await using var backend = await LabBackend.StartAsync(new LabBackendOptions
        {
            StreamCutoff = new Cutoff { When = Cutoff.Types.When.BothQuiet, AfterMs = 2000, Abort = true },
        });
        var probe = new TimeoutProbe(() => GrpcChannel.ForAddress(backend.GrpcAddress));
        // A 12 s budget with a 5 s reply wait leaves room for quiet intervals of about 5 s at first,
        // less each round: too little to reach a 0.1 s resolution.
        var options = new ProbeOptions
        {
            Min = TimeSpan.FromSeconds(1),
            Max = TimeSpan.FromSeconds(60),
            Resolution = TimeSpan.FromSeconds(0.1),
            Budget = TimeSpan.FromSeconds(12),
            Directions = [ProbeDirection.BothQuiet],
        };

        var r = Assert.Single(await probe.RunAsync(options).WaitAsync(TimeSpan.FromSeconds(20)));

        Assert.False(r.Resolved);
        Assert.Contains("budget", r.Verdict, StringComparison.Ordinal);
        // Near the 2 s cut-off, within the ±1 s the probe promises: the client's own delays between
        // reading the echo and sending again count as quiet time at the backend, so a bracket can sit low.
        Assert.InRange(r.ShortestFailedS!.Value, 1.5, 2.5);
        Assert.InRange(r.LongestSurvivedS, 1.0, 2.1);
        Assert.Equal("rst:INTERNAL_ERROR", r.Cause);
    }
}
