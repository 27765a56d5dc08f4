using LoadGen.Lab;

namespace LoadGen.Tests.Lab;

/// <summary>
/// A test that needs a real lab binary. Skipped (with the reason) where the binary is missing,
/// except where LOADGEN_REQUIRE_LAB_BINARIES=1 (CI): there it runs, and fails on the missing binary.
/// </summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class LabFactAttribute : FactAttribute
{
    public LabFactAttribute(string binary)
    {
        Binary = binary;
        if (LabBinaries.Find($"LOADGEN_{binary.ToUpperInvariant()}", binary) is null && !LabBinaries.Required)
        {
            Skip = $"{binary} is not installed (apt-get install nginx-light haproxy); set {LabBinaries.RequireVariable}=1 to make this a failure";
        }
    }

    public string Binary { get; }
}
