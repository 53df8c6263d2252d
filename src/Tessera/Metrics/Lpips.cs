using System.Text.RegularExpressions;
using Tessera.Checkpoints;
using Tessera.Metrics.Backbones;
using Tessera.Nn;
using static TorchSharp.torch;

namespace Tessera.Metrics;

/// <summary>The ImageNet trunk under the LPIPS heads.</summary>
public enum LpipsBackbone
{
    /// <summary>VGG16, as VidTok's perceptual loss uses (<c>lpips_vgg</c>).</summary>
    Vgg16,

    /// <summary>AlexNet, the lpips package's default metric (<c>lpips_alex</c>).</summary>
    AlexNet,
}

/// <summary>
/// Learned Perceptual Image Patch Similarity (Zhang et al. 2018, v0.1 heads), as VidTok's <c>lpips.py</c> and the
/// lpips package compute it: inputs in [-1, 1] are scaled ((x − shift)/scale), passed through the trunk, each of the
/// five sliced activations is unit-normalised over channels (x / (‖x‖ + 1e-10)), the squared difference is weighted by
/// the 1×1 head <c>lin{k}</c> and averaged spatially; the five averages are summed. Lower is closer.
/// </summary>
/// <remarks>
/// Weights are user-supplied: the torchvision trunk (<c>vgg16-397923af.pth</c> / <c>alexnet-owt-7be5be79.pth</c>,
/// keys <c>features.N.*</c>; <c>classifier.*</c> is ignored) and the heads (<c>lin{k}.model.1.weight</c>, e.g. the lpips
/// package's <c>weights/v0.1/{vgg,alex}.pth</c>). A single file with a whole LPIPS module's state
/// (<c>net.slice{s}.N.*</c> or <c>features.N.*</c>, <c>lin{k}.*</c>, optionally <c>lins.{k}.*</c> and <c>scaling_layer.*</c>) is accepted too.
/// Evaluation only: no gradients flow through <see cref="Forward"/>.
/// </remarks>
public sealed class Lpips : IFrameMetric
{
    /// <summary>ScalingLayer shift and scale per RGB channel.</summary>
    internal static readonly IReadOnlyList<float> Shift = [-0.030f, -0.088f, -0.188f];
    internal static readonly IReadOnlyList<float> Scale = [0.458f, 0.448f, 0.450f];
    private const double NormEps = 1e-10;

    private static readonly Regex HeadKey = new(@"^lin(\d+)\.", RegexOptions.CultureInvariant);
    private static readonly Regex ListHeadKey = new(@"^lins\.(\d+)\.(.*)$", RegexOptions.CultureInvariant);
    private static readonly Regex SliceKey = new(@"^net\.slice\d+\.(\d+\..*)$", RegexOptions.CultureInvariant);

    private readonly LpipsFeatureNet _net;
    private readonly LpipsHeads _heads;
    private readonly Tensor _shift;
    private readonly Tensor _scale;
    private int _batchSize = 8;
    private bool _disposed;

    private Lpips(LpipsBackbone backbone, LpipsFeatureNet net, LpipsHeads heads)
    {
        Backbone = backbone;
        _net = net;
        _heads = heads;
        _net.eval();
        _heads.eval();
        foreach (var p in _net.parameters()) p.requires_grad = false;
        foreach (var p in _heads.parameters()) p.requires_grad = false;
        _shift = tensor(Shift.ToArray()).reshape(1, 3, 1, 1);
        _scale = tensor(Scale.ToArray()).reshape(1, 3, 1, 1);
    }

    /// <summary>The trunk under the heads.</summary>
    public LpipsBackbone Backbone { get; }

    /// <summary><c>lpips_vgg</c> or <c>lpips_alex</c>.</summary>
    public string Name => Backbone == LpipsBackbone.Vgg16 ? "lpips_vgg" : "lpips_alex";

    /// <summary>False: LPIPS is a distance.</summary>
    public bool HigherIsBetter => false;

    /// <summary>Image pairs per trunk pass (memory bound; both images of a pair go through one pass). Default 8.</summary>
    public int BatchSize
    {
        get => _batchSize;
        set => _batchSize = value >= 1 ? value : throw new ArgumentOutOfRangeException(nameof(value), value, "batch size must be at least 1");
    }

    /// <summary>Reads the trunk and the heads (the same path twice for one combined file) and checks every key strictly.</summary>
    /// <returns>A frozen metric in eval mode; the caller disposes it.</returns>
    /// <exception cref="CheckpointFormatException">A file is malformed, or a key is missing, extra or of the wrong shape.</exception>
    public static Lpips Load(LpipsBackbone backbone, string backboneWeights, string headWeights)
    {
        ArgumentNullException.ThrowIfNull(backboneWeights);
        ArgumentNullException.ThrowIfNull(headWeights);
        using var trunk = CheckpointReader.Read(backboneWeights);
        if (string.Equals(Path.GetFullPath(backboneWeights), Path.GetFullPath(headWeights), StringComparison.Ordinal))
            return Create(backbone, trunk, trunk, backboneWeights, headWeights);
        using var heads = CheckpointReader.Read(headWeights);
        return Create(backbone, trunk, heads, backboneWeights, headWeights);
    }

    /// <summary>One file holding a whole LPIPS module's state (trunk and heads).</summary>
    public static Lpips Load(LpipsBackbone backbone, string combinedWeights) => Load(backbone, combinedWeights, combinedWeights);

    /// <summary>Builds the metric from state dicts already in memory (copied; the caller keeps ownership).</summary>
    internal static Lpips Create(LpipsBackbone backbone, StateDict backboneWeights, StateDict headWeights,
        string backboneSource = "backbone weights", string headSource = "head weights")
    {
        ArgumentNullException.ThrowIfNull(backboneWeights);
        ArgumentNullException.ThrowIfNull(headWeights);
        LpipsFeatureNet net = backbone switch
        {
            LpipsBackbone.Vgg16 => new Vgg16Features(),
            LpipsBackbone.AlexNet => new AlexNetFeatures(),
            _ => throw new ArgumentOutOfRangeException(nameof(backbone), backbone, "unknown LPIPS backbone"),
        };
        LpipsHeads? heads = null;
        try
        {
            CheckScaling(backboneWeights, backboneSource);
            using (var trunk = Select(backboneWeights, backboneSource, TrunkName))
                StateDictLoader.LoadInto(net, trunk, backboneSource);
            heads = new LpipsHeads(net.Channels);
            using (var lin = Select(headWeights, headSource, k => HeadName(k, headWeights)))
                StateDictLoader.LoadInto(heads, lin, headSource);
            return new Lpips(backbone, net, heads);
        }
        catch
        {
            net.Dispose();
            heads?.Dispose();
            throw;
        }
    }

    /// <summary>LPIPS distance per image pair for [N, 3, H, W] batches in [-1, 1] → [N] (float32).</summary>
    /// <remarks>The result is the caller's to dispose.</remarks>
    public Tensor Forward(Tensor x, Tensor y)
    {
        using var scope = NewDisposeScope();
        return ForwardPerLayer(x, y).sum(1).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// LPIPS as a training loss: [N] for image batches [N, 3, H, W] in [-1, 1], differentiable with respect to the
    /// inputs (the network's own weights stay frozen). Runs in the caller's dispose scope and autograd mode.
    /// </summary>
    internal Tensor Loss(Tensor x, Tensor y)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (!x.shape.SequenceEqual(y.shape) || x.dim() != 4 || x.shape[1] != 3)
            throw new InvalidInputException($"LPIPS expects two image batches [N, 3, H, W] of one shape, got [{string.Join(", ", x.shape)}] and [{string.Join(", ", y.shape)}]");
        return Layers(x, y).sum(1);
    }

    /// <summary>The five per-layer terms whose sum is <see cref="Forward"/>: [N, 5] (float32).</summary>
    internal Tensor ForwardPerLayer(Tensor x, Tensor y)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(y);
        if (!x.shape.SequenceEqual(y.shape))
            throw new InvalidInputException($"LPIPS inputs differ in shape: [{string.Join(", ", x.shape)}] vs [{string.Join(", ", y.shape)}]");
        if (x.dim() != 4 || x.shape[1] != 3)
            throw new InvalidInputException($"LPIPS expects images [N, 3, H, W], got [{string.Join(", ", x.shape)}]");

        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        var n = x.shape[0];
        var chunks = new List<Tensor>();
        for (long start = 0; start < n; start += _batchSize)
        {
            var count = Math.Min(_batchSize, n - start);
            using var chunkScope = NewDisposeScope();
            var xs = x.narrow(0, start, count).to(float32, _shift.device);
            var ys = y.narrow(0, start, count).to(float32, _shift.device);
            chunks.Add(Layers(xs, ys).MoveToOuterDisposeScope());
        }
        var result = chunks.Count == 1 ? chunks[0] : cat(chunks, 0);
        return result.MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Per-frame LPIPS for two videos [B, 3, T, H, W] (or [3, T, H, W]) in [-1, 1], frames batch-major. Like PSNR and SSIM,
    /// values are clamped to [-1, 1] first (<see cref="Forward"/> does not clamp).
    /// </summary>
    public double[] PerFrame(Tensor reference, Tensor reconstruction)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        using var scope = NewDisposeScope();
        var (x01, y01) = MetricInput.ToFrames01(reference, reconstruction);
        var d = Forward(x01 * 2 - 1, y01 * 2 - 1);
        return d.to_type(ScalarType.Float64).data<double>().ToArray();
    }

    private Tensor Layers(Tensor x, Tensor y)
    {
        var n = x.shape[0];
        var both = (cat([x, y], 0) - _shift) / _scale;
        var feats = _net.call(both);
        var terms = new Tensor[feats.Length];
        for (var k = 0; k < feats.Length; k++)
        {
            var f = feats[k];
            var normed = f / f.pow(Scalars.Of(2)).sum(1, keepdim: true).sqrt().add(Scalars.Of(NormEps), Scalars.One);
            var diff = (normed.narrow(0, 0, n) - normed.narrow(0, n, n)).pow(Scalars.Of(2));
            terms[k] = _heads.Apply(k, diff).mean([1, 2, 3]);
        }
        return stack(terms, 1);
    }

    /// <summary>Trunk keys: <c>features.N.*</c> as is, <c>net.slice{s}.N.*</c> renamed; classifier, heads and scaling layer dropped.</summary>
    private static string? TrunkName(string key)
    {
        if (key.StartsWith("classifier.", StringComparison.Ordinal) || key.StartsWith("scaling_layer.", StringComparison.Ordinal)
            || key.StartsWith("lins.", StringComparison.Ordinal) || HeadKey.IsMatch(key))
            return null;
        var m = SliceKey.Match(key);
        return m.Success ? "features." + m.Groups[1].Value : key;
    }

    /// <summary>Head keys: <c>lin{k}.*</c> as is, <c>lins.{k}.*</c> renamed unless <c>lin{k}.*</c> is present too; trunk keys dropped.</summary>
    private static string? HeadName(string key, StateDict source)
    {
        if (key.StartsWith("features.", StringComparison.Ordinal) || key.StartsWith("net.", StringComparison.Ordinal)
            || key.StartsWith("classifier.", StringComparison.Ordinal) || key.StartsWith("scaling_layer.", StringComparison.Ordinal))
            return null;
        var m = ListHeadKey.Match(key);
        if (!m.Success) return key;
        var renamed = $"lin{m.Groups[1].Value}.{m.Groups[2].Value}";
        return source.ContainsKey(renamed) ? null : renamed;
    }

    /// <summary>Aliases of the entries of <paramref name="source"/> under the names <paramref name="rename"/> gives (null drops one).</summary>
    private static StateDict Select(StateDict source, string sourceName, Func<string, string?> rename)
    {
        var selected = new StateDict();
        try
        {
            foreach (var (key, t) in source)
            {
                var name = rename(key);
                if (name is null) continue;
                if (selected.ContainsKey(name))
                    throw new CheckpointFormatException($"checkpoint '{sourceName}': both '{key}' and another key map to '{name}'");
                selected.Add(name, t.alias());
            }
            return selected;
        }
        catch
        {
            selected.Dispose();
            throw;
        }
    }

    /// <summary>A file that carries <c>scaling_layer.shift/scale</c> must carry LPIPS's constants.</summary>
    private static void CheckScaling(StateDict source, string sourceName)
    {
        foreach (var (key, expected) in new[] { ("scaling_layer.shift", Shift), ("scaling_layer.scale", Scale) })
        {
            if (!source.TryGetValue(key, out var t)) continue;
            using var scope = NewDisposeScope();
            var values = t.to_type(ScalarType.Float32).flatten().data<float>().ToArray();
            if (values.Length != 3 || values.Zip(expected).Any(p => Math.Abs(p.First - p.Second) > 1e-6f))
                throw new CheckpointFormatException(
                    $"checkpoint '{sourceName}': {key} is [{string.Join(", ", values)}], LPIPS uses [{string.Join(", ", expected)}]");
        }
    }

    /// <summary>Frees the trunk and the heads.</summary>
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        _net.Dispose();
        _heads.Dispose();
        _shift.Dispose();
        _scale.Dispose();
    }
}
