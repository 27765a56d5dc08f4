using Npgsql;

namespace LoadGen.Tests.History;

/// <summary>
/// A test that needs a PostgreSQL server: LOADGEN_TEST_POSTGRES names it (postgres://USER@HOST:PORT/DATABASE, a role that
/// may create databases; its password in LOADGEN_TEST_POSTGRES_PASSWORD). .ci/run starts Debian's PostgreSQL 15 and sets
/// both. Skipped with the reason where it is not set, except where LOADGEN_REQUIRE_POSTGRES=1 (CI): there it fails.
/// </summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class PostgresFactAttribute : FactAttribute
{
    public const string UrlVariable = "LOADGEN_TEST_POSTGRES";
    public const string PasswordVariable = "LOADGEN_TEST_POSTGRES_PASSWORD";
    public const string RequireVariable = "LOADGEN_REQUIRE_POSTGRES";

    public PostgresFactAttribute()
    {
        Timeout = Integration.SerialLoad.TimeoutMs;
        if (string.IsNullOrEmpty(Environment.GetEnvironmentVariable(UrlVariable)) && Environment.GetEnvironmentVariable(RequireVariable) is not ("1" or "true"))
        {
            Skip = $"no PostgreSQL for the tests: set {UrlVariable}=postgres://USER@127.0.0.1:5432/postgres and {PasswordVariable} (.ci/run starts Debian's postgresql-15 and sets them); " +
                $"set {RequireVariable}=1 to make this a failure";
        }
    }
}

/// <summary>A database of its own on the test PostgreSQL, created for one test and dropped after it.</summary>
internal sealed class PostgresDatabase : IAsyncDisposable
{
    private readonly NpgsqlConnectionStringBuilder admin;

    private PostgresDatabase(NpgsqlConnectionStringBuilder admin, string name, string url)
    {
        this.admin = admin;
        Name = name;
        Url = url;
    }

    public string Name { get; }

    /// <summary>postgres://USER@HOST:PORT/NAME, without the password (LoadGen reads it from <see cref="Password"/>'s variable).</summary>
    public string Url { get; }

    public static string? Password => Environment.GetEnvironmentVariable(PostgresFactAttribute.PasswordVariable);

    public static async Task<PostgresDatabase> CreateAsync()
    {
        var url = Environment.GetEnvironmentVariable(PostgresFactAttribute.UrlVariable)
            ?? throw new InvalidOperationException($"{PostgresFactAttribute.UrlVariable} is not set: no PostgreSQL for the tests (.ci/run starts one)");
        var uri = new Uri(url);
        var admin = new NpgsqlConnectionStringBuilder
        {
            Host = uri.Host,
            Port = uri.IsDefaultPort || uri.Port <= 0 ? 5432 : uri.Port,
            Username = uri.UserInfo,
            Password = Password,
            Database = uri.AbsolutePath.Trim('/'),
            Pooling = false,
            Timeout = 10,
        };
        var name = $"loadgen_test_{Guid.NewGuid():N}"[..28];
        await using (var c = new NpgsqlConnection(admin.ConnectionString))
        {
            await c.OpenAsync();
            await using var cmd = new NpgsqlCommand($"CREATE DATABASE {name}", c);
            await cmd.ExecuteNonQueryAsync();
        }

        return new PostgresDatabase(admin, name, $"postgres://{uri.UserInfo}@{uri.Host}:{admin.Port}/{name}");
    }

    public async ValueTask DisposeAsync()
    {
        await using var c = new NpgsqlConnection(admin.ConnectionString);
        await c.OpenAsync();
        await using var cmd = new NpgsqlCommand($"DROP DATABASE IF EXISTS {Name} WITH (FORCE)", c);
        await cmd.ExecuteNonQueryAsync();
    }
}
