using LoadGen.Core.Inputs;
using LoadGen.Core.Scenarios;

namespace LoadGen.Cli.Commands;

/// <summary>Steps several commands share, each printing its own error.</summary>
internal static class CommandSupport
{
    /// <summary>Loads a scenario file; on a bad one prints where it is wrong and returns null (exit 2).</summary>
    public static Scenario? LoadScenario(CliConsole console, FileInfo file, ScenarioPurpose purpose = ScenarioPurpose.Run)
    {
        try
        {
            var scenario = ScenarioLoader.LoadFile(file.FullName, purpose);
            foreach (var w in scenario.LoadWarnings)
            {
                console.Error($"WARNING: {w}");
            }

            return scenario;
        }
        catch (ScenarioException e)
        {
            console.Error($"error: {e.Message}");
            return null;
        }
    }

    /// <summary>
    /// Checks that every target can be reached as configured (certificates load, metadata values can be
    /// read) and says loudly what weakens the run (--insecure); false after printing what is wrong.
    /// </summary>
    public static bool Preflight(CliConsole console, Scenario scenario)
    {
        try
        {
            LoadGen.Core.Engine.LoadEngine.Preflight(scenario);
        }
        catch (LoadGen.Core.Inputs.InputException e)
        {
            console.Error($"error: {e.Message}");
            return false;
        }

        foreach (var w in LoadGen.Core.Engine.LoadEngine.Warnings(scenario))
        {
            console.Error($"WARNING: {w}.");
        }

        return true;
    }

    /// <summary>Starts what the scenario's lab:// targets need; on failure prints why and gives the exit code.</summary>
    public static async Task<(Scenario? Resolved, int ExitCode)> ResolveLabAsync(CliConsole console, LabTargets lab, Scenario scenario, CancellationToken ct)
    {
        var unknown = LabTargets.Unknown(scenario).ToList();
        if (unknown.Count > 0)
        {
            console.Error($"error: {string.Join("; ", unknown)}: not a lab topology this version has (known: {string.Join(", ", LabTargets.Known.Select(k => "lab://" + k))})");
            return (null, ExitCodes.BadInput);
        }

        if (scenario.Targets.Any(t => t.Address.Scheme == "lab"))
        {
            SweepLabLeftovers(console);
        }

        try
        {
            return (await lab.ResolveAsync(scenario, ct), ExitCodes.Ok);
        }
        catch (LoadGen.Lab.LabComponentMissingException e)
        {
            console.Error($"error: {e.Message}");
            return (null, ExitCodes.RunFailed);
        }
        catch (ArgumentException e)
        {
            console.Error($"error: {e.Message}");
            return (null, ExitCodes.BadInput);
        }
    }

    /// <summary>Before a lab comes up: stops what a killed LoadGen's lab left running, and says so in one line.</summary>
    public static void SweepLabLeftovers(CliConsole console)
    {
        if (LoadGen.Lab.LabChildren.SweepLeftovers() is { } line)
        {
            console.Error(line);
        }
    }
}
