using Tessera.Nn;
using static TorchSharp.torch;

namespace Tessera.Models;

/// <summary>
/// One named group of discrete tokens. A code holds it as int32 [B, ..<see cref="Axes"/>] with every id in
/// [0, <see cref="CodebookSize"/>): VidTok has one group <c>tokens</c> [T', H', W']; SweetTok four per clip,
/// <c>adjective</c> [N_s, 2], <c>noun</c> [N_s], <c>adverb</c> [N_t, 2] and <c>verb</c> [N_t].
/// </summary>
/// <param name="Name">The group's name (the tensor name in token files).</param>
/// <param name="Axes">Names of the per-clip axes, e.g. T', H', W'.</param>
/// <param name="CodebookSize">K: ids lie in [0, K).</param>
public sealed record TokenGroup(string Name, IReadOnlyList<string> Axes, long CodebookSize)
{
    /// <summary>Axes per clip, without the batch axis.</summary>
    public int Rank => Axes.Count;

    /// <summary>log2 of <see cref="CodebookSize"/>: bits one id of this group carries.</summary>
    public double BitsPerToken => Math.Log2(CodebookSize);

    /// <summary>The FSQ levels per code dimension whose product is <see cref="CodebookSize"/>; null for a learned codebook.</summary>
    public IReadOnlyList<int>? Levels { get; init; }

    /// <summary>e.g. "tokens [T', H', W'] from 32,768 codes".</summary>
    public override string ToString() => $"{Name} [{string.Join(", ", Axes)}] from {CodebookSize:N0} codes";
}

/// <summary>The range of input and output pixel values, e.g. [-1, 1].</summary>
/// <param name="Min">The value of black.</param>
/// <param name="Max">The value of white.</param>
public readonly record struct ValueRange(double Min, double Max)
{
    /// <summary>Whether this is [-1, 1], the range of Tessera's own pixel tensors (video readers, metrics).</summary>
    public bool IsSigned => Min == -1 && Max == 1;

    /// <summary><paramref name="x"/> in [-1, 1] mapped linearly onto this range (an alias when this is [-1, 1]).</summary>
    public Tensor FromSigned(Tensor x) => IsSigned ? x.alias() : x.add(Scalars.Of(1), Scalars.One).mul_(Scalars.Of((Max - Min) / 2)).add_(Scalars.Of(Min), Scalars.One);

    /// <summary><paramref name="x"/> in this range mapped linearly onto [-1, 1] (an alias when this is [-1, 1]).</summary>
    public Tensor ToSigned(Tensor x) => IsSigned ? x.alias() : x.sub(Scalars.Of(Min)).mul_(Scalars.Of(2 / (Max - Min))).sub_(Scalars.Of(1));

    /// <summary>e.g. "[-1, 1]".</summary>
    public override string ToString() => $"[{Min:0.##}, {Max:0.##}]";
}

/// <summary>
/// What a caller needs to know about a model without reading its family's code: what it takes (frames,
/// sizes, values) and what it produces (named token groups, or continuous latents).
/// </summary>
public sealed record ModelCard
{
    /// <summary>The family's registered name (token files record it as <c>model_family</c>), e.g. <c>vidtok</c>.</summary>
    public required string Family { get; init; }

    /// <summary>The model's name: its preset (e.g. <c>vidtok_fsq_causal_488_32768_v1_1</c>) or the config's own name.</summary>
    public required string Name { get; init; }

    /// <summary>Which kind of model the family builds from this config, e.g. "causal v1.1".</summary>
    public string Variant { get; init; } = "";

    /// <summary>One line for listings, e.g. "FSQ 32,768 codes, causal v1.1, 4x8x8".</summary>
    public string Summary { get; init; } = "";

    /// <summary>The frame counts the model takes in one whole-clip call.</summary>
    public required FrameRule Frames { get; init; }

    /// <summary>Height and width must be multiples of this.</summary>
    public required int SpatialMultiple { get; init; }

    /// <summary>The one frame size (height, width) the model takes, when its learned tables fix it; null when any
    /// multiple of <see cref="SpatialMultiple"/> works. Callers reading videos resize to it when no size is asked.</summary>
    public (int Height, int Width)? InputSize { get; init; }

    /// <summary>Pixel values of input and decoded videos ([B, 3, T, H, W]).</summary>
    public ValueRange Range { get; init; } = new(-1, 1);

    /// <summary>Input frames, rows and columns per latent position.</summary>
    public required Compression Compression { get; init; }

    /// <summary>The discrete code's groups; empty for a continuous model.</summary>
    public IReadOnlyList<TokenGroup> TokenGroups { get; init; } = [];

    /// <summary>Channels of a continuous model's latents; 0 for a discrete model.</summary>
    public int LatentChannels { get; init; }

    /// <summary>Whether the first frame is encoded alone and later frames see only the past.</summary>
    public bool Causal { get; init; }

    /// <summary>Whether long videos stream through the model in temporal chunks with carried state.</summary>
    public bool Streams { get; init; }

    /// <summary>Clip length the family's own evaluation protocol uses.</summary>
    public required int EvalClipFrames { get; init; }

    /// <summary>The dtype the model computes in and returns videos and latents in (float32).</summary>
    public ScalarType DType { get; init; } = ScalarType.Float32;

    /// <summary>Whether the model makes token ids (<see cref="TokenGroups"/> not empty) rather than continuous latents.</summary>
    public bool IsDiscrete => TokenGroups.Count > 0;
}
