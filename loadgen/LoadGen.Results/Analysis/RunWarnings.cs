namespace LoadGen.Results.Analysis;

/// <summary>
/// The warnings a run earns by its outcome — said on the console at its end, in summary.json, and on every report's
/// first screen and junit.xml's properties: a saturated generator, messages left unanswered, a gateway that shows no proxy.
/// </summary>
public static class RunWarnings
{
    /// <summary>More than this share of the messages sent going unanswered is warned of (1%).</summary>
    public const double UnansweredShare = 0.01;

    /// <summary>Every end-of-run warning for these topologies.</summary>
    public static IReadOnlyList<string> For(IReadOnlyList<TopologySummary> topologies)
    {
        ArgumentNullException.ThrowIfNull(topologies);
        return [.. GeneratorHealth.Warnings(topologies), .. Unanswered(topologies), .. GatewayWithoutProxy(topologies), .. DriftAnalysis.Warnings(topologies)];
    }

    /// <summary>
    /// A target named as a gateway or an ingress whose answers carried no proxy's header at all (no Via, no x-envoy-*,
    /// no Envoy server header): its streams may reach the backend directly — a gateway that fell back to a direct route,
    /// or a name that points elsewhere. Only when the path was recorded and streams were read.
    /// </summary>
    public static IEnumerable<string> GatewayWithoutProxy(IEnumerable<TopologySummary> topologies)
    {
        ArgumentNullException.ThrowIfNull(topologies);
        foreach (var t in topologies.Where(t => t.Path is { Streams: > 0 }
            && (t.Name.Contains("gateway", StringComparison.OrdinalIgnoreCase) || t.Name.Contains("ingress", StringComparison.OrdinalIgnoreCase))))
        {
            var names = t.Path!.Values(PathFields.HeaderNames).SelectMany(n => n.Split(", ")).ToHashSet(StringComparer.OrdinalIgnoreCase);
            var envoy = t.Path.Values("header.server").Any(v => v.Contains("envoy", StringComparison.OrdinalIgnoreCase));
            if (!envoy && !names.Contains("via") && !names.Any(n => n.StartsWith("x-envoy-", StringComparison.OrdinalIgnoreCase)))
            {
                yield return $"{t.Name} is named as a gateway, but no answer carried a proxy's header (via, x-envoy-*, server: envoy; headers seen: {t.Path.Show(PathFields.HeaderNames)}): " +
                    "its streams may reach the backend directly — check the path card, or rename the target if it is no gateway";
            }
        }
    }

    /// <summary>
    /// One warning per topology where more than 1% of the messages sent were never answered by the end of their stream,
    /// with the causes of the streams that left them: a server that stops answering streams it keeps open passes every
    /// latency threshold on the few replies it sent.
    /// </summary>
    public static IEnumerable<string> Unanswered(IEnumerable<TopologySummary> topologies)
    {
        ArgumentNullException.ThrowIfNull(topologies);
        foreach (var t in topologies.Where(t => t.Messages.Sent > 0 && t.Messages.Unanswered > UnansweredShare * t.Messages.Sent))
        {
            var causes = string.Join(", ", t.UnansweredByCause.Where(kv => kv.Value > 0).OrderByDescending(kv => kv.Value).Select(kv => FormattableString.Invariant($"{kv.Key} {kv.Value:#,0}")));
            var share = FormattableString.Invariant($"{100.0 * t.Messages.Unanswered / t.Messages.Sent:0.#}%");
            var left = causes.Length > 0 ? $"; left by streams that ended as {causes}" : "";
            yield return FormattableString.Invariant($"{share} of the messages sent on {t.Name} were never answered ({t.Messages.Unanswered:#,0} of {t.Messages.Sent:#,0}{left}): ") +
                FormattableString.Invariant($"its latency figures rest on the {t.Messages.Received:#,0} that were — ") +
                "a server that stops answering streams it keeps open looks fast; the default threshold 'unanswered < 1%' fails such a run " +
                "(declare 'unanswered < 0.1%' to tighten it, 'unanswered off' to turn it off)";
        }
    }
}
