using System.Text.Json;
using Tessera.Checkpoints;
using Tessera.Models.VidTok;
using static TorchSharp.torch;

namespace Tessera.Tests.Models.VidTok;

/// <summary>One reference case in shared/reference/vidtok-golden: its config, weights and tensors.</summary>
internal sealed class GoldenCase
{
    public const string Root = "reference/vidtok-golden";

    public GoldenCase(string name) : this(name, TestPaths.Shared(Root, name) ?? throw new InvalidOperationException($"golden case {name} not found"))
    {
    }

    private GoldenCase(string name, string dir)
    {
        Name = name;
        Dir = dir;
        using var meta = JsonDocument.Parse(File.ReadAllText(Path.Combine(Dir, "meta.json")));
        // meta.json holds the engine config; JSON is YAML, so the official-YAML reader parses it as is.
        var yaml = $"{{\"model\": {meta.RootElement.GetProperty("config").GetRawText()}}}";
        Config = VidTokYaml.Parse(yaml, Path.Combine(Dir, "meta.json")) with { Name = name };
    }

    public string Name { get; }
    public string Dir { get; }
    public VidTokConfig Config { get; }

    /// <summary>A case committed under tests/Tessera.Tests/Fixtures/VidTok (see PROVENANCE.md there).</summary>
    public static GoldenCase Fixture(string name) => new(name, TestPaths.Fixture("VidTok", name));

    public bool Has(string file) => File.Exists(Path.Combine(Dir, file));

    public Tensor Load(string file) => Npy.Load(Path.Combine(Dir, file));

    public VidTokModel BuildModel()
    {
        var model = new VidTokModel(Config);
        var dat = Path.Combine(Dir, "weights.torchsharp.dat");
        var npz = Path.Combine(Dir, "weights.npz");
        using var weights = File.Exists(dat) ? TorchSharpDat.Load(dat) : Npy.LoadNpz(npz);
        StateDictLoader.LoadInto(model, weights, File.Exists(dat) ? dat : npz);
        model.eval();
        return model;
    }
}
