using Tessera.Checkpoints;
using Tessera.Nn;
using TorchSharp;
using static TorchSharp.torch;

namespace Tessera.Metrics.Fvd;

/// <summary>Which I3D vector <see cref="I3dFeatureExtractor"/> returns.</summary>
public enum I3dOutput
{
    /// <summary>
    /// The 400 Kinetics-400 pre-softmax logits, averaged over the output time positions (one position for 16 frames):
    /// the vector of the common FVD protocol (the TF-Hub I3D of Unterthiner et al.; StyleGAN-V's and
    /// common_metrics_on_video_quality's <c>i3d_torchscript.pt</c> called with <c>return_features=True</c>).
    /// </summary>
    Logits,

    /// <summary>The 1024-d Mixed_5c features after the 2×7×7 average pool, averaged over time positions (pytorch-i3d's <c>extract_features</c>). Not the FVD vector.</summary>
    Pooled,
}

/// <summary>
/// I3D features for FVD. Protocol: clips [B, 3, T, H, W] in [-1, 1] (clamped, float32) of 16 frames
/// (<see cref="ProtocolFrames"/>; any T ≥ 9 runs), every frame resized to 224×224 with bilinear interpolation
/// (align_corners = false, no antialiasing; skipped when already 224×224), fed in [-1, 1] as pytorch-i3d's
/// Kinetics weights and the FVD TorchScript I3D expect. Returns [B, 400] float64 pre-softmax logits
/// (<see cref="I3dOutput.Logits"/>) by default.
/// <para>
/// Two backends: the C# <see cref="InceptionI3d"/> loaded from a pytorch-i3d state dict (<c>rgb_imagenet.pt</c>),
/// or a TorchScript I3D (<c>i3d_torchscript.pt</c>) called as
/// <c>forward(x, rescale=False, resize=False, return_features=True)</c> (the resize is done here, as above; keywords
/// its forward does not declare are left out, so a <c>forward(x)</c> module gets the clip alone).
/// FVDs from the two backends are not interchangeable: their weights differ (the FVD TorchScript model holds the
/// TF-Hub weights), and only numbers from the same extractor, clip length and sample count compare.
/// </para>
/// </summary>
public sealed class I3dFeatureExtractor : IVideoFeatureExtractor
{
    /// <summary>Clip length of the common FVD protocol.</summary>
    public const int ProtocolFrames = 16;

    /// <summary>Frame size the network is fed.</summary>
    public const int InputSize = 224;

    private static readonly IReadOnlyDictionary<string, object> FvdKwargs = new Dictionary<string, object>
    {
        ["rescale"] = false,
        ["resize"] = false,
        ["return_features"] = true,
    };

    private readonly InceptionI3d? _net;
    private readonly TorchScriptVideoModel? _script;
    private readonly I3dOutput _output;
    private int _scriptDim = 400;

    /// <summary>Wraps a C# I3D (its weights already loaded); takes ownership.</summary>
    internal I3dFeatureExtractor(InceptionI3d net, I3dOutput output = I3dOutput.Logits)
    {
        _net = net;
        _output = output;
        net.eval();
    }

    /// <summary>Wraps a TorchScript I3D; takes ownership. Only <see cref="I3dOutput.Logits"/> (what the module returns).</summary>
    internal I3dFeatureExtractor(TorchScriptVideoModel script)
    {
        _script = script;
        _output = I3dOutput.Logits;
    }

    /// <summary>
    /// Loads a TorchScript archive (a zip with <c>code/</c> and <c>constants.pkl</c>) or else a pytorch-i3d state dict in
    /// any format <see cref="CheckpointReader"/> reads, loaded strictly. The one leniency: BatchNorm
    /// <c>num_batches_tracked</c> counters (absent from files saved by PyTorch before 0.4, unused in evaluation) are
    /// filled with zeros when missing.
    /// </summary>
    public static I3dFeatureExtractor Load(string path, I3dOutput output = I3dOutput.Logits)
    {
        if (TorchScriptVideoModel.IsTorchScriptArchive(path))
        {
            if (output != I3dOutput.Logits)
                throw new InvalidInputException($"'{path}' is a TorchScript I3D: only its returned features (I3dOutput.Logits) are available");
            return new I3dFeatureExtractor(TorchScriptVideoModel.Load(path));
        }
        using var sd = CheckpointReader.Read(path);
        var net = new InceptionI3d();
        try
        {
            foreach (var (key, t) in net.state_dict())
                if (key.EndsWith(".num_batches_tracked", StringComparison.Ordinal) && !sd.ContainsKey(key))
                    sd.Add(key, zeros_like(t));
            StateDictLoader.LoadInto(net, sd, path);
        }
        catch
        {
            net.Dispose();
            throw;
        }
        return new I3dFeatureExtractor(net, output);
    }

    /// <summary>The C# network, or null for a TorchScript backend.</summary>
    internal InceptionI3d? Network => _net;

    /// <summary>The TorchScript module, or null for the C# backend.</summary>
    internal TorchScriptVideoModel? Script => _script;

    /// <inheritdoc/>
    public string Name => _script is not null ? "i3d_torchscript" : _output == I3dOutput.Logits ? "i3d_logits400" : "i3d_pool1024";

    /// <summary>
    /// Feature width. For a TorchScript backend it is not known before a call: 400 (the FVD I3D's) until the first
    /// <see cref="Features"/> call, then the width that call returned.
    /// </summary>
    public int FeatureDim => _script is not null ? _scriptDim : _output == I3dOutput.Logits ? _net!.NumClasses : InceptionI3d.PooledDim;

    /// <summary>Clips [B, 3, T, H, W] in [-1, 1] resized to 224×224 per frame (bilinear, align_corners = false), float32.</summary>
    internal static Tensor Preprocess(Tensor clips)
    {
        if (clips.dim() != 5 || clips.shape[1] != 3)
            throw new InvalidInputException($"I3D expects clips [B, 3, T, H, W], got [{string.Join(", ", clips.shape)}]");
        using var scope = NewDisposeScope();
        var x = clips.to_type(ScalarType.Float32).clamp(Scalars.Of(-1.0), Scalars.Of(1.0));
        long b = x.shape[0], t = x.shape[2], h = x.shape[3], w = x.shape[4];
        if (h != InputSize || w != InputSize)
        {
            var frames = x.permute(0, 2, 1, 3, 4).reshape(b * t, 3, h, w);
            frames = nn.functional.interpolate(frames, [InputSize, InputSize], mode: InterpolationMode.Bilinear, align_corners: false);
            x = frames.reshape(b, t, 3, InputSize, InputSize).permute(0, 2, 1, 3, 4);
        }
        return x.contiguous().MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Features [B, D] float64 (D = <see cref="FeatureDim"/>) for clips [B, 3, T, H, W] in [-1, 1] (clamped, resized to
    /// 224×224 per frame). Runs without gradients; the caller owns and disposes the result.
    /// </summary>
    /// <exception cref="InvalidInputException">The clips are not [B, 3, T, H, W], or a TorchScript model returns another shape.</exception>
    public Tensor Features(Tensor clips)
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var x = Preprocess(clips);
        Tensor f;
        if (_script is not null)
        {
            // Pass only the FVD keywords the module's forward declares: a forward(x) module gets the clip alone.
            var declared = _script.ForwardParameters?.Skip(1).Select(p => p.Name).ToHashSet() ?? [];
            var kwargs = FvdKwargs.Where(kv => declared.Contains(kv.Key)).ToDictionary(kv => kv.Key, kv => kv.Value);
            f = _script.Forward(x, kwargs);
            if (f.dim() != 2 || f.shape[0] != x.shape[0])
                throw new InvalidInputException($"TorchScript I3D '{_script.Path}' returned [{string.Join(", ", f.shape)}], expected [B, D]");
            _scriptDim = (int)f.shape[1];
        }
        else if (_output == I3dOutput.Logits)
            f = _net!.forward(x).mean([2]);                       // [B, 400, T'] -> [B, 400]
        else
            f = _net!.PooledFeatures(x).flatten(2).mean([2]);     // [B, 1024, T', H', W'] -> [B, 1024]
        return f.to_type(ScalarType.Float64).MoveToOuterDisposeScope();
    }

    /// <summary>Frees the network.</summary>
    public void Dispose()
    {
        _net?.Dispose();
        _script?.Dispose();
    }
}
