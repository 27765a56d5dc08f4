namespace LoadGen.Core.Inputs;

/// <summary>The one check for a file LoadGen is told to read (a CA, a client certificate, a ${file:} value).</summary>
public static class InputFiles
{
    /// <summary>Why <paramref name="fullPath"/> cannot be read as a file — missing, or a directory — or null when it can.</summary>
    public static string? Problem(string fullPath)
    {
        ArgumentNullException.ThrowIfNull(fullPath);
        return File.Exists(fullPath) ? null
            : Directory.Exists(fullPath) ? $"{fullPath} is a directory, not a file"
            : $"no such file: {fullPath}";
    }
}
