using System.Text.Json;
using LoadGen.History;
using LoadGen.Reports;
using LoadGen.Tests.Cli;
using LoadGen.Tests.Reports;
using Microsoft.Playwright;

namespace LoadGen.Tests.History;

/// <summary>
/// The release-review workflow a reviewer follows (docs/history.md), on real run folders and a real history — SQLite
/// and PostgreSQL: add, accept, list, compare-runs --against, the trend page; a moved folder reported, never dropped.
/// </summary>
[Collection(Integration.SerialLoad.Name)]
public class HistoryCliTests(HistoryRuns runs) : IClassFixture<HistoryRuns>
{
    [Fact(Timeout = Integration.SerialLoad.TimeoutMs)]
    public async Task Sqlite_ReleaseReview_FromFirstBaselineToTheTrendPage()
    {
        var db = Path.Combine(TestTemp.Path("history"), "history.db");
        await Workflow(["--history", db], secret: null);
    }

    [PostgresFact]
    public async Task Postgres_ReleaseReview_FromFirstBaselineToTheTrendPage()
    {
        await using var db = await PostgresDatabase.CreateAsync();
        // The password from the environment only, as a user gives it; never in the URL, never printed.
        Environment.SetEnvironmentVariable(HistoryLocation.PasswordVariable, PostgresDatabase.Password);
        try
        {
            await Workflow(["--history", db.Url], PostgresDatabase.Password);
        }
        finally
        {
            Environment.SetEnvironmentVariable(HistoryLocation.PasswordVariable, null);
        }
    }

    [PostgresFact]
    public async Task Postgres_AWrongPassword_IsBadInput_AndTheErrorHoldsNoPassword()
    {
        await using var db = await PostgresDatabase.CreateAsync();
        var file = Path.Combine(Directory.CreateDirectory(TestTemp.Path("pw")).FullName, "pw");
        await File.WriteAllTextAsync(file, "wrong-pass-7731\n");

        var (code, stdout, stderr) = await CliRunner.RunAsync("history", "list", "--history", db.Url, "--history-password-file", file);

        Assert.True(code == 2, $"exit {code}\n{stdout}\n{stderr}");
        Assert.Contains("cannot be opened", stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("wrong-pass-7731", stdout + stderr, StringComparison.Ordinal);
    }

    [BrowserFact]
    public async Task TrendPage_ShowsReleasesOnTheXAxis_WithIntervals_AndTheAcceptedBaselinesMarked()
    {
        var db = Path.Combine(TestTemp.Path("history"), "history.db");
        var trendDir = TestTemp.Path("trend");
        await Ok("history", "add", runs.Steady1, "--release", "1.40", "--history", db);
        await Ok("history", "add", runs.Steady2, "--release", "1.41", "--history", db);
        await Ok("history", "add", runs.Slow, "--release", "1.42", "--history", db);
        await Ok("history", "accept", runs.Steady1, "--as", "pre", "--why", "review 1.40", "--history", db);
        await Ok("history", "report", "--history", db, "--out", trendDir);
        var html = Path.Combine(trendDir, TrendReport.HtmlFile);

        using var playwright = await Playwright.CreateAsync();
        await using var browser = await ReportBrowserTests.LaunchAsync(playwright);
        var page = await browser.NewPageAsync(new BrowserNewPageOptions { ViewportSize = new ViewportSize { Width = 1366, Height = 768 } });
        var errors = new List<string>();
        var requests = new List<string>();
        page.PageError += (_, e) => errors.Add(e);
        page.Request += (_, r) => requests.Add(r.Url);
        await page.GotoAsync(new Uri(html).AbsoluteUri);

        foreach (var figure in new[] { "p50", "p99", "unplanned-ends" })
        {
            var chart = $"#trend-{HistoryRuns.Topology}-{figure} svg";
            Assert.Equal(1, await page.Locator(chart).CountAsync());
            var texts = (await page.Locator($"{chart} text").AllTextContentsAsync()).Select(t => t.Trim()).ToList();
            // Releases on the x axis, oldest first, and the legend naming what the marks are.
            var ticks = texts.Where(t => t is "1.40" or "1.41" or "1.42").ToList();
            Assert.Equal(["1.40", "1.41", "1.42"], ticks);
            Assert.Contains(texts, t => t.Contains("accepted baseline", StringComparison.Ordinal));
            Assert.Contains(texts, t => t.Contains("95% interval", StringComparison.Ordinal));
            var box = await page.Locator(chart).BoundingBoxAsync();
            Assert.True(box is { Width: > 400, Height: > 100 }, $"{figure}: {box?.Width}x{box?.Height}");
        }

        var table = await page.Locator($"#trend-table-{HistoryRuns.Topology}").InnerTextAsync();
        Assert.Contains("★ baseline pre", table, StringComparison.Ordinal);
        Assert.Contains("an accepted baseline", table, StringComparison.Ordinal);
        Assert.False(await page.EvaluateAsync<bool>("() => document.documentElement.scrollWidth > window.innerWidth"), "the page scrolls sideways on a 1366 px screen");
        Assert.Empty(errors);
        Assert.Equal([new Uri(html).AbsoluteUri], requests);
        var artifacts = Directory.CreateDirectory(Path.Combine(AppContext.BaseDirectory, "artifacts")).FullName;
        var shot = Path.Combine(artifacts, "trend.png");
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = shot, FullPage = true });
        Assert.True(new FileInfo(shot).Length > 10_000, "screenshot written");
    }

    private async Task Workflow(string[] history, string? secret)
    {
        var work = TestTemp.Path("workflow");
        // Copies: this test moves a folder, the fixture's stay put for the others.
        var (a, b, c) = (Copy(runs.Steady1, work, "a"), Copy(runs.Steady2, work, "b"), Copy(runs.Slow, work, "c"));
        var said = new List<string>();
        async Task<(int Code, string Out, string Err)> Cli(params string[] args)
        {
            var r = await CliRunner.RunAsync([.. args, .. history]);
            said.Add(r.Out + r.Err);
            return r;
        }

        async Task<string> Expect(int code, params string[] args)
        {
            var r = await Cli(args);
            Assert.True(r.Code == code, $"loadgen {string.Join(' ', args)}: exit {r.Code}, expected {code}\n{r.Out}\n{r.Err}");
            return r.Out + r.Err;
        }

        Assert.Contains("added ", await Expect(0, "history", "add", a, "--release", "1.40", "--label", "baseline"), StringComparison.Ordinal);
        Assert.Contains("added ", await Expect(0, "history", "add", b, "--release", "1.41"), StringComparison.Ordinal);
        // The same run again is the same record.
        Assert.Contains("updated ", await Expect(0, "history", "add", b, "--release", "1.41"), StringComparison.Ordinal);
        Assert.Contains("1 run under that name", await Expect(0, "history", "accept", a, "--as", "pre", "--why", "release 1.40 review", "--by", "alice"), StringComparison.Ordinal);
        Assert.Contains("2 runs under that name", await Expect(0, "history", "accept", Path.GetFileName(b), "--as", "pre", "--why", "release 1.41 review"), StringComparison.Ordinal);
        await Expect(0, "history", "add", c, "--release", "1.42", "--label", "soak");

        var list = await Expect(0, "history", "list");
        Assert.Contains("3 runs in ", list, StringComparison.Ordinal);
        Assert.Equal(2, list.Split('\n').Count(l => l.Contains("★ baseline:pre", StringComparison.Ordinal)));
        Assert.Contains("soak", await Expect(0, "history", "list", "--label", "soak"), StringComparison.Ordinal);
        Assert.Contains("1 run in ", await Expect(0, "history", "list", "--label", "soak"), StringComparison.Ordinal);

        // compare-runs against the accepted baselines: the same comparison as naming their folders.
        var cmpOut = TestTemp.Path("cmp");
        var against = await Expect(0, "compare-runs", "--against", "baseline:pre", c, "--out", cmpOut);
        Assert.Contains("baseline:pre: 2 accepted runs", against, StringComparison.Ordinal);
        var comparison = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(Assert.Single(Directory.GetDirectories(cmpOut)), "comparison.json"))).RootElement;
        var headline = comparison.GetProperty("comparisons")[0].GetProperty("headline").GetString();
        Assert.Contains("baseline:pre: 1 accepted run ", await Expect(0, "compare-runs", "--against", "baseline:pre@last-1", c, "--out", TestTemp.Path("cmp1")), StringComparison.Ordinal);
        Assert.Contains("accepted names: pre", await Expect(2, "compare-runs", "--against", "baseline:post", c), StringComparison.Ordinal);
        await Expect(2, "compare-runs", "--against", "baseline:pre", a, c);

        // The trend page judges the 1.42 run against both baselines by the same rules.
        var trendOut = TestTemp.Path("trend");
        await Expect(0, "history", "report", "--out", trendOut);
        var md = await File.ReadAllTextAsync(Path.Combine(trendOut, TrendReport.MarkdownFile));
        var row = Assert.Single(md.Split('\n'), l => l.StartsWith("| 1.42 |", StringComparison.Ordinal));
        Assert.Equal(headline == "worse", row.Contains("WORSE", StringComparison.Ordinal));
        Assert.Contains("than baseline 1.40", row, StringComparison.Ordinal);
        Assert.Contains("| 1.40 |", md, StringComparison.Ordinal);
        Assert.Contains("| 1.41 |", md, StringComparison.Ordinal);

        // A folder moved elsewhere: reported by list and compare-runs, not silently dropped; adding it from its new place mends it.
        var moved = Path.Combine(work, "elsewhere", Path.GetFileName(a));
        Directory.CreateDirectory(Path.GetDirectoryName(moved)!);
        Directory.Move(a, moved);
        var missing = await Expect(0, "history", "list");
        Assert.Contains("FOLDER MISSING", missing, StringComparison.Ordinal);
        Assert.Contains($"its folder is no longer at {a}", missing, StringComparison.Ordinal);
        Assert.Contains($"{Path.GetFileName(a)} (recorded at {a}) no longer exists", await Expect(2, "compare-runs", "--against", "baseline:pre", c, "--out", TestTemp.Path("cmp2")), StringComparison.Ordinal);
        Assert.Contains("updated ", await Expect(0, "history", "add", moved), StringComparison.Ordinal);
        await Expect(0, "compare-runs", "--against", "baseline:pre", c, "--out", TestTemp.Path("cmp3"));
        Assert.DoesNotContain("FOLDER MISSING", await Expect(0, "history", "list"), StringComparison.Ordinal);
        Assert.Contains("3 runs in ", await Expect(0, "history", "list"), StringComparison.Ordinal);

        if (secret is not null)
        {
            Assert.DoesNotContain(said, s => s.Contains(secret, StringComparison.Ordinal));
        }
    }

    private static async Task Ok(params string[] args)
    {
        var (code, stdout, stderr) = await CliRunner.RunAsync(args);
        Assert.True(code == 0, $"loadgen {string.Join(' ', args)}: exit {code}\n{stdout}\n{stderr}");
    }

    private static string Copy(string from, string root, string name)
    {
        var to = Path.Combine(root, name, Path.GetFileName(from));
        Directory.CreateDirectory(to);
        foreach (var f in Directory.GetFiles(from))
        {
            File.Copy(f, Path.Combine(to, Path.GetFileName(f)));
        }

        return to;
    }
}
