using System.Globalization;
using LoadGen.Core.Engine;
using LoadGen.Core.Scenarios;
using LoadGen.Core.Scenarios.Lab;
using LoadGen.Lab;
using LoadGen.Lab.Embedded;
using LoadGen.Lab.Esp;
using LoadGen.Results;
using LoadGen.Results.Analysis;

namespace LoadGen.Cli;

/// <summary>Faults on cue against the lab's parts: NGINX reload/restart/freeze/reconfigure, gateway drain and rules, backend kill.</summary>
internal sealed class LabFaultInjector(LabTopologies lab) : IFaultInjector
{
    public async Task<string> ApplyAsync(FaultStep fault, TargetOptions target, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(fault);
        switch (fault.Kind)
        {
            case FaultKind.ReloadEsp:
                await Nginx(fault).ReloadAsync();
                return "nginx -s reload: new workers take new streams; open streams stay on the old worker" +
                    (lab.Esp!.Options.WorkerShutdownTimeout is { } w ? $" until worker_shutdown_timeout ({Durations.Format(w)})" : " (no worker_shutdown_timeout: indefinitely)");
            case FaultKind.RestartEsp:
                await Nginx(fault).RestartAsync(cancellationToken);
                return "NGINX stopped (SIGTERM, every connection closed) and started again on the same ports";
            case FaultKind.StopEsp:
                await Nginx(fault).FreezeAsync(fault.For, CancellationToken.None);
                return $"NGINX master and workers frozen (SIGSTOP) for {Durations.Format(fault.For)}, then SIGCONT";
            case FaultKind.SetEsp:
                await Nginx(fault).ReconfigureAsync(o => Apply(o, fault.Esp!));
                return $"nginx.conf rewritten ({fault.Esp!.Describe()}) and reloaded";
            case FaultKind.DrainGateway:
                if (lab.EmbeddedGateway is { } embedded)
                {
                    var n = await embedded.DrainAsync(fault.CloseAfter, CancellationToken.None);
                    return $"GOAWAY on {n} client connection(s); those still open closed after {Durations.Format(fault.CloseAfter)}; the listener stayed open";
                }

                if (lab.Haproxy is { } haproxy)
                {
                    var took = await haproxy.DrainAsync(fault.CloseAfter, CancellationToken.None);
                    return string.Create(CultureInfo.InvariantCulture, $"HAProxy soft stop (SIGUSR1: listener closed, GOAWAY), hard stop by {Durations.Format(fault.CloseAfter)}, new HAProxy listening after {took.TotalSeconds:0.0} s");
                }

                throw new InvalidOperationException("drain-gateway: the gateway is not up (only lab://gateway has one)");
            case FaultKind.SetGateway:
                var gw = lab.EmbeddedGateway ?? throw new InvalidOperationException(
                    "set-gateway needs the embedded gateway (HAProxy has no per-stream knobs): set any lab.gateway setting in the scenario, or run with --lab embedded");
                Apply(gw, fault.Gateway!);
                return $"gateway settings changed: {fault.Gateway!.Describe()} (new streams; idle and duration cuts apply to open ones too)";
            case FaultKind.KillBackend:
                return await lab.KillBackendAsync(fault.For, CancellationToken.None);
            default:
                throw new NotSupportedException(fault.Kind.ToString());
        }
    }

    /// <summary>A reload (or a reconfigure, which reloads) leaves the old worker's streams to die at worker_shutdown_timeout.</summary>
    public TimeSpan Lingers(FaultStep fault, TargetOptions target) =>
        fault?.Kind is FaultKind.ReloadEsp or FaultKind.SetEsp && lab.Esp?.Options.WorkerShutdownTimeout is { } w ? w : TimeSpan.Zero;

    private EspStandIn Nginx(FaultStep fault) => lab.Esp ?? throw new InvalidOperationException(
        $"{fault.Name} needs the ESP stand-in to be real NGINX; {(lab.EmbeddedEsp is null ? "it is not up" : "it is the embedded proxy here (NGINX not installed, or --lab embedded)")}");

    /// <summary>The scenario's ESP settings over NGINX's current ones.</summary>
    public static EspOptions Apply(EspOptions o, EspSettings s) => o with
    {
        ClientBodyTimeout = s.ClientBodyTimeout ?? o.ClientBodyTimeout,
        KeepaliveTimeout = s.KeepaliveTimeout ?? o.KeepaliveTimeout,
        KeepaliveRequests = s.KeepaliveRequests ?? o.KeepaliveRequests,
        GrpcReadTimeout = s.GrpcReadTimeout ?? o.GrpcReadTimeout,
        GrpcSendTimeout = s.GrpcSendTimeout ?? o.GrpcSendTimeout,
        WorkerShutdownTimeout = s.WorkerShutdownTimeout ?? o.WorkerShutdownTimeout,
        Http2MaxConcurrentStreams = s.Http2MaxConcurrentStreams ?? o.Http2MaxConcurrentStreams,
    };

    private static void Apply(EmbeddedProxy gw, GatewaySettings s)
    {
        var l = gw.Limits;
        gw.Limits = new StreamLimits(
            s.StreamIdleTimeout is { } i ? NullIfZero(i) : l.StreamIdleTimeout,
            s.MaxStreamDuration is { } m ? NullIfZero(m) : l.MaxStreamDuration,
            s.CutStyle is { } c ? CutStyle(c) : l.CutStyle);
        var f = gw.Faults;
        gw.Faults = f with
        {
            AbortShare = s.AbortShare ?? f.AbortShare,
            AbortStatus = s.AbortStatus ?? f.AbortStatus,
            DelayShare = s.DelayShare ?? f.DelayShare,
            Delay = s.Delay ?? f.Delay,
        };
    }

    public static TimeSpan? NullIfZero(TimeSpan t) => t == TimeSpan.Zero ? null : t;

    public static StreamCutStyle CutStyle(string name) => name == "yarp" ? StreamCutStyle.Yarp : StreamCutStyle.Envoy;

    /// <summary>Set to <c>in-process</c> to run the lab backend inside LoadGen's process (as before it had its own).</summary>
    public const string BackendVariable = "LOADGEN_LAB_BACKEND";

    /// <summary>
    /// How to start LoadGen itself for the lab backend's own process: this apphost, or the dotnet host with loadgen.dll
    /// (also when LoadGen runs inside another host, such as a test host); null when the backend is to run in-process.
    /// </summary>
    public static IReadOnlyList<string>? SelfCommand()
    {
        if (Environment.GetEnvironmentVariable(BackendVariable) == "in-process")
        {
            return null;
        }

        var dll = typeof(LabFaultInjector).Assembly.Location;
        var host = Environment.ProcessPath;
        if (host is not null && Path.GetFileNameWithoutExtension(host) == Path.GetFileNameWithoutExtension(dll))
        {
            return [host];
        }

        var dotnet = host is not null && Path.GetFileNameWithoutExtension(host) == "dotnet" ? host
            : Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } h && File.Exists(h) ? h
            : LabBinaries.Find("DOTNET_HOST_PATH", "dotnet");
        return dotnet is null || string.IsNullOrEmpty(dll) ? null : [dotnet, dll];
    }

    /// <summary>The scenario's lab section as lab options.</summary>
    public static LabOptions Options(Scenario scenario, LabPart parts)
    {
        ArgumentNullException.ThrowIfNull(scenario);
        var settings = scenario.Lab;
        var g = settings.Gateway;
        return new LabOptions
        {
            Esp = parts,
            Gateway = parts,
            ConfigureEsp = settings.Esp.IsEmpty ? null : o => Apply(o, settings.Esp),
            GatewayStreamIdleTimeout = g.StreamIdleTimeout is { } i ? NullIfZero(i) : null,
            GatewayMaxStreamDuration = g.MaxStreamDuration is { } m ? NullIfZero(m) : null,
            GatewayCutStyle = g.CutStyle is { } c ? CutStyle(c) : StreamCutStyle.Envoy,
            GatewayFaults = g.AbortShare is null && g.DelayShare is null ? FaultRules.None : new FaultRules
            {
                AbortShare = g.AbortShare ?? 0,
                AbortStatus = g.AbortStatus ?? 14,
                DelayShare = g.DelayShare ?? 0,
                Delay = g.Delay ?? TimeSpan.Zero,
            },
            // Any gateway setting, now or on cue, needs the gateway with Envoy's knobs.
            GatewayForceEmbedded = !g.IsEmpty || scenario.Faults.Any(f => f.Kind == FaultKind.SetGateway),
            BackendCommand = SelfCommand(),
            Backend = new LoadGen.Lab.Backend.LabBackendOptions
            {
                MaxConnectionAge = settings.Backend.MaxConnectionAge,
                MaxConnectionAgeGrace = settings.Backend.MaxConnectionAgeGrace ?? TimeSpan.FromSeconds(5),
            },
        };
    }
}
