using LoadGen.Reports;

namespace LoadGen.Tests.Reports;

public class SummaryTableTests
{
    [Theory]
    [InlineData(
        "gateway: HAProxy 2.6.12-1+deb12u4 (real binary), TLS terminated → esp: nginx/1.22.1 (real binary), h2c port → backend: Kestrel (embedded)",
        "HAProxy 2.6.12-1+deb12u4 (real binary) → nginx/1.22.1 (real binary) → Kestrel (embedded)")]
    [InlineData(
        "gateway: embedded .NET proxy (YARP) [stream idle 5 s; cuts like Envoy], TLS terminated → esp: embedded .NET proxy (YARP) — FALLBACK, NGINX not found, h2c port → backend: Kestrel (embedded)",
        "embedded .NET proxy (YARP) [stream idle 5 s; cuts like Envoy] → embedded .NET proxy (YARP) — FALLBACK → Kestrel (embedded)")]
    public void LabParts_OnePerHop_KeepingWhatIsRealAndAnyFallback(string components, string expected) =>
        Assert.Equal(expected, SummaryTable.Parts(components));
}
