using System.Globalization;
using LoadGen.Examples.CodeFirst;
using LoadGen.Lab.Backend;

// dotnet run --project scenarios/code-first -- [--target http://127.0.0.1:PORT] [--out runs] [--streams 100] [--hold 20s]
// Without --target, a lab backend is started in this process and the run goes there.
string? Arg(string name) => args.SkipWhile(a => a != name).Skip(1).FirstOrDefault();
var outDir = Arg("--out") ?? "runs";
var streams = int.Parse(Arg("--streams") ?? "100", CultureInfo.InvariantCulture);
var hold = TimeSpan.FromSeconds(double.Parse((Arg("--hold") ?? "20s").TrimEnd('s'), CultureInfo.InvariantCulture));
using var stop = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    stop.Cancel();
};

await using var backend = Arg("--target") is null ? await LabBackend.StartAsync(new LabBackendOptions()) : null;
var target = backend?.GrpcAddress ?? new Uri(Arg("--target")!);
Console.WriteLine($"code-first scenario: {streams} streams against {target}, hold {hold.TotalSeconds:0} s");
var (summary, folder, reports) = await LabChatScenario.RunAsync(
    target,
    outDir,
    streams,
    hold,
    p => Console.WriteLine($"  {p.Phase,-6} {p.Elapsed:mm\\:ss}  streams {p.ActiveStreams}/{p.TargetStreams}"),
    stop.Token);
var t = summary.Topologies[0];
Console.WriteLine($"{t.Name}: {t.Streams.Opened} streams, {t.Messages.Sent} sent, {t.Messages.Received} received, p50 {t.LatencyMs.P50} ms, p99 {t.LatencyMs.P99} ms; verdict {summary.Verdict}");
Console.WriteLine($"run folder: {folder}\nreport:     {reports.Html}");
// The same exit codes as `loadgen run`: 1 a threshold failed, 3 the target never opened or never answered.
var (code, errors) = LoadGen.Results.Analysis.RunExit.Judge(summary, LoadGen.Results.RunFolder.Open(folder));
foreach (var e in errors)
{
    Console.Error.WriteLine($"error: {e}");
}

return code;
