namespace LoadGen.Lab;

/// <summary>Finds the real proxies the lab prefers over its embedded stand-ins.</summary>
public static class LabBinaries
{
    /// <summary>Set (to 1) where the real binaries must be used: a missing one is then an error, never a quiet fallback.</summary>
    public const string RequireVariable = "LOADGEN_REQUIRE_LAB_BINARIES";

    public static bool Required => Environment.GetEnvironmentVariable(RequireVariable) is "1" or "true";

    /// <summary>$<paramref name="overrideVariable"/>, then /usr/sbin, /usr/bin, then PATH; null when missing.</summary>
    public static string? Find(string overrideVariable, string name)
    {
        var candidates = new List<string?> { Environment.GetEnvironmentVariable(overrideVariable), $"/usr/sbin/{name}", $"/usr/bin/{name}" };
        candidates.AddRange((Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries).Select(d => Path.Combine(d, name)));
        return candidates.FirstOrDefault(c => !string.IsNullOrEmpty(c) && File.Exists(c));
    }
}
