using LoadGen.Results;

namespace LoadGen.Tests.Results;

/// <summary>A path's fingerprint as reports and comparisons read it: shards add up, and only the path's own fields make a difference.</summary>
public class PathSeenTests
{
    private static PathSeen Seen(long connections, params (string Field, string Value, long Count)[] values) => new()
    {
        Connections = connections,
        Fields = values.GroupBy(v => v.Field).ToDictionary(g => g.Key, g => (IReadOnlyDictionary<string, long>)g.ToDictionary(v => v.Value, v => v.Count)),
    };

    [Fact]
    public void Shards_AddUp_FieldByFieldAndValueByValue()
    {
        var a = Seen(3, (PathFields.MaxConcurrentStreams, "128", 3), (PathFields.TlsVersion, "Tls13", 3));
        var b = Seen(2, (PathFields.MaxConcurrentStreams, "128", 1), (PathFields.MaxConcurrentStreams, "100", 1));

        var sum = PathSeen.Sum([a, null, b])!;

        Assert.Equal(5, sum.Connections);
        Assert.Equal("128 (4), 100 (1)", sum.Show(PathFields.MaxConcurrentStreams));
        Assert.Equal("Tls13", sum.Show(PathFields.TlsVersion));
        Assert.Null(PathSeen.Sum([null, null]));
    }

    [Fact]
    public void ADifference_IsAFieldWhoseValuesDiffer_NotItsCounts_NorHowStreamsEnded()
    {
        var before = Seen(10, (PathFields.MaxConcurrentStreams, "128", 10), (PathFields.TlsVersion, "Tls12", 10), (PathFields.GoAway, "NO_ERROR", 2));
        var sameMoreConnections = Seen(40, (PathFields.MaxConcurrentStreams, "128", 40), (PathFields.TlsVersion, "Tls12", 40));
        var changed = Seen(10, (PathFields.MaxConcurrentStreams, "64", 10), (PathFields.TlsVersion, "Tls12", 10));
        var plaintext = Seen(10, (PathFields.MaxConcurrentStreams, "128", 10));

        Assert.Empty(before.Differences(sameMoreConnections));
        var d = Assert.Single(before.Differences(changed));
        Assert.Equal((PathFields.MaxConcurrentStreams, "128", "64"), (d.Field, d.Before, d.After));
        var tls = Assert.Single(before.Differences(plaintext));
        Assert.Equal((PathFields.TlsVersion, "Tls12", "—"), (tls.Field, tls.Before, tls.After));
    }

    [Fact]
    public void AFieldWithManyValues_KeepsAtMost16_AndCountsTheRestAsOther()
    {
        var recorder = new LoadGen.Core.Metrics.PathRecorder();
        for (var i = 0; i < 40; i++)
        {
            recorder.Connection(PathFields.GoAway, $"NO_ERROR 'connection {i}'");
        }

        var values = recorder.Snapshot().Fields[PathFields.GoAway];
        Assert.Equal(PathSeen.MaxValues + 1, values.Count);
        Assert.Equal(40 - PathSeen.MaxValues, values[PathSeen.Other]);
    }

    private static TopologySummary Topology(string name, PathSeen? path) => GeneratorHealthTests.Topology(name, 2) with { Path = path };

    [Fact]
    public void AGatewayWhoseAnswersCarryNoProxyHeader_IsWarnedOf_OneThatAnnouncesItselfIsNot()
    {
        static PathSeen Headers(string names, string? server = null)
        {
            var values = new List<(string, string, long)> { (PathFields.HeaderNames, names, 10) };
            if (server is not null)
            {
                values.Add(("header.server", server, 10));
            }

            return Seen(1, [.. values]) with { Streams = 10 };
        }

        var warnings = LoadGen.Results.Analysis.RunWarnings.GatewayWithoutProxy([
            Topology("istio-gateway", Headers("date, server", "nginx/1.22.1")),
            Topology("gateway-via", Headers("date, server, via")),
            Topology("ingress-envoy", Headers("date, server, x-envoy-upstream-service-time", "istio-envoy")),
            Topology("Gateway-Envoy-Server", Headers("date, server", "envoy")),
            Topology("direct-tls", Headers("date, server", "nginx/1.22.1")),
            Topology("gateway-unrecorded", null),
        ]).ToList();

        var w = Assert.Single(warnings);
        Assert.StartsWith("istio-gateway is named as a gateway, but no answer carried a proxy's header", w, StringComparison.Ordinal);
        Assert.Contains("headers seen: date, server", w, StringComparison.Ordinal);
    }
}
