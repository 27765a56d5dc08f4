using System.CommandLine;
using LoadGen.History;

namespace LoadGen.Cli.Commands;

/// <summary>`loadgen history …`'s shared options: where the history lives (docs/history.md).</summary>
internal static partial class HistoryCommand
{
    /// <summary>--history and --history-password-file, shared by every history command and compare-runs --against.</summary>
    internal sealed class Location
    {
        public Option<string?> Where { get; } = new("--history")
        {
            Description = $"The history: a SQLite file (default: ${HistoryLocation.LocationVariable}, else {HistoryLocation.DefaultFile}) or a team's PostgreSQL, " +
                $"postgres://USER@HOST[:PORT]/DATABASE[?sslmode=require] — its password from ${HistoryLocation.PasswordVariable} (or PGPASSWORD) or --history-password-file, never in the URL.",
            HelpName = "FILE|URL",
        };

        public Option<FileInfo?> PasswordFile { get; } = new("--history-password-file")
        {
            Description = "A file whose first line is the PostgreSQL history's password (a mounted Secret, say).",
            HelpName = "FILE",
        };

        public void AddTo(Command command)
        {
            command.Options.Add(Where);
            command.Options.Add(PasswordFile);
        }

        /// <summary>Opens the history; null (the error said) when it cannot be.</summary>
        public async Task<HistoryStore?> OpenAsync(ParseResult pr, CliConsole console, CancellationToken ct)
        {
            HistoryLocation location;
            try
            {
                location = HistoryLocation.Parse(pr.GetValue(Where), pr.GetValue(PasswordFile)?.FullName);
            }
            catch (ArgumentException e)
            {
                console.Error($"error: {e.Message}");
                return null;
            }

            try
            {
                return await HistoryStore.OpenAsync(location, ct);
            }
            catch (Exception e) when (e is System.Data.Common.DbException or InvalidDataException or IOException or UnauthorizedAccessException or TimeoutException)
            {
                // The history is the user's input: unreachable, refused or newer is said as such, without a secret.
                console.Error($"error: the history {location.Display} cannot be opened: {e.Message}");
                return null;
            }
        }
    }
}
