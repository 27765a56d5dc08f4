using LoadGen.Core.Inputs;
using LoadGen.Core.Scenarios;
using LoadGen.Core.Scenarios.Lab;
using LoadGen.Results;
using LoadGen.Results.Analysis;

namespace LoadGen.Tests.Scenarios;

public class ScenarioLoaderTests
{
    private const string Valid = """
        name: t
        targets:
          - name: direct-tls
            address: https://127.0.0.1:8443
          - name: gateway
            address: http://127.0.0.1:9000
        profile:
          maxOpensPerSecond: 50
          phases:
            - ramp: 300
              over: 30s
            - hold: 2m
            - ramp: 0
              over: 10s
        messages:
          schedule: poisson
          interval: 250ms
          payloadBytes: 512
          maxInFlight: 4
          directives:
            delay: 5ms
            replyCount: 3
        connections:
          count: 4
          maxStreamsPerConnection: 90
          openTimeout: 3s
        interval: 2s
        warmup: 3s
        thresholds:
          - p99 < 50ms
          - p999 uncorrected < 1.5s
        """;

    private static ScenarioException Fails(string yaml) =>
        Assert.Throws<ScenarioException>(() => ScenarioLoader.Load(yaml, "bad.yaml"));

    [Fact]
    public void Load_ReadsEveryField()
    {
        var s = ScenarioLoader.Load(Valid, "t.yaml");

        Assert.Equal(["direct-tls", "gateway"], s.Targets.Select(t => t.Name));
        Assert.Equal(new Uri("https://127.0.0.1:8443"), s.Targets[0].Address);
        Assert.Equal(TimeSpan.FromSeconds(160), s.Profile.Duration);
        Assert.Equal(300, s.Profile.Peak);
        Assert.Equal(300, s.Profile.Phases[1].Streams); // a hold keeps the level it follows
        Assert.Equal(50, s.Profile.MaxOpensPerSecond);
        Assert.Equal(ScheduleKind.Poisson, s.Messages.Schedule);
        Assert.Equal(TimeSpan.FromMilliseconds(250), s.Messages.Interval);
        Assert.Equal(512, s.Messages.PayloadBytes);
        Assert.Equal(4, s.Messages.MaxInFlight);
        Assert.Equal(3, s.Messages.Directives!.ReplyCount);
        Assert.Equal(TimeSpan.FromMilliseconds(5), s.Messages.Directives.Delay);
        Assert.Equal((4, 90, TimeSpan.FromSeconds(3)), (s.Connections.Count, s.Connections.MaxStreamsPerConnection, s.Connections.OpenTimeout));
        Assert.Equal(TimeSpan.FromSeconds(2), s.ReportingInterval);
        Assert.Equal(TimeSpan.FromSeconds(3), s.WarmUp);
        Assert.Equal(2, s.Thresholds.Count);
        Assert.True(s.Thresholds[1].Uncorrected);
        Assert.Equal(1500, s.Thresholds[1].Limit);
    }

    [Fact]
    public void ClosedSchedule_TakesNoInterval_AndKeepsOneInFlightByDefault()
    {
        var s = ScenarioLoader.Load("name: c\ntargets:\n  - name: a\n    address: http://127.0.0.1:1\nmessages:\n  schedule: closed\n" + Profile, "c.yaml");
        var e = Fails("name: c\ntargets:\n  - name: a\n    address: http://127.0.0.1:1\nmessages:\n  schedule: closed\n  interval: 10ms\n" + Profile);

        Assert.Equal((ScheduleKind.Closed, 0, 1), (s.Messages.Schedule, s.Messages.MaxInFlight, s.Messages.InFlightCap));
        Assert.Contains("bad.yaml:7", e.Message, StringComparison.Ordinal);
        Assert.Contains("messages.interval: has no meaning with schedule: closed", e.Message, StringComparison.Ordinal);
    }

    private const string Profile = """
        profile:
          phases:
            - ramp: 10
              over: 1s
        """;

    [Fact]
    public void Load_ReadsConnectionOptionsAndMetadata()
    {
        var dir = TestTemp.Path("conn");
        Directory.CreateDirectory(dir);
        File.WriteAllText(Path.Combine(dir, "ca.pem"), "x");
        File.WriteAllText(Path.Combine(dir, "key"), "secret-value");
        var file = Path.Combine(dir, "s.yaml");
        File.WriteAllText(file, """
            name: t
            targets:
              - name: gw
                address: https://10.0.0.7:443
                caFile: ca.pem
                serverName: api.example.com
                authority: api.example.com
                keepalive:
                  delay: 30s
                  timeout: 5s
                  policy: withactiverequests
                maxReceiveMessageSize: 4MiB
                maxSendMessageSize: 64KB
                compression: gzip
                metadataRefresh: 5m
                metadata:
                  x-api-key: "${file:key}"
                  x-tenant: blue
            """ + "\n" + Profile);

        var t = Assert.Single(ScenarioLoader.LoadFile(file).Targets);

        Assert.Equal(Path.Combine(dir, "ca.pem"), t.CaFile);
        Assert.Equal(("api.example.com", "api.example.com"), (t.ServerName, t.Authority));
        Assert.Equal(new KeepAlivePings(TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(5), KeepAlivePolicy.WithActiveRequests), t.KeepAlive);
        Assert.Equal((4 * 1024 * 1024, 64_000), (t.MaxReceiveMessageBytes, t.MaxSendMessageBytes));
        Assert.Equal("gzip", t.Compression);
        Assert.Equal(TimeSpan.FromMinutes(5), t.MetadataRefresh);
        Assert.Equal([new MetadataEntry("x-api-key", "${file:" + Path.Combine(dir, "key") + "}"), new MetadataEntry("x-tenant", "blue")], t.Metadata);
        // The file is really read when a stream needs its headers — and its value goes nowhere but the wire:
        // not into the connection's description, and masked wherever text passes Secrets.Redact.
        var headers = LoadGen.Core.Connections.MetadataSource.Create(t, TimeProvider.System)!.Current();
        Assert.Equal("secret-value", headers.GetValue("x-api-key"));
        Assert.DoesNotContain("secret-value", string.Join(" ", t.DescribeConnection()), StringComparison.Ordinal);
        Assert.Equal($"key={Secrets.Mask}", Secrets.Redact("key=secret-value"));
    }

    [Theory]
    [InlineData("serverName: api.example.com", "is a TLS setting but http://127.0.0.1:9000 is plaintext h2c")]
    [InlineData("insecure: 1", "'1' is not a boolean")]
    [InlineData("caFile: ca.pem", "no such file")]
    [InlineData("compression: brotli", "'brotli' is not a compression this client has: gzip")]
    [InlineData("maxReceiveMessageSize: 4 megs", "'4 megs' is not a size")]
    [InlineData("metadata:\n      Authorization: x", "cannot be sent as metadata")]
    [InlineData("metadata:\n      grpc-timeout: 1S", "cannot be sent as metadata")]
    [InlineData("metadata:\n      x-token: abc123", "carries a credential")]
    [InlineData("metadata:\n      authorization: \"Basic s3cr3t${env:HOME}\"", "mixes literal text with")]
    [InlineData("metadata:\n      x-api-key: \"k-${env:HOME}\"", "mixes literal text with")]
    [InlineData("caFile: /tmp", "/tmp is a directory, not a file")]
    [InlineData("metadata:\n      x-tenant: \"${file:/tmp}\"", "/tmp is a directory, not a file")]
    [InlineData("metadata:\n      x-tenant: \"${ENV:X}\"", "'${ENV:X}' is not a placeholder")]
    [InlineData("metadata:\n      x-tenant: \"${file:/nonexistent/f}\"", "no such file: /nonexistent/f")]
    [InlineData("keepalive:\n      timeout: 5s", "keepalive.delay: is required")]
    public void ConnectionOptionMistakes_NameTheField(string line, string problem)
    {
        var e = Fails($"""
            name: t
            targets:
              - name: h2c
                address: http://127.0.0.1:9000
                {line}
            """ + "\n" + Profile);

        Assert.Contains(problem, e.Message, StringComparison.Ordinal);
        Assert.Contains("bad.yaml:", e.Message, StringComparison.Ordinal);
        Assert.Contains("targets[0]", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_ReadsStreamDirectivesReconnectAndProbe()
    {
        var s = ScenarioLoader.Load(Valid + """

            reconnect:
              initial: 500ms
              multiplier: 2
              max: 30s
            probe:
              max: 90s
              directions: [server-quiet]
            """, "t.yaml");
        Assert.Equal(TimeSpan.FromMilliseconds(500), s.Reconnect.Initial);
        Assert.Equal(2, s.Reconnect.Multiplier);
        Assert.Equal(0.2, s.Reconnect.Jitter);
        Assert.Equal(TimeSpan.FromSeconds(90), s.Probe.Max);
        Assert.Equal([LoadGen.Core.Scenarios.ProbeDirection.ServerQuiet], s.Probe.Directions);

        var withFirst = ScenarioLoader.Load(Valid.Replace("  maxInFlight: 4", """
              maxInFlight: 4
              clientQuietAfter: 2s
              first:
                stopReplying: true
                endAfterMessages: 3
                endStatus: Unavailable
                closeConnection: goaway
                cutoff:
                  when: server-quiet
                  after: 5s
                  abort: true
            """.TrimEnd(), StringComparison.Ordinal), "t.yaml");
        var first = withFirst.Messages.First!;
        Assert.True(first.StopReplying);
        Assert.Equal((3, 14), (first.EndAfterMessages!.Value, first.EndStatus));
        Assert.Equal(ConnectionEndKind.Goaway, first.CloseConnection);
        Assert.Equal(new CutoffDirective(CutoffWhen.ServerQuiet, TimeSpan.FromSeconds(5), true, 0), first.Cutoff);
        Assert.Equal(TimeSpan.FromSeconds(2), withFirst.Messages.ClientQuietAfter);
    }

    [Fact]
    public void ReportingInterval_OldTopLevelInterval_StillWorks_WithAWarningAtItsLine()
    {
        var old = ScenarioLoader.Load(Valid, "t.yaml");
        var renamed = ScenarioLoader.Load(Valid.Replace("\ninterval: 2s", "\nreportingInterval: 2s", StringComparison.Ordinal), "t.yaml");

        Assert.Equal(TimeSpan.FromSeconds(2), old.ReportingInterval);
        Assert.Equal(TimeSpan.FromSeconds(2), renamed.ReportingInterval);
        // (Valid's targets are not lab:// and it has no service: section; that warning is another test's.)
        static IEnumerable<string> Renames(Scenario s) => s.LoadWarnings.Where(w => !w.Contains("no service: section", StringComparison.Ordinal));
        Assert.Empty(Renames(renamed));
        var w = Assert.Single(Renames(old));
        Assert.StartsWith("t.yaml:27: interval: deprecated, write 'reportingInterval:' instead", w, StringComparison.Ordinal);
        // Both at once: which one was meant cannot be told.
        var e = Assert.Throws<ScenarioException>(() => ScenarioLoader.Load("reportingInterval: 1s\n" + Valid, "t.yaml"));
        Assert.Equal("interval", e.Field);
    }

    [Theory]
    [InlineData("yes", true)]
    [InlineData("Yes", true)]
    [InlineData("no", false)]
    [InlineData("false", false)]
    [InlineData("true", true)]
    public void Booleans_AreReadAlike_YesNoTrueFalse_Everywhere(string word, bool value)
    {
        // The three that used to read anything but "true" as false, and reconnect.enabled.
        var s = ScenarioLoader.Load(Valid.Replace("  maxInFlight: 4", $"""
              maxInFlight: 4
              first:
                stopReplying: {word}
                abort: {word}
                cutoff:
                  when: server-quiet
                  after: 5s
                  abort: {word}
            """.TrimEnd(), StringComparison.Ordinal) + $"\nreconnect:\n  enabled: {word}\n", "t.yaml");

        var first = s.Messages.First!;
        Assert.Equal((value, value, value, value), (first.StopReplying, first.Abort, first.Cutoff!.Abort, s.Reconnect.Enabled));
    }

    [Theory]
    [InlineData("stopReplying: y", "messages.first.stopReplying")]
    [InlineData("abort: 1", "messages.first.abort")]
    public void Booleans_AnythingElse_IsAnErrorAtItsField(string line, string field)
    {
        var e = Assert.Throws<ScenarioException>(() => ScenarioLoader.Load(Valid.Replace("  maxInFlight: 4", $"""
              maxInFlight: 4
              first:
                {line}
            """.TrimEnd(), StringComparison.Ordinal), "t.yaml"));

        Assert.Equal(field, e.Field);
        Assert.Contains("is not a boolean", e.Problem, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("endStatus: Unavailable", "endStatus: Unavailible", "messages.first.endStatus", "not a gRPC status")]
    [InlineData("when: server-quiet", "when: idle", "messages.first.cutoff.when", "not one of")]
    public void BadStreamDirectives_AreRejectedWithTheirField(string from, string to, string field, string problem)
    {
        var yaml = Valid.Replace("  maxInFlight: 4", """
              maxInFlight: 4
              first:
                endAfterMessages: 3
                endStatus: Unavailable
                cutoff:
                  when: server-quiet
                  after: 5s
            """.TrimEnd(), StringComparison.Ordinal).Replace(from, to, StringComparison.Ordinal);

        var e = Fails(yaml);
        Assert.Equal(field, e.Field);
        Assert.Contains(problem, e.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public void WrongUnit_NamesFileLineAndField()
    {
        var e = Fails(Valid.Replace("interval: 250ms", "interval: 5 sec", StringComparison.Ordinal));

        Assert.Equal("bad.yaml", e.File);
        Assert.Equal(17, e.Line);
        Assert.Equal("messages.interval", e.Field);
        Assert.Contains("'5 sec' is not a duration", e.Message, StringComparison.Ordinal);
        Assert.StartsWith("bad.yaml:17:", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void UnknownKey_SuggestsTheClosestKnownOne()
    {
        var e = Fails(Valid.Replace("payloadBytes: 512", "payloadByte: 512", StringComparison.Ordinal));

        Assert.Equal("messages.payloadByte", e.Field);
        Assert.Equal(18, e.Line);
        Assert.Contains("did you mean 'payloadBytes'", e.Problem, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("maxStreamsPerConnection: 90", "maxStreamsPerConnection: -5", "connections.maxStreamsPerConnection", "out of range")]
    [InlineData("- ramp: 300", "- ramp: lots", "profile.phases[0].ramp", "not a whole number")]
    [InlineData("over: 30s", "overr: 30s", "profile.phases[0].over", "is required")]
    [InlineData("schedule: poisson", "schedule: bursty", "messages.schedule", "not one of: fixed, poisson")]
    [InlineData("address: http://127.0.0.1:9000", "address: 127.0.0.1:9000", "targets[1].address", "not an address")]
    [InlineData("name: gateway", "name: direct-tls", "targets[1].name", "listed twice")]
    [InlineData("- p99 < 50ms", "- p99 under 50ms", "thresholds[0]", "not a threshold")]
    [InlineData("- p99 < 50ms", "- unanswered < 150%", "thresholds[0]", "can never fail")]
    [InlineData("address: http://127.0.0.1:9000", "address: http://127.0.0.1:9000/?token=QTOKEN-1", "targets[1].address", "has a query string")]
    [InlineData("openTimeout: 3s", "openTimeout: 0s", "connections.openTimeout", "out of range")]
    [InlineData("warmup: 3s", "warmup: a bit", "warmup", "not a duration")]
    public void BadValues_AreRejectedWithTheirField(string from, string to, string field, string problem)
    {
        var e = Fails(Valid.Replace(from, to, StringComparison.Ordinal));

        Assert.Equal(field, e.Field);
        Assert.Contains(problem, e.Problem, StringComparison.Ordinal);
        Assert.True(e.Line > 0, "every rejection names a line");
    }

    [Theory]
    [InlineData("", "(document)")]
    [InlineData("targets: [", "(syntax)")]
    [InlineData("name: x\nprofile:\n  phases:\n    - hold: 1s\n", "targets")]
    [InlineData("targets:\n  - name: a\n    address: http://127.0.0.1:1\nprofile:\n  phases:\n    - hold: 1s\n", "profile.phases")]
    [InlineData("- just\n- a list\n", "")]
    public void StructuralProblems_AreRejectedWithALocation(string yaml, string field)
    {
        var e = Fails(yaml);

        Assert.Equal(field, e.Field);
    }

    private const string LabValid = """
        name: faults
        targets:
          - name: direct-tls
            address: lab://direct-tls
          - name: gateway
            address: lab://gateway
        profile:
          phases:
            - ramp: 100
              over: 5s
            - hold: 1m
        rounds: 2
        lab:
          esp:
            clientBodyTimeout: 30s
            workerShutdownTimeout: 10s
            keepaliveRequests: 500
          gateway:
            streamIdleTimeout: 5m
            cutStyle: envoy
        faults:
          - at: 10s
            action: reload-esp
          - at: 15s
            action: stop-esp
            for: 3s
          - at: 20s
            action: drain-gateway
            closeAfter: 2s
          - at: 25s
            action: set-esp
            grpcReadTimeout: 5s
          - at: 30s
            action: set-gateway
            abortShare: 0.1
            abortStatus: 14
          - at: 33s
            action: kill-backend
            for: 2s
        """;

    [Fact]
    public void Load_ReadsRoundsLabSettingsAndFaults()
    {
        var s = ScenarioLoader.Load(LabValid, "lab.yaml");

        Assert.Equal(2, s.Rounds);
        Assert.Equal(TimeSpan.FromSeconds(30), s.Lab.Esp.ClientBodyTimeout);
        Assert.Equal(TimeSpan.FromSeconds(10), s.Lab.Esp.WorkerShutdownTimeout);
        Assert.Equal(500, s.Lab.Esp.KeepaliveRequests);
        Assert.Null(s.Lab.Esp.GrpcReadTimeout);
        Assert.Equal(TimeSpan.FromMinutes(5), s.Lab.Gateway.StreamIdleTimeout);
        Assert.Equal(
            ["reload-esp", "stop-esp for 3s", "drain-gateway (close after 2s)", "set-esp grpcReadTimeout 5s", "set-gateway abortShare 0.1, abortStatus 14", "kill-backend for 2s"],
            s.Faults.Select(f => f.Describe()));
        Assert.Equal(TimeSpan.FromSeconds(15), s.Faults[1].At);
    }

    [Theory]
    [InlineData("action: reload-esp", "action: reboot-esp", "faults[0].action", "not one of: reload-esp")]
    [InlineData("for: 3s", "duration: 3s", "faults[1].for", "is required")]
    [InlineData("closeAfter: 2s", "closeAfter: soon", "faults[2].closeAfter", "a number with a unit")]
    [InlineData("grpcReadTimeout: 5s", "grpcReadTimout: 5s", "faults[3].grpcReadTimout", "did you mean 'grpcReadTimeout'")]
    [InlineData("abortShare: 0.1", "abortShare: 1.5", "faults[4].abortShare", "out of range")]
    [InlineData("  - at: 10s\n    action: reload-esp", "  - at: 10s\n    action: reload-esp\n    for: 2s", "faults[0].for", "unknown key")]
    [InlineData("cutStyle: envoy", "cutStyle: nginx", "lab.gateway.cutStyle", "not one of: envoy")]
    [InlineData("clientBodyTimeout: 30s", "clientBodyTimeout: 30", "lab.esp.clientBodyTimeout", "a number with a unit")]
    [InlineData("at: 33s", "at: 2m", "faults", "would never fire")]
    [InlineData("address: lab://gateway", "address: https://127.0.0.1:443", "faults", "not a lab:// topology")]
    public void BadLabAndFaults_AreRejectedWithTheirField(string from, string to, string field, string problem)
    {
        var e = Fails(LabValid.Replace(from, to, StringComparison.Ordinal));

        Assert.Equal(field, e.Field);
        Assert.Contains(problem, e.Problem, StringComparison.Ordinal);
        Assert.True(e.Line > 0, "every rejection names a line");
    }

    [Fact]
    public void MissingFile_IsAScenarioErrorNotACrash()
    {
        var e = Assert.Throws<ScenarioException>(() => ScenarioLoader.LoadFile("/nonexistent/scenario.yaml"));
        Assert.Contains("cannot read the scenario file", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ShippedScenarios_AllLoad()
    {
        var files = Directory.GetFiles(Path.Combine(AppContext.BaseDirectory, "scenarios"), "*.yaml");
        Assert.NotEmpty(files);
        foreach (var f in files)
        {
            // A probe-only file (a probe: section, no profile:) loads for probe-timeouts, which opens its own streams.
            var probeOnly = !File.ReadAllText(f).Contains("\nprofile:", StringComparison.Ordinal);
            var s = ScenarioLoader.LoadFile(f, probeOnly ? ScenarioPurpose.Probe : ScenarioPurpose.Run);
            Assert.NotEmpty(s.Targets);
            Assert.True(s.Profile.Peak > 0, f);
        }
    }

    [Theory]
    [InlineData("250ms", 250)]
    [InlineData("10s", 10_000)]
    [InlineData("1.5s", 1_500)]
    [InlineData("5m", 300_000)]
    [InlineData("1h", 3_600_000)]
    [InlineData("1m15s", 75_000)]
    [InlineData("1h30m", 5_400_000)]
    public void Durations_ParseTheUnitsPeopleWrite(string text, double ms) =>
        Assert.Equal(TimeSpan.FromMilliseconds(ms), Durations.Parse(text));

    [Fact]
    public void Durations_WhatFormatWrites_ReadsBack()
    {
        // validate --explain writes Format's text into a scenario; 75 s was "1m15s", which did not parse.
        var values = new[] { 0.25, 1, 1.5, 59, 60, 75, 3599, 3600, 5400, 86400, 90061 }.Select(TimeSpan.FromSeconds);
        Assert.All(values, v => Assert.Equal(v, Durations.Parse(Durations.Format(v))));
    }

    [Theory]
    [InlineData("5 sec")]
    [InlineData("10")]
    [InlineData("-1s")]
    [InlineData("1d")]
    [InlineData("30m1h")]
    [InlineData("1m1m")]
    public void Durations_RejectWhatIsAmbiguous(string text) => Assert.False(Durations.TryParse(text, out _));
}

public class ComparisonSectionTests
{
    private const string Targets = """
        name: t
        targets:
          - name: a
            address: http://127.0.0.1:9000
          - name: b
            address: http://127.0.0.1:9001
        profile:
          phases:
            - ramp: 10
              over: 1s
        """;

    [Fact]
    public void Comparison_GatePrimaryAndMargins_AreRead_TheRestKeepTheirDefaults()
    {
        var s = ScenarioLoader.Load(Targets + """

            comparison:
              gate: not-worse
              primary: [p50, p99.9]
              margins:
                p99.9: max(10ms, 25%)
                unplanned-ends: 3x
            """, "t.yaml");

        Assert.Equal(ComparisonGate.NotWorse, s.Comparison.Gate);
        Assert.Equal(["p50", "p99.9"], s.Comparison.Primary);
        Assert.Equal(25, s.Comparison.MarginOf("p99.9").For(100)); // 25% of 100 ms beats 10 ms
        Assert.Equal(10, s.Comparison.MarginOf("p99.9").For(20));
        Assert.Equal(3, s.Comparison.MarginOf("unplanned-ends").Ratio);
        Assert.Equal(2, s.Comparison.MarginOf("p99").For(5)); // default max(2ms, 10%)
        Assert.Equal(ComparisonGate.None, ScenarioLoader.Load(Targets, "t.yaml").Comparison.Gate);
    }

    [Theory]
    [InlineData("comparison:\n  gate: strict", "comparison.gate", 12, "not-worse")]
    [InlineData("comparison:\n  primary: [p50, p97]", "comparison.primary[1]", 12, "known: p50")]
    [InlineData("comparison:\n  margins:\n    p99: 2x", "comparison.margins.p99", 13, "latency margin")]
    [InlineData("comparison:\n  margins:\n    unplanned-ends: 5ms", "comparison.margins.unplanned-ends", 13, "ratio")]
    [InlineData("comparison:\n  margins:\n    p50: 0ms", "comparison.margins.p50", 13, "above zero")]
    [InlineData("comparison:\n  gates: none", "comparison.gates", 12, "did you mean 'gate'")]
    public void Comparison_BadValues_NameTheLineAndField(string yaml, string field, int line, string hint)
    {
        var e = Assert.Throws<ScenarioException>(() => ScenarioLoader.Load(Targets + "\n" + yaml, "t.yaml"));

        Assert.Equal(field, e.Field);
        Assert.Equal(line, e.Line);
        Assert.Contains(hint, e.Message, StringComparison.Ordinal);
    }
}

public class UnmeasurableThresholdTests
{
    [Fact]
    public void SurvivalLongerThanTheRun_IsAWarningAtItsLine_NotAnError()
    {
        var s = ScenarioLoader.Load("""
            name: t
            targets:
              - name: a
                address: lab://backend-h2c
            profile:
              phases:
                - ramp: 10
                  over: 4s
                - hold: 20s
            thresholds:
              - p99 < 1s
              - survival(1h) > 0.999
              - survival(10s) > 0.9
            """, "t.yaml");

        var warning = Assert.Single(s.LoadWarnings);
        Assert.StartsWith("t.yaml:12: thresholds[1]: 'survival(1h) > 0.999' cannot be measured", warning, StringComparison.Ordinal);
        Assert.Contains("lasts 24s", warning, StringComparison.Ordinal);
        Assert.Equal(3, s.Thresholds.Count);
    }
}

/// <summary>Inputs that used to pass validate and then failed (or were silently ignored) in the run.</summary>
public class ValidationHoleTests
{
    private const string Own = """
        name: t
        targets:
          - name: a
            address: http://127.0.0.1:9000
        """;

    [Theory]
    [InlineData(Own + "\nprofile:\n  phases:\n    - ramp: 10\n      over: 0s\n", "profile", 6, "lasts 0s")]
    [InlineData(Own + "\nprofile:\n  phases:\n    - ramp: 10\n      over: 1s\n---\nname: second\n", "(document)", 10, "second YAML document")]
    [InlineData(Own + "\nprofile:\n  phases:\n    - ramp: 10\n      over: 1s\nlab:\n  esp:\n    clientBodyTimeout: 5s\n", "lab", 10, "no target is a lab:// topology")]
    [InlineData("name: t\ntargets:\n  - name: a\n    address: lab://backend-h2c\nprofile:\n  phases:\n    - ramp: 10\n      over: 1s\nlab:\n  backend:\n    maxConnectionAgeGrace: 2s\n", "lab.backend.maxConnectionAgeGrace", 11, "only applies with maxConnectionAge")]
    public void Rejected_AtTheirLine(string yaml, string field, int line, string problem)
    {
        var e = Assert.Throws<ScenarioException>(() => ScenarioLoader.Load(yaml, "t.yaml"));

        Assert.Equal((field, line), (e.Field, (int)e.Line));
        Assert.Contains(problem, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void OwnTargetWithoutAServiceSection_IsWarnedOfBeforeTheRun()
    {
        var s = ScenarioLoader.Load(Own + "\nprofile:\n  phases:\n    - ramp: 10\n      over: 1s\n", "t.yaml");

        var w = Assert.Single(s.LoadWarnings);
        Assert.StartsWith("t.yaml:3: targets: a (http://127.0.0.1:9000/) is not lab://", w, StringComparison.Ordinal);
        Assert.Contains("Unimplemented", w, StringComparison.Ordinal);
    }

    [Fact]
    public void ADirectoryAsTheScenario_IsSaidToBeADirectory()
    {
        var dir = TestTemp.Path("dir");
        Directory.CreateDirectory(dir);

        var e = Assert.Throws<ScenarioException>(() => ScenarioLoader.LoadFile(dir));

        Assert.Contains("is a directory, not a scenario file", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void LabBackendAging_IsRead()
    {
        var s = ScenarioLoader.Load("name: t\ntargets:\n  - name: a\n    address: lab://backend-h2c\nprofile:\n  phases:\n    - ramp: 10\n      over: 1s\nlab:\n  backend:\n    maxConnectionAge: 30s\n    maxConnectionAgeGrace: 2s\n", "t.yaml");

        Assert.Equal((TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(2)), (s.Lab.Backend.MaxConnectionAge!.Value, s.Lab.Backend.MaxConnectionAgeGrace!.Value));
    }
}
