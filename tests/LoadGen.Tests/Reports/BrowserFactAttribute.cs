namespace LoadGen.Tests.Reports;

/// <summary>
/// A test that needs Debian's chromium (apt-get install chromium). Skipped with the reason where it is
/// missing, except where LOADGEN_REQUIRE_BROWSER=1 (CI): there it runs and fails on the missing browser.
/// </summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class BrowserFactAttribute : FactAttribute
{
    public const string Chromium = "/usr/bin/chromium";
    public const string RequireVariable = "LOADGEN_REQUIRE_BROWSER";

    public BrowserFactAttribute()
    {
        if (!File.Exists(Chromium) && Environment.GetEnvironmentVariable(RequireVariable) is not ("1" or "true"))
        {
            Skip = $"{Chromium} not installed (apt-get install chromium); set {RequireVariable}=1 to make this a failure";
        }
    }
}
