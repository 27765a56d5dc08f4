using LoadGen.Results;
using LoadGen.Results.Analysis;

namespace LoadGen.Tests.Cli;

/// <summary>The `loadgen` command line as a user meets it: exit codes, messages, the run folder.</summary>
[Collection(Integration.SerialLoad.Name)]
public class CliTests
{
    private static Task<(int Code, string Out, string Err)> Run(params string[] args) => LoadGen.Tests.Cli.CliRunner.RunAsync(args);

    private static string TempFile(string content)
    {
        var path = TestTemp.Path("scenario") + ".yaml";
        File.WriteAllText(path, content);
        return path;
    }

    private static string Short(string threshold) => $"""
        name: cli-test
        targets:
          - name: backend-h2c
            address: lab://backend-h2c
        profile:
          phases:
            - ramp: 20
              over: 500ms
            - hold: 2s
        messages:
          interval: 100ms
        interval: 1s
        thresholds:
          - {threshold}
        """;

    [Fact(Timeout = Integration.SerialLoad.TimeoutMs)]
    public async Task Run_BrokenScenario_ExitsTwoNamingFileLineAndField()
    {
        var file = TempFile(Short("p99 < 1s").Replace("interval: 100ms", "interval: 100 msec", StringComparison.Ordinal));

        var (code, _, err) = await Run("run", "--scenario", file);

        Assert.Equal(2, code);
        Assert.Contains($"{file}:11:", err, StringComparison.Ordinal);
        Assert.Contains("messages.interval", err, StringComparison.Ordinal);
    }

    [Fact(Timeout = Integration.SerialLoad.TimeoutMs)]
    public async Task Run_ThresholdMissed_ExitsOne_AndWritesTheFolder()
    {
        var outDir = TestTemp.Path("out");
        var file = TempFile(Short("p50 < 1us".Replace("1us", "0.001ms", StringComparison.Ordinal)));

        var (code, stdout, err) = await Run("run", "--scenario", file, "--out", outDir);

        Assert.True(code == 1, $"exit {code}\n{stdout}\n{err}");
        Assert.Contains("threshold FAIL: p50 < 0.001ms [backend-h2c]", stdout, StringComparison.Ordinal);
        Assert.Contains("[backend-h2c] hold", err, StringComparison.Ordinal); // one progress line per interval
        // The end table fits the terminal — 80 columns here, where the output is not one (k6 and ghz fit 80 too).
        var table = stdout.Split('\n').Select(l => l.TrimEnd('\r')).Where(l => l.StartsWith('|') || l.StartsWith('+')).ToList();
        Assert.True(table.Count > 10, stdout);
        Assert.All(table, l => Assert.True(l.Length <= LoadGen.Cli.Commands.RunCommand.TableWidth(), $"{l.Length} columns: {l}"));
        var folder = RunFolder.Open(Assert.Single(Directory.GetDirectories(outDir)));
        var summary = folder.ReadSummary();
        Assert.Equal("fail", summary.Verdict.Value);
        Assert.False(Assert.Single(summary.Thresholds, t => t.Expression == "p50 < 0.001ms").Passed);
        // Every run is also judged by the default unanswered threshold, and says so; this one lost nothing.
        var lost = Assert.Single(summary.Thresholds, t => t.Expression == "unanswered < 1% (default)");
        Assert.True(lost.Passed && lost.Actual == 0, $"{lost.ActualText}");
        Assert.Contains("threshold PASS: unanswered < 1% (default) [backend-h2c]", stdout, StringComparison.Ordinal);
        Assert.Equal(20, summary.Topologies[0].Streams.PeakActive);
        Assert.Contains("lab://backend-h2c", File.ReadAllText(folder.RunJson), StringComparison.Ordinal);
        // One owner for the folder: every file the run left is one RunFolder declares.
        var declared = typeof(RunFolder).GetFields(System.Reflection.BindingFlags.Public | System.Reflection.BindingFlags.Static)
            .Where(f => f.IsLiteral && f.FieldType == typeof(string)).Select(f => (string)f.GetRawConstantValue()!).ToHashSet();
        Assert.All(Directory.GetFiles(folder.Path).Select(Path.GetFileName), f => Assert.True(declared.Contains(f!), $"{f} is in the run folder but RunFolder does not declare it"));
        Assert.Contains(RunFolder.LogFile, Directory.GetFiles(folder.Path).Select(Path.GetFileName));
    }

    [Fact(Timeout = Integration.SerialLoad.TimeoutMs)]
    public async Task Run_ThresholdMet_ExitsZero_QuietPrintsNoProgress()
    {
        var outDir = TestTemp.Path("out");
        var (code, stdout, err) = await Run("run", "--scenario", TempFile(Short("p99 < 10s")), "--out", outDir, "--quiet");

        Assert.True(code == 0, $"exit {code}\n{stdout}\n{err}");
        Assert.Contains("verdict: pass", stdout, StringComparison.Ordinal);
        Assert.DoesNotContain("[backend-h2c] hold", err, StringComparison.Ordinal);
    }

    [Fact(Timeout = Integration.SerialLoad.TimeoutMs)]
    public async Task Run_UnknownLabTopology_ExitsTwo()
    {
        var (code, _, err) = await Run("run", "--scenario", TempFile(Short("p99 < 1s").Replace("lab://backend-h2c", "lab://gatewy", StringComparison.Ordinal)));

        Assert.Equal(2, code);
        Assert.Contains("lab://gatewy", err, StringComparison.Ordinal);
        Assert.Contains("known: lab://backend-h2c", err, StringComparison.Ordinal);
    }

    [Fact(Timeout = Integration.SerialLoad.TimeoutMs)]
    public async Task Validate_GoodFile_DescribesIt()
    {
        var (code, stdout, _) = await Run("validate", "--scenario", TempFile(Short("p99 < 1s")));

        Assert.Equal(0, code);
        Assert.Contains("ok — scenario 'cli-test'", stdout, StringComparison.Ordinal);
        Assert.Contains("peak 20 streams", stdout, StringComparison.Ordinal);
    }

    [Theory(Timeout = Integration.SerialLoad.TimeoutMs)]
    [InlineData("run")]
    [InlineData("run", "--scenario", "x.yaml", "--bogus")]
    [InlineData("frobnicate")]
    [InlineData("demo", "--streams", "many")]
    [InlineData("compare", "--topologies", "direct-tls,gatewy")]
    [InlineData("compare", "--topologies", "direct-tls")]
    [InlineData("compare", "--topologies", "a=ftp://x,b=https://y")]
    [InlineData("compare", "--rounds", "0")]
    [InlineData("demo", "--lab", "sometimes")]
    [InlineData("compare", "--warmup", "a while")]
    public async Task BadCommandLine_ExitsTwo(params string[] args)
    {
        var (code, _, err) = await Run(args);

        Assert.Equal(2, code);
        Assert.Contains("error:", err, StringComparison.Ordinal);
    }

    [Fact(Timeout = Integration.SerialLoad.TimeoutMs)]
    public async Task Compare_EmbeddedLab_InterleavesRounds_AndWritesBothTopologiesToOneSummary()
    {
        var outDir = TestTemp.Path("out");

        var (code, stdout, err) = await Run("compare", "--topologies", "direct-tls,gateway", "--lab", "embedded",
            "--streams", "50", "--duration", "3s", "--rounds", "3", "--out", outDir);

        Assert.True(code == 0, $"exit {code}\n{stdout}\n{err}");
        var folder = RunFolder.Open(Assert.Single(Directory.GetDirectories(outDir)));
        var summary = folder.ReadSummary();
        Assert.Equal(["direct-tls", "gateway"], summary.Topologies.Select(t => t.Name));
        Assert.All(summary.Topologies, t =>
        {
            Assert.Equal(3, t.Rounds);
            Assert.Equal(new Dictionary<string, long> { ["client-closed"] = 150 }, t.Outcomes);
            Assert.Equal(t.Messages.Sent, t.Messages.Received);
        });
        // A, B, B, A, A, B (the order reversed every other round) — and each round's counts add up to the topology's.
        Assert.Equal([("direct-tls", 1), ("gateway", 1), ("gateway", 2), ("direct-tls", 2), ("direct-tls", 3), ("gateway", 3)], summary.Rounds.Select(r => (r.Topology, r.Round)));
        Assert.True(summary.Rounds.Zip(summary.Rounds.Skip(1)).All(p => p.First.StartedAt < p.Second.StartedAt));
        foreach (var t in summary.Topologies)
        {
            var rounds = summary.Rounds.Where(r => r.Topology == t.Name).ToList();
            Assert.Equal(t.Messages.Sent, rounds.Sum(r => r.Messages.Sent));
            Assert.Equal(t.LatencyMs.Count, rounds.Sum(r => r.LatencyMs.Count));
            Assert.All(rounds, r => Assert.Equal(50, r.Outcomes["client-closed"]));
            // Each round's open latency counts that round's opens, and together they are the topology's.
            Assert.All(rounds, r => Assert.Equal(r.Streams.Opened, r.OpenLatencyMs?.Count));
            Assert.Equal(t.OpenLatencyMs.Count, rounds.Sum(r => r.OpenLatencyMs!.Count));
            // intervals.ndjson counts are per interval: each round's add up to that round's.
            var intervals = Ndjson.Read<IntervalRecord>(folder.Intervals).Records.Where(i => i.Topology == t.Name).ToList();
            Assert.All(rounds, r => Assert.Equal(r.Messages.Sent, intervals.Where(i => i.Round == r.Round).Sum(i => i.Sent)));
            Assert.Equal(t.Streams.Opened, intervals.Sum(i => i.Opened));
        }

        Assert.Contains("embedded .NET proxy", err, StringComparison.Ordinal);
        // Asked for with --lab embedded, the embedded proxies are no warning; only the run's own end-of-run ones may be
        // (a generator saturated on a busy machine is said next to the verdict).
        Assert.Empty(ConsoleWarnings.Besides(err, summary));
        // compare warms each topology up first (4 s by default); nothing of it is in the run's files.
        Assert.Contains("warm-up first: 50 streams per target for 4s, recorded nowhere", err, StringComparison.Ordinal);
        Assert.Contains("[direct-tls warm-up]", err, StringComparison.Ordinal);
        Assert.Equal(300, File.ReadLines(folder.OutcomesPath).Count());
        Assert.All(summary.Topologies, t => Assert.Equal(150, t.Streams.Opened));
        // Three rounds pair up: the report says its differences are per round, not of the pooled columns.
        var md = await File.ReadAllTextAsync(Path.Combine(folder.Path, LoadGen.Reports.ReportWriter.Markdown));
        Assert.Contains("Latency differences are the mean over the 3 interleaved rounds of each round's candidate − baseline", md, StringComparison.Ordinal);
        // …and shows the rounds, in the order run, so a round that stands out can be seen.
        var roundRows = md.Split('\n').SkipWhile(l => l != "## Rounds").Skip(1).TakeWhile(l => !l.StartsWith("## ", StringComparison.Ordinal))
            .Where(l => l.StartsWith("| ", StringComparison.Ordinal)).Skip(1).ToList();
        Assert.Equal(summary.Rounds.Select(r => $"| {r.Round} | {r.Topology} | {r.Streams.Opened} |"), roundRows.Select(l => string.Join(" | ", l.Split(" | ").Take(3)) + " |"));
    }

    [Fact(Timeout = Integration.SerialLoad.TimeoutMs)]
    public async Task Demo_BadDuration_ExitsTwoWithTheExpectedForm()
    {
        var (code, _, err) = await Run("demo", "--duration", "1 minute");

        Assert.Equal(2, code);
        Assert.Contains("expected a number with a unit", err, StringComparison.Ordinal);
    }

    [Fact(Timeout = Integration.SerialLoad.TimeoutMs)]
    public async Task ProbeTimeouts_AgainstTheEmbeddedLab_FindsNoCutoff_AndWritesProbeJson()
    {
        var outDir = TestTemp.Path("out");
        var file = TempFile("""
            name: probe
            targets:
              - name: backend-h2c
                address: lab://backend-h2c
            probe:
              min: 500ms
              max: 2s
              resolution: 500ms
              budget: 30s
              parallel: 3
              directions: [client-quiet, both-quiet]
            """);

        // A probe opens its own streams: its scenario needs no profile; a run of the same file does.
        var (runCode, _, runErr) = await Run("validate", "--scenario", file);
        var (code, stdout, err) = await Run("probe-timeouts", "--scenario", file, "--out", outDir);

        Assert.Equal(2, runCode);
        Assert.Contains("profile", runErr, StringComparison.Ordinal);
        Assert.True(code == 0, $"exit {code}\n{stdout}\n{err}");
        Assert.Contains("client-quiet  cut-off none found", stdout, StringComparison.Ordinal);
        Assert.Contains("no cut-off: streams survived 2 s quiet", stdout, StringComparison.Ordinal);
        Assert.DoesNotContain("server-quiet", stdout, StringComparison.Ordinal);
        var probeJson = File.ReadAllText(Path.Combine(Assert.Single(Directory.GetDirectories(outDir)), "probe.json"));
        Assert.Contains("\"direction\": \"both-quiet\"", probeJson, StringComparison.Ordinal);
        // Which parts stood behind the lab target, and the lab settings it ran with.
        var report = System.Text.Json.Nodes.JsonNode.Parse(probeJson)!.AsArray().Single()!;
        Assert.Contains("backend", (string)report["components"]!, StringComparison.Ordinal);
        Assert.Equal("defaults", (string)report["lab"]!["esp"]!);
    }

    [Theory(Timeout = Integration.SerialLoad.TimeoutMs)]
    [InlineData("my.gw=http://127.0.0.1:9", "'my.gw' is not a usable target name")]
    [InlineData("gw=ftp://127.0.0.1:9", "expected a lab topology")]
    public async Task Compare_TopologiesFlag_FollowsTheSameTargetRulesAsAScenarioFile(string topologies, string problem)
    {
        var (code, _, err) = await Run("compare", "--topologies", topologies, "--streams", "1", "--duration", "1s");

        Assert.Equal(2, code);
        Assert.Contains(problem, err, StringComparison.Ordinal);
    }

    [Fact(Timeout = Integration.SerialLoad.TimeoutMs)]
    public async Task Run_ServerNeverAnswers_ExitsThree_SaysSo_AndCountsTheLostMessages()
    {
        var s = await TempScenario.WriteAsync("silent", """
            name: silent
            targets:
              - name: backend-h2c
                address: lab://backend-h2c
            profile:
              phases:
                - ramp: 5
                  over: 500ms
                - hold: 2s
            messages:
              interval: 200ms
              first:
                stopReplying: true
            reportingInterval: 1s
            closeTimeout: 1s
            """);

        var (code, stdout, err) = await Run("run", "--scenario", s.File, "--out", s.OutDir, "--quiet");

        Assert.True(code == 3, $"exit {code}\n{stdout}\n{err}");
        Assert.Contains("error: target 'backend-h2c'", err, StringComparison.Ordinal);
        Assert.Contains("and not one answered", err, StringComparison.Ordinal);
        var t = Assert.Single(RunFolder.Open(s.RunFolder).ReadSummary().Topologies);
        Assert.True(t.Messages.Sent > 20, $"sent {t.Messages.Sent}");
        Assert.Equal(0, t.Messages.Received);
        Assert.Equal(t.Messages.Sent, t.Messages.Unanswered);
        Assert.Equal(t.Messages.Sent, t.UnansweredByCause.Values.Sum());
        Assert.Contains("messages never answered", stdout, StringComparison.Ordinal);
        TestTemp.Remove(s.Dir);
    }

    [Fact(Timeout = Integration.SerialLoad.TimeoutMs)]
    public async Task ExitCodes_TellBadInputFromLoadGensOwnFailure()
    {
        // --out naming a file: the run folder cannot be made, before any stream opens → 2 (it crashed with exit 1).
        var file = TestTemp.Path("not-a-dir");
        await File.WriteAllTextAsync(file, "x");
        var (code, stdout, err) = await Run("run", "--scenario", TempFile(Short("p99 < 10s")), "--out", file);
        Assert.True(code == 2, $"exit {code}\n{stdout}\n{err}");
        Assert.Contains("the run folder cannot be made there", err, StringComparison.Ordinal);

        // A real run's folder, then damaged: a damaged histogram line in latency.hlog (it threw FormatException) is left
        // out and named — on the console and in the reports — and the rest of the run is reported.
        var outDir = TestTemp.Path("out");
        (code, stdout, err) = await Run("run", "--scenario", TempFile(Short("p99 < 10s")), "--out", outDir, "--quiet");
        Assert.True(code == 0, $"exit {code}\n{stdout}\n{err}");
        var folder = RunFolder.Open(Assert.Single(Directory.GetDirectories(outDir)));
        File.Delete(folder.Summary);
        var hlog = await File.ReadAllLinesAsync(folder.Latency);
        // Not the last line: a line torn by a kill is expected there and skipped.
        await File.WriteAllLinesAsync(folder.Latency, [.. hlog.Take(hlog.Length - 3), "0.000,1.000,1.000,@@not-base64@@", .. hlog.Skip(hlog.Length - 2)]);
        (code, _, err) = await Run("report", folder.Path);
        Assert.True(code == 0, $"exit {code}\n{err}");
        Assert.Contains($"damaged {RunFolder.LatencyFile}: 1 damaged interval histogram line(s) left out (line {hlog.Length - 2})", err, StringComparison.Ordinal);
        Assert.Contains($"damaged {RunFolder.LatencyFile}", await File.ReadAllTextAsync(Path.Combine(folder.Path, "report.html")), StringComparison.Ordinal);

        // A folder with nothing of a run in it is still bad input → 2.
        var empty = TestTemp.Path("empty");
        Directory.CreateDirectory(empty);
        (code, _, err) = await Run("report", empty);
        Assert.True(code == 2, $"exit {code}\n{err}");
        Assert.Contains("not a usable run folder", err, StringComparison.Ordinal);

        // Only run.json copied (the data files left behind): its threshold is not judged, never passed on nothing → 2,
        // the missing files named on the console, junit.xml failing the threshold instead of an empty suite.
        var bare = TestTemp.Path("only-run-json");
        Directory.CreateDirectory(bare);
        File.Copy(folder.RunJson, Path.Combine(bare, RunFolder.RunFile));
        (code, _, err) = await Run("report", bare);
        Assert.True(code == 2, $"exit {code}\n{err}");
        // The declared threshold and the default one run.json records beside it.
        Assert.Contains("2 threshold(s) not judged: latency.hlog, intervals.ndjson, outcomes.ndjson missing", err, StringComparison.Ordinal);
        var junit = System.Xml.Linq.XDocument.Load(Path.Combine(bare, "junit.xml"));
        var cases = junit.Descendants("testcase").ToList();
        Assert.Equal(["p99 < 10s", "unanswered < 1% (default)"], cases.Select(c => c.Attribute("name")?.Value));
        Assert.All(cases, testCase => Assert.Contains("nothing measured", testCase.Element("failure")?.Attribute("message")?.Value ?? "(no failure)", StringComparison.Ordinal));
        Assert.Contains("nothing measured", await File.ReadAllTextAsync(Path.Combine(bare, "summary.md")), StringComparison.Ordinal);

        // Reports that cannot be written (report.html is a directory): LoadGen's own failure → 4, never 0 or 1.
        await File.WriteAllLinesAsync(folder.Latency, hlog);
        File.Delete(Path.Combine(folder.Path, "report.html"));
        Directory.CreateDirectory(Path.Combine(folder.Path, "report.html"));
        (code, _, err) = await Run("report", folder.Path);
        Assert.True(code == 4, $"exit {code}\n{err}");
        Assert.Contains("LoadGen could not write the reports", err, StringComparison.Ordinal);
    }

    [Theory(Timeout = Integration.SerialLoad.TimeoutMs)]
    [InlineData("run", "-H", "authorization: Bearer s3cr3t-PW123", "carries a credential")]
    [InlineData("run", "-H", "s3cr3t-PW123", "expected NAME=VALUE or 'NAME: VALUE'")]
    [InlineData("run", "--otlp-endpoint", "http://collector:s3cr3t-PW123@127.0.0.1:4317", "has a user name or password in the URL")]
    [InlineData("compare", "--topologies", "x=http://admin:s3cr3t-PW123@127.0.0.1:9", "has a user name or password in the URL")]
    public async Task Secrets_OnTheCommandLine_AreRefused_AndNeverEchoed(string command, string flag, string value, string problem)
    {
        string[] args = command == "run" ? ["run", "--scenario", TempFile(Short("p99 < 10s")), flag, value] : [command, flag, value, "--streams", "1", "--duration", "1s"];

        var (code, stdout, err) = await Run(args);

        Assert.True(code == 2, $"exit {code}\n{err}");
        Assert.Contains(problem, err, StringComparison.Ordinal);
        Assert.DoesNotContain("s3cr3t", stdout + err, StringComparison.Ordinal);
    }

    [Theory(Timeout = Integration.SerialLoad.TimeoutMs)]
    [InlineData("--run-id|r1", "--run-id 'r1' names the run that shards make together, and this run has no --shard")]
    [InlineData("--insecure|--ca-file|/etc/hostname", "--insecure turns the server certificate check off, so the CA file (--ca-file /etc/hostname) would never be used")]
    [InlineData("--ca-file|/etc", "/etc is a directory, not a file")]
    [InlineData("--authority|admin:s3cr3t-PW123@api.example.com", "targets[0].authority: has a user name or password")]
    public async Task FlagsThatWouldDoNothing_AreRefused_BeforeAnyStream(string flags, string problem)
    {
        var outDir = TestTemp.Path("flags");
        var (code, stdout, err) = await Run(["run", "--scenario", TempFile(Short("p99 < 10s").Replace("lab://backend-h2c", "https://127.0.0.1:9", StringComparison.Ordinal)), "--out", outDir, .. flags.Split('|')]);

        Assert.True(code == 2, $"exit {code}\n{stdout}\n{err}");
        Assert.Contains(problem, err, StringComparison.Ordinal);
        Assert.DoesNotContain("s3cr3t", stdout + err, StringComparison.Ordinal);
        Assert.False(Directory.Exists(outDir), "no run folder: nothing ran");
    }

    [Fact(Timeout = Integration.SerialLoad.TimeoutMs)]
    public async Task Secrets_UserInfoInATargetAddress_IsRefusedAtItsLine_NeverEchoed()
    {
        var file = TempFile(Short("p99 < 10s").Replace("address: lab://backend-h2c", "address: http://admin:s3cr3t-PW123@127.0.0.1:9", StringComparison.Ordinal));

        var (code, stdout, err) = await Run("validate", "--scenario", file);

        Assert.True(code == 2, $"exit {code}\n{err}");
        Assert.Contains("targets[0].address: 'http://…@127.0.0.1:9' has a user name or password in the URL", err, StringComparison.Ordinal);
        Assert.DoesNotContain("s3cr3t", stdout + err, StringComparison.Ordinal);
    }

    [Fact(Timeout = Integration.SerialLoad.TimeoutMs)]
    public async Task Metadata_CurlsColonForm_IsAccepted()
    {
        var (code, stdout, err) = await Run("run", "--scenario", TempFile(Short("p99 < 10s")), "--out", TestTemp.Path("out"), "--quiet", "-H", "x-tenant: blue");

        Assert.True(code == 0, $"exit {code}\n{stdout}\n{err}");
    }

    [Fact(Timeout = Integration.SerialLoad.TimeoutMs)]
    public async Task Validate_Explain_PrintsEveryDefault_AsAScenarioThatLoadsBackToItself()
    {
        var file = TempFile(Short("p99 < 10s").Replace("  interval: 100ms", "  interval: 100ms\n  first:\n    stopReplyingAfter: 3", StringComparison.Ordinal) + "\nlab:\n  esp:\n    clientBodyTimeout: 7s\n");

        var (code, stdout, err) = await Run("validate", "--scenario", file, "--explain");

        Assert.True(code == 0, $"exit {code}\n{stdout}\n{err}");
        // What the file did not say, filled in: the defaults a user could not find before.
        foreach (var line in new[] { "maxStreamsPerConnection: 100", "openTimeout: 10s", "maxOpensPerSecond: 500", "initial: 1s", "multiplier: 1.6",
            "stopReplyingAfter: 3", "clientBodyTimeout: 7s", "keepaliveRequests: 1000", "# clientQuietAfter: (unset) the client never goes quiet" })
        {
            Assert.Contains(line, stdout, StringComparison.Ordinal);
        }

        // The explanation is itself a scenario: loaded again, it explains to the same text.
        var explained = stdout[stdout.IndexOf("name: ", StringComparison.Ordinal)..];
        var again = TempFile(explained);
        var (code2, stdout2, err2) = await Run("validate", "--scenario", again, "--explain");
        Assert.True(code2 == 0, $"exit {code2}\n{err2}\n{explained}");
        Assert.Equal(explained, stdout2[stdout2.IndexOf("name: ", StringComparison.Ordinal)..]);
    }

    [Fact(Timeout = Integration.SerialLoad.TimeoutMs)]
    public async Task Secrets_ALiteralValueUnderAHeaderNotKnownPublic_IsMaskedInEveryOutput()
    {
        // The credential-name check misses these names; their literal values are masked all the same.
        const string yamlToken = "eyJhbGciOiJSUzI1NiJ9.yaml-planted-7Q2x";
        const string flagToken = "eyJhbGciOiJSUzI1NiJ9.flag-planted-9K4w";
        var outDir = TestTemp.Path("out");
        var file = TempFile(Short("p99 < 10s").Replace("    address: lab://backend-h2c",
            $"    address: lab://backend-h2c\n    metadata:\n      x-goog-iap-jwt-assertion: \"{yamlToken}\"\n      x-tenant: blue", StringComparison.Ordinal));

        var (code, stdout, err) = await Run("run", "--scenario", file, "--out", outDir, "-H", $"x-forwarded-user: {flagToken}");

        Assert.True(code == 0, $"exit {code}\n{stdout}\n{err}");
        var outputs = Directory.GetFiles(outDir, "*", SearchOption.AllDirectories).Select(f => (Name: f, Text: File.ReadAllText(f)))
            .Append((Name: "console", Text: stdout + err)).ToList();
        Assert.Contains(outputs, o => o.Name.EndsWith("report.html", StringComparison.Ordinal));
        foreach (var (name, text) in outputs)
        {
            Assert.False(text.Contains("planted", StringComparison.Ordinal), $"{name} carries a planted credential");
        }

        // A header on the short public list keeps its value where reports describe the connection.
        var run = outputs.Single(o => o.Name.EndsWith("run.json", StringComparison.Ordinal)).Text;
        Assert.Contains("x-tenant: blue", run, StringComparison.Ordinal);
        Assert.Contains("x-goog-iap-jwt-assertion: [redacted]", run, StringComparison.Ordinal);
    }

    [Fact(Timeout = Integration.SerialLoad.TimeoutMs)]
    public async Task Validate_ReportsEveryBrokenSection_AtOnce_EachWithItsLine()
    {
        var file = TempFile(Short("p99 < 1s").Replace("interval: 100ms", "interval: 100 msec", StringComparison.Ordinal)
            + "\nconnections:\n  openTimeout: soon\nretries: 3\n");

        var (code, _, err) = await Run("validate", "--scenario", file);

        Assert.True(code == 2, $"exit {code}\n{err}");
        Assert.Contains("has 3 problems", err, StringComparison.Ordinal);
        Assert.Contains($"{file}:11:", err, StringComparison.Ordinal);   // messages.interval
        Assert.Contains("connections.openTimeout", err, StringComparison.Ordinal);
        Assert.Contains("retries", err, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Validate_APayloadOverTheSendLimit_IsBadInput_AtItsLine()
    {
        var file = TempFile(Short("p99 < 1s").Replace("    address: lab://backend-h2c", "    address: lab://backend-h2c\n    maxSendMessageSize: 1KiB", StringComparison.Ordinal)
            .Replace("  interval: 100ms", "  interval: 100ms\n  payloadBytes: 100000", StringComparison.Ordinal));

        var (code, _, err) = await Run("validate", "--scenario", file);

        Assert.True(code == 2, $"exit {code}\n{err}");
        Assert.Contains($"{file}:13:", err, StringComparison.Ordinal);
        Assert.Contains("messages.payloadBytes: 100,000 bytes per message is over target 'backend-h2c''s maxSendMessageSize (1,024 bytes)", err, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Report_DamagedFiles_AreNamed_AndASummaryCutShortIsRebuiltFromTheOtherFiles()
    {
        var outDir = TestTemp.Path("out");
        var (ran, _, ranErr) = await Run("run", "--scenario", TempFile(Short("p99 < 10s")), "--out", outDir, "--quiet");
        Assert.True(ran == 0, ranErr);
        var dir = Assert.Single(Directory.GetDirectories(outDir));
        var folder = RunFolder.Open(dir);
        // summary.json cut short (a full disk); one damaged line inside latency.hlog and inside outcomes.ndjson.
        File.WriteAllText(folder.Summary, File.ReadAllText(folder.Summary)[..200]);
        var hlog = File.ReadAllLines(folder.Latency).ToList();
        var firstInterval = hlog.FindIndex(l => l.StartsWith("Tag=", StringComparison.Ordinal));
        hlog.Insert(firstInterval + 1, "Tag=backend-h2c.rtt,0.5,1.0,2.0,not-base64!");
        File.WriteAllLines(folder.Latency, hlog);
        var outcomes = File.ReadAllLines(folder.OutcomesPath).ToList();
        outcomes.Insert(1, "{\"time\": broken");
        File.WriteAllLines(folder.OutcomesPath, outcomes);

        var (code, stdout, err) = await Run("report", dir);

        Assert.True(code == 0, $"exit {code}\n{stdout}\n{err}");
        Assert.Contains("damaged summary.json: not readable", err, StringComparison.Ordinal);
        Assert.Contains($"damaged latency.hlog: 1 damaged interval histogram line(s) left out (line {firstInterval + 2})", err, StringComparison.Ordinal);
        Assert.Contains("damaged outcomes.ndjson: 1 damaged line(s) left out (line 2)", err, StringComparison.Ordinal);
        Assert.Contains("damaged summary.json", await File.ReadAllTextAsync(Path.Combine(dir, "summary.md")), StringComparison.Ordinal);
        // Rebuilt from the other files: the run is all there.
        var t = Assert.Single(LoadGen.Reports.RunData.Load(dir).Summary.Topologies);
        Assert.Equal(20, t.Streams.PeakActive);
        Assert.True(t.LatencyMs.Count > 0);
    }

    [Fact(Timeout = Integration.SerialLoad.TimeoutMs)]
    public async Task Run_RepliesOverTheReceiveLimit_IsBadInput_NotATargetThatNeverAnswered()
    {
        var file = TempFile(Short("p99 < 10s").Replace("    address: lab://backend-h2c", "    address: lab://backend-h2c\n    maxReceiveMessageSize: 1KiB", StringComparison.Ordinal)
            .Replace("  interval: 100ms", "  interval: 100ms\n  directives:\n    replySize: 100000", StringComparison.Ordinal));

        var (code, stdout, err) = await Run("run", "--scenario", file, "--out", TestTemp.Path("out"), "--quiet");

        Assert.True(code == 2, $"exit {code}\n{stdout}\n{err}");
        Assert.Contains("LoadGen's own client refused them (client-error:reply-too-large", err, StringComparison.Ordinal);
        Assert.Contains("raise it in the scenario", err, StringComparison.Ordinal);
        Assert.DoesNotContain("never replies", err, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Metadata_ANonAsciiValue_IsBadInput_NotTheServersInternalError()
    {
        // It was sent and ended every stream as server-status:Internal; gRPC metadata values are printable ASCII.
        var (code, stdout, err) = await Run("run", "--scenario", TempFile(Short("p99 < 10s")), "--out", TestTemp.Path("out"), "--quiet", "-H", "x-name: Grüße");

        Assert.True(code == 2, $"exit {code}\n{stdout}\n{err}");
        Assert.Contains("not printable ASCII at position 3", err, StringComparison.Ordinal);
        Assert.DoesNotContain("Grüße", err, StringComparison.Ordinal);

        // The same in a scenario file, at its line.
        var file = TempFile(Short("p99 < 10s").Replace("    address: lab://backend-h2c", "    address: lab://backend-h2c\n    metadata:\n      x-name: \"日本\"", StringComparison.Ordinal));
        (code, _, err) = await Run("validate", "--scenario", file);
        Assert.True(code == 2, $"exit {code}\n{err}");
        Assert.Contains($"{file}:6:", err, StringComparison.Ordinal);
        Assert.Contains("targets[0].metadata.x-name", err, StringComparison.Ordinal);
    }
}
