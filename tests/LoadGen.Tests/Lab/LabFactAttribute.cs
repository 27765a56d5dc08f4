using LoadGen.Lab;

namespace LoadGen.Tests.Lab;

/// <summary>
/// A test that needs a real lab binary. Skipped (with the reason) where the binary is missing,
/// except where LOADGEN_REQUIRE_LAB_BINARIES=1 (CI): there it runs, and fails on the missing binary.
/// </summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class LabFactAttribute : FactAttribute
{
    public LabFactAttribute(params string[] binaries)
    {
        Binaries = binaries;
        var missing = binaries.Where(b => LabBinaries.Find($"LOADGEN_{b.ToUpperInvariant()}", b) is null).ToList();
        if (missing.Count > 0 && !LabBinaries.Required)
        {
            Skip = $"{string.Join(", ", missing)} not installed (apt-get install nginx-light haproxy); set {LabBinaries.RequireVariable}=1 to make this a failure";
        }
    }

    public IReadOnlyList<string> Binaries { get; }
}
