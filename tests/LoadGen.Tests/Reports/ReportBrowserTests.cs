using LoadGen.Reports;
using Microsoft.Playwright;

namespace LoadGen.Tests.Reports;

/// <summary>report.html as a reviewer's browser shows it: headless Chromium, no network.</summary>
[Collection(Integration.SerialLoad.Name)]
public class ReportBrowserTests
{
    /// <summary>Debian's Chromium, headless, with nothing fetched from the network.</summary>
    internal static Task<IBrowser> LaunchAsync(IPlaywright playwright) => playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
    {
        ExecutablePath = BrowserFactAttribute.Chromium,
        Headless = true,
        Args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
    });

    [BrowserFact]
    public async Task ReportHtml_FromARealRun_ShowsTheVerdictAndEveryChart_WithoutErrorsOrSidewaysScrolling()
    {
        var outDir = TestTemp.Path("out");
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        var code = await LoadGen.Cli.Cli.RunAsync(
            ["compare", "--topologies", "direct-tls,gateway", "--lab", "embedded", "--streams", "30", "--duration", "4s", "--rounds", "2", "--warmup", "0s", "--out", outDir, "--quiet"],
            stdout, stderr);
        Assert.True(code == 0, $"exit {code}\n{stdout}\n{stderr}");
        var html = Path.Combine(Assert.Single(Directory.GetDirectories(outDir)), ReportWriter.Html);

        using var playwright = await Playwright.CreateAsync();
        await using var browser = await LaunchAsync(playwright);
        // A laptop screen.
        var page = await browser.NewPageAsync(new BrowserNewPageOptions { ViewportSize = new ViewportSize { Width = 1366, Height = 768 } });
        var errors = new List<string>();
        var requests = new List<string>();
        page.Console += (_, m) =>
        {
            if (m.Type == "error")
            {
                errors.Add(m.Text);
            }
        };
        page.PageError += (_, e) => errors.Add(e);
        page.Request += (_, r) => requests.Add(r.Url);

        await page.GotoAsync(new Uri(html).AbsoluteUri);

        var verdict = await page.Locator("#verdict").InnerTextAsync();
        Assert.Contains("gateway", verdict, StringComparison.Ordinal);
        Assert.Contains("direct-tls", verdict, StringComparison.Ordinal);
        foreach (var chart in new[] { "chart-spectrum", "chart-latency-over-time", "chart-active", "chart-ends-direct-tls", "chart-ends-gateway", "chart-survival" })
        {
            var svg = page.Locator($"#{chart} svg");
            Assert.Equal(1, await svg.CountAsync());
            var box = await svg.BoundingBoxAsync();
            Assert.True(box is { Width: > 400, Height: > 100 }, $"{chart}: {box?.Width}x{box?.Height}");
            // Real charts: drawn paths and text (axis labels), not an empty frame.
            Assert.True(await page.Locator($"#{chart} svg text").CountAsync() > 3, $"{chart} has no text");
        }

        Assert.Contains("direct-tls", await page.Locator("table.comparison").InnerTextAsync(), StringComparison.Ordinal);
        var sideways = await page.EvaluateAsync<bool>("() => document.documentElement.scrollWidth > window.innerWidth");
        Assert.False(sideways, "the page scrolls sideways on a 1366 px screen");
        Assert.Empty(errors);
        // Self-contained: the page itself and nothing else.
        Assert.Equal([new Uri(html).AbsoluteUri], requests);

        var artifacts = Path.Combine(AppContext.BaseDirectory, "artifacts");
        Directory.CreateDirectory(artifacts);
        var shot = Path.Combine(artifacts, "report.png");
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = shot, FullPage = true });
        Assert.True(new FileInfo(shot).Length > 10_000, "screenshot written");
    }

    [BrowserFact]
    public async Task CompareRunsPage_OverlaysBothRuns_ListsThresholds_AndShowsTheFallbackWarningOnTheFirstScreen()
    {
        var outDir = TestTemp.Path("out");
        var scenario = TestTemp.Path("scenario") + ".yaml";
        await File.WriteAllTextAsync(scenario, """
            name: two-runs
            targets:
              - name: gateway
                address: lab://gateway
            profile:
              phases:
                - ramp: 20
                  over: 1s
                - hold: 3s
            messages:
              interval: 200ms
            reportingInterval: 1s
            thresholds:
              - p99 < 10s
            """);
        var runs = new List<string>();
        foreach (var name in new[] { "a", "b" })
        {
            using var o = new StringWriter();
            using var e = new StringWriter();
            var runOut = Path.Combine(outDir, name);
            var code = await LoadGen.Cli.Cli.RunAsync(["run", "--scenario", scenario, "--lab", "embedded", "--out", runOut, "--quiet"], o, e);
            Assert.True(code == 0, $"exit {code}\n{o}\n{e}");
            runs.Add(Assert.Single(Directory.GetDirectories(runOut)));
        }

        using (var o = new StringWriter())
        using (var e = new StringWriter())
        {
            var code = await LoadGen.Cli.Cli.RunAsync(["compare-runs", runs[0], runs[1], "--out", Path.Combine(outDir, "cmp")], o, e);
            Assert.True(code == 0, $"exit {code}\n{o}\n{e}");
        }

        var html = Path.Combine(Assert.Single(Directory.GetDirectories(Path.Combine(outDir, "cmp"))), ReportWriter.Html);
        using var playwright = await Playwright.CreateAsync();
        await using var browser = await LaunchAsync(playwright);
        var page = await browser.NewPageAsync(new BrowserNewPageOptions { ViewportSize = new ViewportSize { Width = 1366, Height = 768 } });
        await page.GotoAsync(new Uri(html).AbsoluteUri);

        var (ida, idb) = (Path.GetFileName(runs[0]), Path.GetFileName(runs[1]));
        Assert.Contains($"{ida} vs {idb}", await page.Locator("h1").InnerTextAsync(), StringComparison.Ordinal);
        // Two lines in the percentile chart: the baseline run's (drawn dashed) and the candidate's.
        var legend = (await page.Locator("#chart-spectrum svg text").AllTextContentsAsync()).Select(t => t.Trim()).ToList();
        Assert.Contains(legend, t => t.Contains($"{ida}/gateway (baseline)", StringComparison.Ordinal));
        Assert.Contains(legend, t => t.Contains($"{idb}/gateway", StringComparison.Ordinal) && !t.Contains("baseline", StringComparison.Ordinal));
        // Every threshold with its actual value, limit and result.
        var thresholds = await page.Locator("#thresholds").InnerTextAsync();
        Assert.Contains("p99 < 10s", thresholds, StringComparison.Ordinal);
        Assert.Contains("10000 ms", thresholds, StringComparison.Ordinal);
        Assert.Contains("pass", thresholds, StringComparison.Ordinal);
        // Both runs stood on embedded stand-ins: said on the first screen, before any scrolling.
        var warning = page.Locator("p.warn", new PageLocatorOptions { HasTextString = "embedded" }).First;
        var box = await warning.BoundingBoxAsync();
        Assert.True(box is not null && box.Y + box.Height < 768, $"the fallback warning is not on the first screen: {box?.Y}");
    }
}
