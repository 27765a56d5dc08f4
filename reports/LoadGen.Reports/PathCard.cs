using System.Globalization;
using LoadGen.Results;

namespace LoadGen.Reports;

/// <summary>
/// The "path" card of every report: each topology's fingerprint side by side (what its connections and streams
/// announced on the wire), and what differs between two compared sides.
/// </summary>
public static class PathCard
{
    /// <summary>Fields in the order a reader follows the path: TLS, the server's HTTP/2 settings, headers, then how streams ended.</summary>
    private static int Rank(string field) =>
        field.StartsWith("tls.", StringComparison.Ordinal) ? 0
        : field.StartsWith(PathFields.SettingsPrefix, StringComparison.Ordinal) ? 1
        : field.StartsWith("header.", StringComparison.Ordinal) ? 2
        : field == PathFields.HeaderNames ? 3
        : 4;

    /// <summary>One row per field, one column per topology; null when no topology recorded its path.</summary>
    public static SummaryTable? Build(IReadOnlyList<TopologySummary> topologies)
    {
        ArgumentNullException.ThrowIfNull(topologies);
        if (topologies.All(t => t.Path is null))
        {
            return null;
        }

        var fields = topologies.Where(t => t.Path is not null).SelectMany(t => t.Path!.Fields.Keys).Distinct(StringComparer.Ordinal)
            .OrderBy(Rank).ThenBy(f => f, StringComparer.Ordinal).ToList();
        var rows = new List<IReadOnlyList<string>>
        {
            (IReadOnlyList<string>)["connections / streams read", .. topologies.Select(t => t.Path is { } p
                ? string.Create(CultureInfo.InvariantCulture, $"{p.Connections:#,0} / {p.Streams:#,0}")
                : "not recorded")],
        };
        rows.AddRange(fields.Select(f => (IReadOnlyList<string>)[f, .. topologies.Select(t => t.Path?.Show(f) ?? "-")]));
        return new SummaryTable(["path field", .. topologies.Select(t => t.Name)], rows);
    }

    /// <summary>What differs between the two sides' paths, in one line; null when either side did not record its path.</summary>
    public static string? Differences(TopologyComparison c)
    {
        ArgumentNullException.ThrowIfNull(c);
        if (c.Baseline.Topology.Path is not { IsEmpty: false } a || c.Candidate.Topology.Path is not { IsEmpty: false } b)
        {
            return null;
        }

        var d = a.Differences(b);
        return d.Count == 0
            ? $"the same path fingerprint on {c.Baseline.Label} and {c.Candidate.Label} (TLS, HTTP/2 settings, response headers)"
            : $"the path differs from {c.Baseline.Label} to {c.Candidate.Label}: {string.Join("; ", d)}";
    }

    /// <summary>
    /// A warning when one topology's path changed between runs (compare-runs of the same topology name): the
    /// comparison may not be of the path the reviewer thinks. Different topologies are expected to differ.
    /// </summary>
    public static string? Warning(TopologyComparison c)
    {
        ArgumentNullException.ThrowIfNull(c);
        if (c.Baseline.Run == c.Candidate.Run || c.Baseline.Topology.Name != c.Candidate.Topology.Name
            || c.Baseline.Topology.Path is not { IsEmpty: false } a || c.Candidate.Topology.Path is not { IsEmpty: false } b || a.Differences(b) is not { Count: > 0 } d)
        {
            return null;
        }

        return $"the path of '{c.Candidate.Topology.Name}' changed between {c.Baseline.Label} and {c.Candidate.Label} — this may not compare the path you think: {string.Join("; ", d)}";
    }

    /// <summary>Whether the two sides' paths are what <see cref="ComparisonSettings.ExpectPath"/> says, in one line.</summary>
    public static (bool Passed, string Text) Check(TopologyComparison c)
    {
        ArgumentNullException.ThrowIfNull(c);
        var expect = c.Settings.ExpectPath;
        var name = expect.ToString().ToLowerInvariant();
        if (expect == PathExpectation.Any)
        {
            return (true, "the paths are shown, not judged (expect-path: any)");
        }

        var missing = new[] { c.Baseline, c.Candidate }.Where(x => x.Topology.Path is not { IsEmpty: false }).Select(x => x.Label).ToList();
        if (missing.Count > 0)
        {
            return (false, $"expect-path {name} failed: cannot tell — {string.Join(" and ", missing)} recorded no path fingerprint (a run before LoadGen recorded them, or no connection got as far as the server's SETTINGS)");
        }

        var d = c.Baseline.Topology.Path!.Differences(c.Candidate.Topology.Path!);
        return (expect, d.Count) switch
        {
            (PathExpectation.Same, 0) => (true, $"expect-path same passed: {c.Candidate.Label} crossed the same path as {c.Baseline.Label}"),
            (PathExpectation.Same, _) => (false, $"expect-path same failed: {string.Join("; ", d)}"),
            (_, 0) => (false, $"expect-path changed failed: {c.Candidate.Label} shows the same path fingerprint as {c.Baseline.Label} — it may not have crossed the new path"),
            _ => (true, $"expect-path changed passed: {string.Join("; ", d)}"),
        };
    }
}
