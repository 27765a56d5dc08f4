using LoadGen.History;

namespace LoadGen.Tests.History;

/// <summary>Where the history lives, read from --history: a file by default, PostgreSQL by URL, never a password in the URL or in what is shown.</summary>
public class HistoryLocationTests
{
    private static Func<string, string?> Env(params (string Name, string Value)[] vars) => name => vars.FirstOrDefault(v => v.Name == name).Value;

    [Fact]
    public void ByDefault_ASqliteFileBesideTheRunFolders_OrTheEnvironmentsChoice()
    {
        Assert.Equal(Path.GetFullPath(Path.Combine("reports", "out", "history.db")), HistoryLocation.Parse(null, environment: Env()).Display);
        Assert.Equal(Path.GetFullPath("team.db"), HistoryLocation.Parse(null, environment: Env((HistoryLocation.LocationVariable, "team.db"))).Display);
        Assert.False(HistoryLocation.Parse("x.db", environment: Env()).IsPostgres);
    }

    [Fact]
    public void APasswordInTheUrl_IsRefused_AndNotRepeated()
    {
        var e = Assert.Throws<ArgumentException>(() => HistoryLocation.Parse("postgres://loadgen:s3cr3t-pw@db.example:5432/history", environment: Env()));

        Assert.DoesNotContain("s3cr3t-pw", e.Message, StringComparison.Ordinal);
        Assert.Contains(HistoryLocation.PasswordVariable, e.Message, StringComparison.Ordinal);
        Assert.Contains("postgres://loadgen:***@db.example:5432/history", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void APostgresUrl_IsShownWithoutSecrets_AndOnlySslmodeIsRead()
    {
        var l = HistoryLocation.Parse("postgres://loadgen@db.example:6543/history?sslmode=require", environment: Env((HistoryLocation.PasswordVariable, "pw")));

        Assert.True(l.IsPostgres);
        Assert.Equal("postgres://loadgen@db.example:6543/history?sslmode=require", l.Display);
        var other = Assert.Throws<ArgumentException>(() => HistoryLocation.Parse("postgres://loadgen@db/history?password=leak", environment: Env()));
        Assert.DoesNotContain("leak", other.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => HistoryLocation.Parse("postgres://db.example/history", environment: Env()));
        Assert.Throws<ArgumentException>(() => HistoryLocation.Parse("mysql://u@db/history", environment: Env()));
    }

    [Fact]
    public void APasswordFile_IsForPostgresOnly_AndMustHoldAPassword()
    {
        var empty = Path.Combine(Directory.CreateDirectory(TestTemp.Path("pw")).FullName, "empty");
        File.WriteAllText(empty, "\n");

        Assert.Contains("first line is empty", Assert.Throws<ArgumentException>(() => HistoryLocation.Parse("postgres://u@db/h", empty, Env())).Message, StringComparison.Ordinal);
        Assert.Contains("PostgreSQL history only", Assert.Throws<ArgumentException>(() => HistoryLocation.Parse("h.db", empty, Env())).Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AFileThatIsNoHistory_IsBadInput_SaidInOneLine()
    {
        var file = Path.Combine(Directory.CreateDirectory(TestTemp.Path("notdb")).FullName, "history.db");
        await File.WriteAllTextAsync(file, "this is a shopping list, not a database\n".PadRight(4096, '.'));

        var (code, stdout, stderr) = await LoadGen.Tests.Cli.CliRunner.RunAsync("history", "list", "--history", file);

        Assert.True(code == 2, $"exit {code}\n{stdout}\n{stderr}");
        Assert.Contains($"error: the history {file} cannot be opened", stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", stderr, StringComparison.Ordinal);
    }
}
