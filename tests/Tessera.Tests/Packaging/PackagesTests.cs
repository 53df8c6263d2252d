using System.IO.Compression;
using System.Reflection.Metadata;
using System.Text;
using System.Xml.Linq;
using Tessera.Tests.Video;
using Tessera.Video;

namespace Tessera.Tests.Packaging;

/// <summary>
/// What a user gets from NuGet: both projects packed as `dotnet pack` does, the library package read as a zip (readme,
/// licence, repository, symbols, Source Link), and the tool installed from the package folder into a scratch tool path
/// and run. Slow (a Release build and a 140 MB tool package holding libtorch), so it is one test.
/// </summary>
[DisposeScopePerTest]
public sealed class PackagesTests
{
    private static readonly TimeSpan Step = TimeSpan.FromMinutes(15);

    /// <summary>The model the tool uses without --model (src/Tessera/Models/BundledModelFolder.cs), under models/ beside it.</summary>
    private const string BundledModelFile = "tessera_small_fsq_causal_488_4096.safetensors";

    /// <summary>The Source Link custom debug information kind in a portable PDB.</summary>
    private static readonly Guid SourceLinkKind = new("CC110556-A091-4D38-9FEC-25AB9A351A6A");

    [DotnetFact]
    public void Packed_library_documents_itself_and_the_packed_tool_installs_and_reconstructs()
    {
        var root = TestPaths.RepoRoot ?? throw new InvalidOperationException("packaging tests need the checkout");
        using var dir = new TempDir();
        var packages = Directory.CreateDirectory(dir.File("packages")).FullName;
        // A version of its own, so the installed tool is provably this build's and never a cached package of the same version.
        var version = $"0.0.0-packtest.{Guid.NewGuid():N}"[..26];
        var offline = new Dictionary<string, string> { ["HF_HUB_OFFLINE"] = "1", ["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1", ["DOTNET_NOLOGO"] = "1" };
        foreach (var project in new[] { "src/Tessera", "src/Tessera.Cli" })
        {
            var (code, output) = DotnetTool.Run(DotnetTool.Path!, root, Step, offline, "pack", project, "-c", "Release", "-o", packages,
                "--artifacts-path", dir.File("artifacts"), "--disable-build-servers", $"-p:Version={version}");
            Assert.True(code == 0, $"dotnet pack {project} failed ({code}):\n{output}");
        }

        AssertLibraryPackage(root, packages, version);
        AssertToolPackage(root, packages, version);

        // Only the package folder as a source: the tool package carries everything it needs.
        var config = dir.File("nuget.config");
        File.WriteAllText(config, $"""
            <?xml version="1.0" encoding="utf-8"?>
            <configuration><packageSources><clear /><add key="packed" value="{packages}" /></packageSources></configuration>
            """);
        var tools = dir.File("tools");
        var install = DotnetTool.Run(DotnetTool.Path!, dir.Path, Step, offline, "tool", "install", "--tool-path", tools,
            "--configfile", config, "--add-source", packages, "--version", version, "Tessera.Cli");
        Assert.True(install.ExitCode == 0, $"dotnet tool install failed ({install.ExitCode}):\n{install.Output}");
        var tessera = Path.Combine(tools, "tessera");

        var about = DotnetTool.Run(tessera, dir.Path, Step, offline, "--version");
        Assert.True(about.ExitCode == 0, $"tessera --version failed ({about.ExitCode}):\n{about.Output}");
        Assert.StartsWith(version, about.Output.Trim());

        using (var clip = TestMedia.SmoothClip(9, 48, 64, fps: 8)) VideoWriter.Write(dir.File("clip.mp4"), clip);
        var recon = DotnetTool.Run(tessera, dir.Path, Step, offline, "reconstruct", "clip.mp4", "--size", "32", "--fps", "8", "--output", "recon.mp4");
        Assert.True(recon.ExitCode == 0, $"tessera reconstruct with the installed tool failed ({recon.ExitCode}):\n{recon.Output}");
        Assert.Matches(@"PSNR\s+\d+\.\d+ dB", recon.Output);
        Assert.Contains("4,096-entry codebook", recon.Output);   // the bundled model, found beside the installed tool
        using var back = VideoReader.Read(dir.File("recon.mp4"));
        Assert.Equal(9, (int)back.Frames.shape[0]);
    }

    private static void AssertLibraryPackage(string root, string packages, string version)
    {
        var nupkg = Path.Combine(packages, $"Tessera.{version}.nupkg");
        var snupkg = Path.Combine(packages, $"Tessera.{version}.snupkg");
        Assert.True(File.Exists(nupkg), $"no library package {nupkg}");
        Assert.True(File.Exists(snupkg), $"no symbol package beside the library package ({snupkg})");

        using var zip = ZipFile.OpenRead(nupkg);
        var nuspec = Nuspec(zip);
        Assert.Equal("MIT", Element(nuspec, "license").Value);
        Assert.Equal("expression", (string?)Element(nuspec, "license").Attribute("type"));
        var readme = Element(nuspec, "readme").Value;
        Assert.Equal(File.ReadAllText(Path.Combine(root, readme)), Read(zip, readme));
        var repository = Element(nuspec, "repository");
        Assert.Equal("git", (string?)repository.Attribute("type"));
        var url = (string?)repository.Attribute("url") ?? "";
        var commit = (string?)repository.Attribute("commit") ?? "";
        Assert.Matches(@"^https://github\.com/[^/]+/[^/]+$", url);
        Assert.Matches("^[0-9a-f]{40}$", commit);
        // The library references the managed bindings only; the application picks the backend.
        var dependencies = nuspec.Descendants().Where(e => e.Name.LocalName == "dependency").Select(e => (string?)e.Attribute("id")).ToList();
        Assert.Contains("TorchSharp", dependencies);
        Assert.DoesNotContain("TorchSharp-cpu", dependencies);
        Assert.NotNull(zip.GetEntry("lib/net10.0/Tessera.dll"));
        Assert.NotNull(zip.GetEntry("lib/net10.0/Tessera.xml"));

        using var symbols = ZipFile.OpenRead(snupkg);
        var pdb = symbols.GetEntry("lib/net10.0/Tessera.pdb") ?? throw new Xunit.Sdk.XunitException("the symbol package has no Tessera.pdb");
        var sourceLink = SourceLinkJson(pdb);
        var raw = $"https://raw.githubusercontent.com/{url["https://github.com/".Length..]}/{commit}/*";
        Assert.Contains(raw, sourceLink);
    }

    private static void AssertToolPackage(string root, string packages, string version)
    {
        using var pointer = ZipFile.OpenRead(Path.Combine(packages, $"Tessera.Cli.{version}.nupkg"));
        Assert.Equal("DotnetTool", (string?)Element(Nuspec(pointer), "packageType").Attribute("name"));
        using var tool = ZipFile.OpenRead(Path.Combine(packages, $"Tessera.Cli.linux-x64.{version}.nupkg"));
        var names = tool.Entries.Select(e => e.FullName).ToList();
        Assert.Single(names, n => n.EndsWith("/" + BundledModelFile, StringComparison.Ordinal));
        // Every bundled model of the checkout ships, beside the tool.
        foreach (var model in Directory.GetFiles(Path.Combine(root, "models"), "*.safetensors"))
            Assert.Contains($"tools/net10.0/linux-x64/models/{Path.GetFileName(model)}", names);
        Assert.Contains("tools/net10.0/linux-x64/libLibTorchSharp.so", names);
        Assert.Contains("tools/net10.0/linux-x64/libtorch_cpu.so", names);
        Assert.DoesNotContain(names, n => n.Contains("/runtimes/win", StringComparison.Ordinal) || n.Contains("/runtimes/osx", StringComparison.Ordinal));
    }

    private static XElement Nuspec(ZipArchive zip)
    {
        var entry = zip.Entries.Single(e => !e.FullName.Contains('/') && e.FullName.EndsWith(".nuspec", StringComparison.Ordinal));
        using var stream = entry.Open();
        return XDocument.Load(stream).Root!;
    }

    private static XElement Element(XElement nuspec, string name) =>
        nuspec.Descendants().FirstOrDefault(e => e.Name.LocalName == name) ?? throw new Xunit.Sdk.XunitException($"the .nuspec has no <{name}>");

    private static string Read(ZipArchive zip, string name)
    {
        var entry = zip.GetEntry(name) ?? throw new Xunit.Sdk.XunitException($"the package has no {name}");
        using var reader = new StreamReader(entry.Open());
        return reader.ReadToEnd();
    }

    private static string SourceLinkJson(ZipArchiveEntry pdb)
    {
        var bytes = new MemoryStream();
        using (var s = pdb.Open()) s.CopyTo(bytes);
        bytes.Position = 0;
        using var provider = MetadataReaderProvider.FromPortablePdbStream(bytes);
        var reader = provider.GetMetadataReader();
        foreach (var handle in reader.GetCustomDebugInformation(EntityHandle.ModuleDefinition))
        {
            var info = reader.GetCustomDebugInformation(handle);
            if (reader.GetGuid(info.Kind) == SourceLinkKind) return Encoding.UTF8.GetString(reader.GetBlobBytes(info.Value));
        }
        throw new Xunit.Sdk.XunitException("the pdb in the symbol package has no Source Link record");
    }
}
