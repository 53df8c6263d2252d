using Tessera.Nn;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Tessera.Models.VidTok;

/// <summary>
/// VidTok encoder (EncoderCausal3DPadding v1.0/v1.1, Encoder3D): [B, 3, T, H, W] in [-1, 1] →
/// [B, z or 2z, T', H', W'] before the bottleneck. Each level runs (spatial block, temporal block) pairs,
/// then the spatial and, where configured, temporal down-samplers.
/// </summary>
internal sealed class Encoder : StreamModule
{
    private readonly StreamModule conv_in;
    private readonly ModuleList<Level> down;
    private readonly ModuleList<Level> down_temporal;
    private readonly MidBlock mid;
    private readonly nn.Module<Tensor, Tensor> norm_out;
    private readonly StreamModule conv_out;
    private readonly VidTokConfig config;

    public Encoder(VidTokConfig config) : base(nameof(Encoder))
    {
        this.config = config;
        var layers = new VidTokLayers(config);
        var ch = config.Ch;
        conv_in = layers.Volume(config.InChannels, ch, 3);
        down = new ModuleList<Level>();
        down_temporal = new ModuleList<Level>();
        long blockIn = ch;
        for (var i = 0; i < config.Levels; i++)
        {
            long blockOut = ch * config.ChMult[i];
            var spatial = new List<StreamModule>();
            var temporal = new List<StreamModule>();
            for (var j = 0; j < config.NumResBlocks; j++)
            {
                spatial.Add(layers.SpatialBlock(blockIn, blockOut));
                temporal.Add(layers.TemporalBlock(blockOut));
                blockIn = blockOut;
            }
            var ds = config.SpatialDownsampleLevels.Contains(i);
            var ts = ds && config.TemporalDownsampleLevels.Contains(i);
            down.Add(new Level(spatial, downsample: ds ? new Downsample(blockIn) : null));
            down_temporal.Add(new Level(temporal, downsample: ts ? layers.TimeDownsample(blockIn) : null));
        }
        mid = new MidBlock(layers, blockIn);
        norm_out = layers.NormOut(blockIn);
        conv_out = layers.Volume(blockIn, config.EncoderOutChannels, 3);
        RegisterComponents();
    }

    /// <summary>The <see cref="CausalCache.OnStep"/> calls one forward pass makes: every block and resampler, and the mid block.</summary>
    public int Steps => down.Sum(l => l.Steps) + down_temporal.Sum(l => l.Steps) + 1;

    public override Tensor forward(Tensor x, CausalCache cache)
    {
        Tensor h;
        using (var padded = PadFront(x))
            h = conv_in.forward(padded, cache);
        for (var i = 0; i < config.Levels; i++)
        {
            for (var j = 0; j < config.NumResBlocks; j++)
            {
                h = Step(h, down[i].Block(j), cache);
                h = Step(h, down_temporal[i].Block(j), cache);
            }
            if (down[i].Resample is { } spatial) h = Step(h, spatial, cache);
            if (down_temporal[i].Resample is { } temporal) h = Step(h, temporal, cache);
        }
        h = Step(h, mid, cache);
        Tensor n;
        using (h) n = norm_out.forward(h);
        using (n)
        using (var a = Activations.SiluOfTemporary(n))
            return conv_out.forward(a, cache);
    }

    /// <summary>
    /// Causal encoders see replicated copies of frame 0 in front when T is not a multiple of the temporal
    /// factor: tdf − 1 copies in v1.0 (so 1 + 4k frames give 1 + k latents), tdf − T mod tdf in v1.1.
    /// </summary>
    private Tensor PadFront(Tensor x)
    {
        var tdf = config.TimeDownsampleFactor;
        var frames = x.shape[2];
        if (!config.IsCausal || frames % tdf == 0) return x.alias();
        var pad = config.Family == VidTokFamily.CausalV1_0 ? tdf - 1 : tdf - (int)(frames % tdf);
        using var first = x[.., .., ..1];
        using var front = first.expand(-1, -1, pad, -1, -1);
        return cat([front, x], 2);
    }
}
