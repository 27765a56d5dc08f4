using System.CommandLine;
using LoadGen.Core.Scenarios;
using LoadGen.Lab.Backend;
using LoadGen.Protos.Lab;
using LoadGen.Results;
using LoadGen.Results.Analysis;

namespace LoadGen.Cli.Commands;

internal static class LabCommand
{
    public static Command Create(CliConsole console)
    {
        var host = new Option<string>("--host") { Description = "Address to bind.", DefaultValueFactory = _ => "127.0.0.1" };
        var grpcPort = new Option<int>("--grpc-port") { Description = "h2c port of the gRPC lab service (0: any free port).", DefaultValueFactory = _ => 8000 };
        var healthPort = new Option<int>("--health-port") { Description = "HTTP/1.1 port of /healthz (0: any free port).", DefaultValueFactory = _ => 8001 };
        var cutoff = new Option<string?>("--cutoff")
        {
            Description = "Impose a timeout on every stream, as a proxy would: WHEN:DURATION with WHEN one of client-quiet, server-quiet, both-quiet, age (e.g. client-quiet:30s). The stream then ends with status Unavailable.",
            HelpName = "WHEN:DURATION",
        };
        var maxStreams = new Option<int>("--max-streams-per-connection")
        {
            Description = $"Streams one HTTP/2 connection may carry at once (SETTINGS_MAX_CONCURRENT_STREAMS). Behind ESP v1, which proxies every stream of a " +
                $"worker over one connection to the backend, this caps the streams one ESP pod can hold: size it from the soak (docs/cluster.md). Default: {new LabBackendOptions().MaxStreamsPerConnection:#,0}.",
            DefaultValueFactory = _ => new LabBackendOptions().MaxStreamsPerConnection,
            HelpName = "N",
        };
        maxStreams.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<int>() < 1)
            {
                r.AddError($"--max-streams-per-connection {r.GetValueOrDefault<int>()}: expected a whole number of streams, at least 1");
            }
        });
        var maxAge = new Option<string?>("--max-connection-age")
        {
            Description = "End every connection this long after it opened, as gRPC servers in Go, C++ and Java do with MAX_CONNECTION_AGE: a GOAWAY, then the connection closed after the grace (e.g. 30s).",
            HelpName = "DURATION",
        };
        var maxAgeGrace = new Option<string?>("--max-connection-age-grace")
        {
            Description = "MAX_CONNECTION_AGE_GRACE: how long open streams may go on after the GOAWAY. Default: 5s.",
            HelpName = "DURATION",
        };
        var backend = new Command("backend", "Run the lab backend as its own process until Ctrl-C or SIGTERM: the gRPC lab service over h2c, /healthz and " +
            $"{LabBackend.StatsPath} (what it served and how long directives.delay really held replies, JSON) over HTTP/1.1. run, compare and demo start one " +
            "for their lab:// targets, so its work is not the generator's.")
        {
            host, grpcPort, healthPort, cutoff, maxStreams, maxAge, maxAgeGrace,
        };
        backend.SetAction(async (pr, ct) =>
        {
            Cutoff? streamCutoff = null;
            if (pr.GetValue(cutoff) is { } spec)
            {
                var parts = spec.Split(':', 2);
                var when = QuietSides.TryParse(parts[0], withAge: true, out var side) ? side switch
                {
                    QuietSide.ClientQuiet => Cutoff.Types.When.ClientQuiet,
                    QuietSide.ServerQuiet => Cutoff.Types.When.ServerQuiet,
                    QuietSide.BothQuiet => Cutoff.Types.When.BothQuiet,
                    _ => Cutoff.Types.When.Age,
                } : Cutoff.Types.When.Unspecified;
                if (parts.Length != 2 || when == Cutoff.Types.When.Unspecified || !Durations.TryParse(parts[1], out var after))
                {
                    console.Error($"error: --cutoff '{spec}': expected WHEN:DURATION, WHEN {QuietSides.Expected(withAge: true)}; DURATION {Durations.Expected}");
                    return ExitCodes.BadInput;
                }

                streamCutoff = new Cutoff { When = when, AfterMs = (uint)after.TotalMilliseconds, Status = 14 };
            }

            TimeSpan? age = null;
            var grace = new LabBackendOptions().MaxConnectionAgeGrace;
            foreach (var (option, text) in new[] { ("--max-connection-age", pr.GetValue(maxAge)), ("--max-connection-age-grace", pr.GetValue(maxAgeGrace)) })
            {
                if (text is null)
                {
                    continue;
                }

                if (!Durations.TryParse(text, out var value) || value <= TimeSpan.Zero)
                {
                    console.Error($"error: {option} '{text}': expected a duration above zero ({Durations.Expected})");
                    return ExitCodes.BadInput;
                }

                if (option == "--max-connection-age")
                {
                    age = value;
                }
                else
                {
                    grace = value;
                }
            }

            LabBackend b;
            try
            {
                b = await LabBackend.StartAsync(new LabBackendOptions
                {
                    Host = pr.GetValue(host)!,
                    GrpcPort = pr.GetValue(grpcPort),
                    HealthPort = pr.GetValue(healthPort),
                    StreamCutoff = streamCutoff,
                    MaxStreamsPerConnection = pr.GetValue(maxStreams),
                    MaxConnectionAge = age,
                    MaxConnectionAgeGrace = grace,
                }, ct);
            }
            catch (Exception e) when (e is IOException or FormatException or System.Net.Sockets.SocketException)
            {
                console.Error($"error: the lab backend could not start: {e.Message}");
                return ExitCodes.BadInput;
            }

            await using (b)
            {
                console.Line($"lab backend: gRPC h2c {b.GrpcAddress} , health {b.HealthAddress} , {pr.GetValue(maxStreams):#,0} streams per connection (Ctrl-C to stop)");
                try
                {
                    await Task.Delay(Timeout.Infinite, ct);
                }
                catch (OperationCanceledException)
                {
                }

                console.Line($"lab backend: stopping; served {b.Stats.TotalStreams:#,0} streams, {b.Stats.MessagesReceived:#,0} messages in");
            }

            return ExitCodes.Ok;
        });
        var lab = new Command("lab", "The local lab that stands up topologies on loopback.")
        {
            backend, LabUpCommand.Create(console), LabCheckCommand.Create(console),
        };
        return lab;
    }
}
