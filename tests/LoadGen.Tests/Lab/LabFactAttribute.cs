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
        // Lab tests are async and run in the serial collection: each fails by itself past this.
        Timeout = Integration.SerialLoad.TimeoutMs;
        var missing = binaries.Where(b => LabBinaries.Find($"LOADGEN_{b.ToUpperInvariant()}", b) is null).ToList();
        if (missing.Count > 0 && !LabBinaries.Required)
        {
            Skip = $"{string.Join(", ", missing)} not installed ({(missing.Contains("kubectl") ? "kubectl with Kustomize, from the Kubernetes release" : "apt-get install nginx-light haproxy")}); set {LabBinaries.RequireVariable}=1 to make this a failure";
        }
    }

    public IReadOnlyList<string> Binaries { get; }
}

/// <summary>A <see cref="LabFactAttribute"/> with data: skipped the same way where a binary is missing.</summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class LabTheoryAttribute : TheoryAttribute
{
    public LabTheoryAttribute(params string[] binaries)
    {
        Binaries = binaries;
        Timeout = Integration.SerialLoad.TimeoutMs;
        Skip = new LabFactAttribute(binaries).Skip;
    }

    public IReadOnlyList<string> Binaries { get; }
}
