using System.Text.Json;
using Tessera.Checkpoints;
using Tessera.Models.SweetTok;
using static TorchSharp.torch;

namespace Tessera.Tests.Models.SweetTok;

/// <summary>
/// One golden model per test class, built on first use (so a class whose tests are skipped builds nothing).
/// </summary>
public sealed class SweetTokGoldenFixture : IDisposable
{
    private readonly Lazy<SweetTokGolden> golden = new(() => OutsideTestScope.Build(() => new SweetTokGolden()));
    private readonly Lazy<SweetTokModel> model;

    public SweetTokGoldenFixture() => model = new(() => OutsideTestScope.Build(() => golden.Value.BuildModel()));

    internal SweetTokGolden Golden => golden.Value;
    internal SweetTokModel Model => model.Value;

    public void Dispose()
    {
        if (model.IsValueCreated) model.Value.Dispose();
    }
}

/// <summary>
/// shared/reference/sweettok-golden: tensors from the official SweetTok code on a tiny random-weight model
/// (see the README there). Its config lives in meta.json; activations are keyed by module path.
/// </summary>
internal sealed class SweetTokGolden
{
    public const string Root = "reference/sweettok-golden";

    public SweetTokGolden()
    {
        Dir = TestPaths.Shared(Root) ?? throw new InvalidOperationException("sweettok golden not found");
        using var meta = JsonDocument.Parse(File.ReadAllText(Path.Combine(Dir, "meta.json")));
        var vq = meta.RootElement.GetProperty("config").GetProperty("model").GetProperty("vq_model");
        var arch = vq.GetProperty("parity_arch");
        var graph = meta.RootElement.GetProperty("graph");
        var input = meta.RootElement.GetProperty("shapes").GetProperty("input");
        var proxy = meta.RootElement.GetProperty("proxy_encoder");
        int I(JsonElement e, string key) => e.GetProperty(key).GetInt32();
        string S(string key) => arch.GetProperty(key).GetString()!;
        Config = new SweetTokConfig
        {
            Name = "sweettok-golden-A",
            ImageSize = I(arch, "image_size"),
            Frames = input[2].GetInt32(),
            Dim = I(arch, "dim"),
            Heads = I(arch, "heads"),
            DimHead = I(arch, "dim_head"),
            WindowSize = I(arch, "window_size"),
            EncBlock = S("enc_block"),
            DecBlock = S("dec_block"),
            TemporalDepth = I(arch, "temporal_depth"),
            NumSpatialLatentTokens = I(vq, "num_spatial_latent_tokens"),
            NumTemporalLatentTokens = I(vq, "num_temporal_latent_tokens"),
            EDim = I(arch, "e_dim"),
            SpatialPriorDim = I(graph.GetProperty("spatial"), "d_llm"),
            TemporalPriorDim = I(graph.GetProperty("temporal"), "d_llm"),
            ProxyCodebookSize = I(vq, "codebook_size"),
            ProxyCodeDim = I(arch, "proxy_code_dim"),
            FinetuneDecoder = vq.GetProperty("finetune_decoder").GetBoolean(),
            PixBlock = S("pix_block"),
            PixTemporalDepth = I(arch, "pix_temporal_depth"),
            PixDim = I(arch, "pix_dim"),
            PixHeads = I(arch, "pix_heads"),
            PixDimHead = I(arch, "pix_dim_head"),
            ProxyEncBlock = proxy.GetProperty("block").GetString()!,
            ProxyTemporalDepth = I(proxy, "temporal_depth"),
        };
        Assert.Equal(I(vq, "parity_grid_size"), Config.GridSize);
        Assert.Equal(I(vq, "dec_tube_size"), Config.LatentFrames);
        SpatialFirst = I(graph.GetProperty("spatial"), "first_part_len");
        TemporalFirst = I(graph.GetProperty("temporal"), "first_part_len");
    }

    public string Dir { get; }
    public SweetTokConfig Config { get; }
    public long SpatialFirst { get; }
    public long TemporalFirst { get; }

    public Tensor Load(string file) => Npy.Load(Path.Combine(Dir, file));

    public StateDict Weights() => TorchSharpDat.Load(Path.Combine(Dir, "weights.torchsharp.dat"));

    public WordGraph Graph(string branch) =>
        new(Load($"{branch}_graph_x.npy"), Load($"{branch}_graph_edge_index.npy"), branch == "spatial" ? SpatialFirst : TemporalFirst);

    /// <summary>The golden model with its weights loaded strictly and its codebooks refined from the priors.</summary>
    public SweetTokModel BuildModel()
    {
        var model = new SweetTokModel(Config);
        using (var weights = Weights())
            StateDictLoader.LoadInto(model, weights, "weights.torchsharp.dat");
        model.eval();
        using var spatial = Graph("spatial");
        using var temporal = Graph("temporal");
        model.RefineCodebooks(spatial, temporal);
        return model;
    }

    /// <summary>The OmniTokenizer proxy with its own checkpoint loaded strictly.</summary>
    public ProxyTokenizer BuildProxy()
    {
        var proxy = new ProxyTokenizer(Config);
        using (var weights = TorchSharpDat.Load(Path.Combine(Dir, "proxy_weights.torchsharp.dat")))
            StateDictLoader.LoadInto(proxy, weights, "proxy_weights.torchsharp.dat");
        proxy.eval();
        return proxy;
    }

    /// <summary>One activations archive keyed by module path (the "NNN:" call-order prefix dropped).</summary>
    public Activations LoadActivations(string part) => new(Npy.LoadNpz(Path.Combine(Dir, $"activations_{part}.npz")));

    internal sealed class Activations(StateDict raw) : IDisposable
    {
        private readonly Dictionary<string, Tensor> byPath = raw.ToDictionary(kv => kv.Key[(kv.Key.IndexOf(':') + 1)..], kv => kv.Value);

        public Tensor this[string path] => byPath.TryGetValue(path, out var t) ? t : throw new KeyNotFoundException($"no activation '{path}'");
        public bool Has(string path) => byPath.ContainsKey(path);
        public void Dispose() => raw.Dispose();
    }

    /// <summary>|a − b| ≤ atol + rtol·|b| elementwise; the message carries the max abs difference.</summary>
    public static double AssertClose(Tensor expected, Tensor actual, string what, double atol = 1e-4, double rtol = 1e-4)
    {
        Assert.True(expected.shape.SequenceEqual(actual.shape),
            $"{what}: shape [{string.Join(", ", actual.shape)}], reference [{string.Join(", ", expected.shape)}]");
        using var scope = NewDisposeScope();
        var e = expected.to_type(ScalarType.Float32);
        var diff = (e - actual.to_type(ScalarType.Float32)).abs();
        var excess = (diff - (atol + rtol * e.abs())).max().item<float>();
        var maxAbs = diff.max().item<float>();
        Assert.True(excess <= 0, $"{what}: max abs difference {maxAbs:E3} exceeds {atol:E1} + {rtol:E1}·|ref|");
        return maxAbs;
    }

    public static void AssertEqualIndices(Tensor expected, Tensor actual, string what)
    {
        Assert.True(expected.shape.SequenceEqual(actual.shape),
            $"{what}: shape [{string.Join(", ", actual.shape)}], reference [{string.Join(", ", expected.shape)}]");
        var mismatches = expected.to_type(ScalarType.Int64).ne(actual.to_type(ScalarType.Int64)).sum().item<long>();
        Assert.True(mismatches == 0, $"{what}: {mismatches} of {actual.numel()} indices differ from the reference");
    }
}
