using System.Diagnostics;
using System.Runtime.InteropServices;
using Google.Protobuf;
using Google.Protobuf.Reflection;

namespace LoadGen.Core.Workloads;

/// <summary>A problem with a service's schema, method or templates, said for people.</summary>
public sealed class WorkloadException(string message) : Exception(message)
{
}

/// <summary>
/// The descriptors of a user's service: compiled from .proto files by the protoc that Grpc.Tools
/// ships (copied beside LoadGen), or fetched from the server by reflection.
/// </summary>
public sealed class ProtoSchema
{
    private ProtoSchema(IReadOnlyList<FileDescriptor> files, string origin)
    {
        Files = files;
        Origin = origin;
    }

    public IReadOnlyList<FileDescriptor> Files { get; }

    /// <summary>Where the descriptors came from, for messages ("protos/x.proto", "server reflection at …").</summary>
    public string Origin { get; }

    /// <summary>The protoc LoadGen runs: <c>LOADGEN_PROTOC</c> when set, else the one copied beside LoadGen for this OS.</summary>
    public static string ProtocPath()
    {
        if (Environment.GetEnvironmentVariable("LOADGEN_PROTOC") is { Length: > 0 } own)
        {
            return own;
        }

        var platform = (OperatingSystem.IsWindows(), OperatingSystem.IsMacOS(), RuntimeInformation.OSArchitecture) switch
        {
            (true, _, _) => Path.Combine("windows_x64", "protoc.exe"),
            (_, true, _) => Path.Combine("macosx_universal", "protoc"),
            (_, _, Architecture.Arm64) => Path.Combine("linux_arm64", "protoc"),
            _ => Path.Combine("linux_x64", "protoc"),
        };
        return Path.Combine(AppContext.BaseDirectory, "protoc", platform);
    }

    /// <summary>
    /// Compiles <paramref name="protos"/> (with their imports) into descriptors. Relative paths are
    /// taken from <paramref name="baseDirectory"/>; each file's own directory is an import path too,
    /// as are protobuf's well-known types.
    /// </summary>
    /// <exception cref="WorkloadException">protoc is missing, or the files do not compile (protoc's message included).</exception>
    public static ProtoSchema Compile(IReadOnlyList<string> protos, IReadOnlyList<string> importPaths, string baseDirectory)
    {
        ArgumentNullException.ThrowIfNull(protos);
        ArgumentNullException.ThrowIfNull(importPaths);
        var protoc = ProtocPath();
        if (!File.Exists(protoc))
        {
            throw new WorkloadException($"protoc not found at {protoc} (it is copied there from the Grpc.Tools package at build time; set LOADGEN_PROTOC to use another)");
        }

        if (!OperatingSystem.IsWindows() && (File.GetUnixFileMode(protoc) & UnixFileMode.UserExecute) == 0)
        {
            File.SetUnixFileMode(protoc, File.GetUnixFileMode(protoc) | UnixFileMode.UserExecute);
        }

        var root = Path.GetFullPath(baseDirectory);
        string Full(string p) => Path.GetFullPath(p, root);
        var files = protos.Select(Full).ToList();
        foreach (var f in files.Where(f => !File.Exists(f)))
        {
            throw new WorkloadException($"{f}: no such file");
        }

        var includes = importPaths.Select(Full)
            .Concat(files.Select(f => Path.GetDirectoryName(f)!))
            .Append(Path.Combine(AppContext.BaseDirectory, "protoc", "include"))
            .Distinct(StringComparer.Ordinal)
            .ToList();
        var output = Path.Combine(Path.GetTempPath(), $"loadgen-descriptors-{Guid.NewGuid():N}.pb");
        try
        {
            var start = new ProcessStartInfo(protoc) { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
            start.ArgumentList.Add($"--descriptor_set_out={output}");
            start.ArgumentList.Add("--include_imports");
            foreach (var i in includes)
            {
                start.ArgumentList.Add($"--proto_path={i}");
            }

            files.ForEach(start.ArgumentList.Add);
            using var process = Process.Start(start) ?? throw new WorkloadException($"could not start {protoc}");
            var stderr = process.StandardError.ReadToEndAsync();
            var stdout = process.StandardOutput.ReadToEndAsync();
            if (!process.WaitForExit(TimeSpan.FromSeconds(60)))
            {
                process.Kill();
                throw new WorkloadException($"protoc did not finish within 60 s compiling {string.Join(", ", protos)}");
            }

            if (process.ExitCode != 0)
            {
                var said = (stderr.Result + stdout.Result).Trim();
                var hint = said.Contains("File not found", StringComparison.Ordinal)
                    ? "\n(imports are looked up under each import path: add the directory they are relative to in service.importPaths)"
                    : "";
                throw new WorkloadException($"the .proto files do not compile (protoc exit {process.ExitCode}):\n{said}{hint}");
            }

            var set = FileDescriptorSet.Parser.ParseFrom(File.ReadAllBytes(output));
            return FromFiles(set.File.Select(f => f.ToByteString()), string.Join(", ", protos));
        }
        finally
        {
            File.Delete(output);
        }
    }

    /// <summary>Builds descriptors from serialized FileDescriptorProtos in any order (dependencies are placed first).</summary>
    public static ProtoSchema FromFiles(IEnumerable<ByteString> files, string origin)
    {
        var protos = files.Select(FileDescriptorProto.Parser.ParseFrom)
            .GroupBy(f => f.Name, StringComparer.Ordinal).Select(g => g.First())
            .ToDictionary(f => f.Name, StringComparer.Ordinal);
        var ordered = new List<FileDescriptorProto>();
        var placed = new HashSet<string>(StringComparer.Ordinal);

        void Place(FileDescriptorProto f, int depth)
        {
            if (depth > 256 || !placed.Add(f.Name))
            {
                return;
            }

            foreach (var d in f.Dependency)
            {
                if (!protos.TryGetValue(d, out var dep))
                {
                    throw new WorkloadException($"{f.Name} imports {d}, which the descriptors from {origin} do not include");
                }

                Place(dep, depth + 1);
            }

            ordered.Add(f);
        }

        foreach (var f in protos.Values)
        {
            Place(f, 0);
        }

        try
        {
            return new ProtoSchema(FileDescriptor.BuildFromByteStrings(ordered.Select(f => f.ToByteString())), origin);
        }
        catch (DescriptorValidationException e)
        {
            throw new WorkloadException($"the descriptors from {origin} are not valid: {e.Message}");
        }
    }

    /// <summary>Every method of every service, "package.Service/Method".</summary>
    public IEnumerable<MethodDescriptor> Methods() => Files.SelectMany(f => f.Services).SelectMany(s => s.Methods);

    /// <summary>Finds a bidi streaming method by "package.Service/Method" (or "package.Service.Method").</summary>
    /// <exception cref="WorkloadException">No such method (the ones there are listed), or it is not bidi streaming.</exception>
    public MethodDescriptor BidiMethod(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        var slash = name.LastIndexOf('/');
        var dot = name.LastIndexOf('.');
        var split = slash >= 0 ? slash : dot;
        if (split <= 0 || split == name.Length - 1)
        {
            throw new WorkloadException($"'{name}' is not a method name: write package.Service/Method");
        }

        var (service, method) = (name[..split], name[(split + 1)..]);
        var all = Methods().ToList();
        var found = all.FirstOrDefault(m => m.Service.FullName == service && m.Name == method);
        if (found is null)
        {
            var near = all.Where(m => m.Name.Equals(method, StringComparison.OrdinalIgnoreCase) || m.Service.FullName.EndsWith(service, StringComparison.Ordinal))
                .Select(Name).ToList();
            var list = all.Count == 0 ? "they define no service" : $"methods there: {string.Join(", ", all.Select(Name).Take(20))}{(all.Count > 20 ? " …" : "")}";
            throw new WorkloadException($"method '{name}' is not in {Origin}: {(near.Count > 0 ? $"did you mean {string.Join(" or ", near.Take(3))}? " : "")}{list}");
        }

        if (!(found.IsClientStreaming && found.IsServerStreaming))
        {
            var kind = (found.IsClientStreaming, found.IsServerStreaming) switch
            {
                (false, false) => "unary",
                (true, false) => "client streaming",
                _ => "server streaming",
            };
            throw new WorkloadException($"{Name(found)} is a {kind} method (rpc {found.Name}({(found.IsClientStreaming ? "stream " : "")}{found.InputType.FullName}) returns ({(found.IsServerStreaming ? "stream " : "")}{found.OutputType.FullName})): LoadGen holds bidirectional streams, which need 'stream' on both sides");
        }

        return found;
    }

    public static string Name(MethodDescriptor method)
    {
        ArgumentNullException.ThrowIfNull(method);
        return $"{method.Service.FullName}/{method.Name}";
    }
}
