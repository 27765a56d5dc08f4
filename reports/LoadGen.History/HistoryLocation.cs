using System.Data.Common;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace LoadGen.History;

/// <summary>
/// Where the history lives: a SQLite file (the default, <see cref="DefaultFile"/> beside the run folders) or a team's
/// PostgreSQL database, <c>postgres://USER@HOST[:PORT]/DATABASE[?sslmode=MODE]</c>. A PostgreSQL password comes only from
/// the environment (<see cref="PasswordVariable"/>, or libpq's PGPASSWORD) or a file, never from the URL: a URL lands in
/// shell history, process lists and logs. What is shown of a location (<see cref="Display"/>) never holds a secret.
/// </summary>
public sealed class HistoryLocation
{
    /// <summary>The SQLite file used when neither --history nor <see cref="LocationVariable"/> says otherwise.</summary>
    public static readonly string DefaultFile = Path.Combine("reports", "out", "history.db");

    public const string LocationVariable = "LOADGEN_HISTORY";

    public const string PasswordVariable = "LOADGEN_HISTORY_PASSWORD";

    private static readonly string[] SslModes = ["disable", "allow", "prefer", "require", "verify-ca", "verify-full"];

    private readonly string? password;

    private HistoryLocation(string display, bool postgres, string connectionString, string? password)
    {
        Display = display;
        IsPostgres = postgres;
        ConnectionString = connectionString;
        this.password = password;
    }

    /// <summary>The location as it may be shown: a file path, or the URL without any secret.</summary>
    public string Display { get; }

    public bool IsPostgres { get; }

    /// <summary>The connection string without the password (it is set on the connection only).</summary>
    private string ConnectionString { get; }

    /// <summary>Reads a --history value (null: <see cref="LocationVariable"/>, else <see cref="DefaultFile"/>).</summary>
    /// <param name="passwordFile">A file holding the PostgreSQL password (its first line).</param>
    /// <exception cref="ArgumentException">The location cannot be used; the message names the problem and holds no secret.</exception>
    public static HistoryLocation Parse(string? value, string? passwordFile = null, Func<string, string?>? environment = null)
    {
        environment ??= Environment.GetEnvironmentVariable;
        value = string.IsNullOrWhiteSpace(value) ? environment(LocationVariable) : value;
        if (string.IsNullOrWhiteSpace(value))
        {
            value = DefaultFile;
        }

        if (!value.StartsWith("postgres://", StringComparison.OrdinalIgnoreCase) && !value.StartsWith("postgresql://", StringComparison.OrdinalIgnoreCase))
        {
            if (value.Contains("://", StringComparison.Ordinal))
            {
                throw new ArgumentException($"--history: '{Redact(value)}' is neither a file nor a postgres:// URL (postgres://USER@HOST[:PORT]/DATABASE)");
            }

            if (passwordFile is not null)
            {
                throw new ArgumentException("--history-password-file applies to a PostgreSQL history only (the SQLite file needs none)");
            }

            var full = Path.GetFullPath(value);
            return new HistoryLocation(full, false, new SqliteConnectionStringBuilder { DataSource = full, Pooling = false }.ToString(), null);
        }

        if (!Uri.TryCreate(value, UriKind.Absolute, out var uri) || string.IsNullOrEmpty(uri.Host))
        {
            throw new ArgumentException($"--history: '{Redact(value)}' is not a postgres:// URL (postgres://USER@HOST[:PORT]/DATABASE)");
        }

        var user = Uri.UnescapeDataString(uri.UserInfo.Split(':')[0]);
        if (uri.UserInfo.Contains(':', StringComparison.Ordinal))
        {
            throw new ArgumentException($"--history: the URL holds a password: give it in {PasswordVariable} (or PGPASSWORD) or --history-password-file instead, never in the URL " +
                $"(it would land in shell history and process lists): {Redact(value)}");
        }

        var database = Uri.UnescapeDataString(uri.AbsolutePath.Trim('/'));
        if (user.Length == 0 || database.Length == 0)
        {
            throw new ArgumentException($"--history: '{Redact(value)}' needs a user and a database: postgres://USER@HOST[:PORT]/DATABASE");
        }

        var builder = new NpgsqlConnectionStringBuilder
        {
            Host = uri.Host.Trim('[', ']'),
            Port = uri.IsDefaultPort || uri.Port <= 0 ? 5432 : uri.Port,
            Username = user,
            Database = database,
            Pooling = false,
            Timeout = 10,
            CommandTimeout = 60,
        };
        foreach (var pair in uri.Query.TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var kv = pair.Split('=', 2);
            if (kv[0] != "sslmode" || kv.Length != 2 || !SslModes.Contains(kv[1]))
            {
                throw new ArgumentException($"--history: '{Redact(value)}': the only query parameter read is sslmode ({string.Join(", ", SslModes)}); '{kv[0]}' is not one");
            }

            builder.SslMode = kv[1] switch
            {
                "disable" => SslMode.Disable,
                "allow" => SslMode.Allow,
                "prefer" => SslMode.Prefer,
                "require" => SslMode.Require,
                "verify-ca" => SslMode.VerifyCA,
                _ => SslMode.VerifyFull,
            };
        }

        string? secret = null;
        if (passwordFile is not null)
        {
            try
            {
                secret = File.ReadLines(passwordFile).FirstOrDefault()?.TrimEnd('\r');
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new ArgumentException($"--history-password-file {passwordFile}: cannot be read ({e.GetType().Name})");
            }

            if (string.IsNullOrEmpty(secret))
            {
                throw new ArgumentException($"--history-password-file {passwordFile}: its first line is empty");
            }
        }

        secret ??= environment(PasswordVariable) ?? environment("PGPASSWORD");
        return new HistoryLocation(Redact(value), true, builder.ConnectionString, secret);
    }

    /// <summary>Opens a connection (a SQLite file's folder is created; the file itself on first use).</summary>
    public async Task<DbConnection> OpenAsync(CancellationToken cancellationToken)
    {
        DbConnection connection;
        if (IsPostgres)
        {
            var builder = new NpgsqlConnectionStringBuilder(ConnectionString);
            if (password is not null)
            {
                builder.Password = password;
            }

            connection = new NpgsqlConnection(builder.ConnectionString);
        }
        else
        {
            Directory.CreateDirectory(Path.GetDirectoryName(Display)!);
            connection = new SqliteConnection(ConnectionString);
        }

        try
        {
            await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
            return connection;
        }
        catch
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>A URL without its userinfo's password and without any query but sslmode.</summary>
    public static string Redact(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        var at = value.IndexOf('@', StringComparison.Ordinal);
        var scheme = value.IndexOf("://", StringComparison.Ordinal);
        if (scheme >= 0 && at > scheme)
        {
            var userinfo = value[(scheme + 3)..at];
            var colon = userinfo.IndexOf(':', StringComparison.Ordinal);
            if (colon >= 0)
            {
                value = value[..(scheme + 3)] + userinfo[..colon] + ":***" + value[at..];
            }
        }

        var q = value.IndexOf('?', StringComparison.Ordinal);
        if (q >= 0)
        {
            var kept = value[(q + 1)..].Split('&').Where(p => p.StartsWith("sslmode=", StringComparison.Ordinal)).ToList();
            value = value[..q] + (kept.Count > 0 ? "?" + string.Join("&", kept) : value.Length > q + 1 ? "?***" : "");
        }

        return value;
    }

    public override string ToString() => Display;
}
