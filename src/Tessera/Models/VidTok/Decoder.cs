using Tessera.Nn;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Tessera.Models.VidTok;

/// <summary>
/// VidTok decoder (DecoderCausal3DPadding v1.0/v1.1, Decoder3D): latent [B, z, T', H', W'] → video
/// [B, 3, T, H, W], unbounded (callers clamp to [-1, 1]). Levels run from the deepest to level 0.
/// v1.0 drops its first tdf − 1 output frames (the frames the encoder's front padding produced), on the first chunk of a stream;
/// v1.1 returns all tdf·T' frames and leaves trimming to the caller.
/// </summary>
internal sealed class Decoder : StreamModule
{
    private readonly StreamModule conv_in;
    private readonly MidBlock mid;
    private readonly ModuleList<Level> up;
    private readonly ModuleList<Level> up_temporal;
    private readonly nn.Module<Tensor, Tensor> norm_out;
    private readonly StreamModule conv_out;
    private readonly VidTokConfig config;

    public Decoder(VidTokConfig config) : base(nameof(Decoder))
    {
        this.config = config;
        var layers = new VidTokLayers(config);
        var ch = config.Ch;
        long blockIn = ch * config.ChMult[^1];
        conv_in = layers.Volume(config.ZChannels, blockIn, 3);
        mid = new MidBlock(layers, blockIn);

        var spatialLevels = new Level[config.Levels];
        var temporalLevels = new Level[config.Levels];
        var firstSegment = 1;
        for (var i = config.Levels - 1; i >= 0; i--)
        {
            long blockOut = ch * config.ChMult[i];
            var spatial = new List<StreamModule>();
            var temporal = new List<StreamModule>();
            for (var j = 0; j <= config.NumResBlocks; j++)
            {
                spatial.Add(layers.SpatialBlock(blockIn, blockOut));
                temporal.Add(layers.TemporalBlock(blockOut));
                blockIn = blockOut;
            }
            var us = config.SpatialUpsampleLevels.Contains(i);
            StreamModule? timeUp = null;
            if (us && config.TemporalUpsampleLevels.Contains(i))
            {
                timeUp = layers.TimeUpsample(blockOut, firstSegment);
                firstSegment *= 2;
            }
            spatialLevels[i] = new Level(spatial, upsample: us ? new Upsample(blockOut) : null);
            temporalLevels[i] = new Level(temporal, upsample: timeUp);
        }
        up = new ModuleList<Level>(spatialLevels);
        up_temporal = new ModuleList<Level>(temporalLevels);
        norm_out = layers.NormOut(ch * config.ChMult[0]);
        conv_out = layers.Volume(ch * config.ChMult[0], config.OutCh, 3);
        RegisterComponents();
    }

    /// <summary>The layer the adaptive GAN weight differentiates against (<c>decoder.conv_out</c>'s weight).</summary>
    public Tensor LastLayerWeight => conv_out switch
    {
        CausalConv3d c => c.Conv.Weight,
        Conv c => c.Weight,
        _ => throw new InvalidOperationException(),
    };

    /// <summary>The <see cref="CausalCache.OnStep"/> calls one forward pass makes: every block and resampler, and the mid block.</summary>
    public int Steps => up.Sum(l => l.Steps) + up_temporal.Sum(l => l.Steps) + 1;

    public override Tensor forward(Tensor z, CausalCache cache)
    {
        var h = conv_in.forward(z, cache);
        h = Step(h, mid, cache);
        for (var i = config.Levels - 1; i >= 0; i--)
        {
            for (var j = 0; j <= config.NumResBlocks; j++)
            {
                h = Step(h, up[i].Block(j), cache);
                h = Step(h, up_temporal[i].Block(j), cache);
            }
            if (up[i].Resample is { } spatial) h = Step(h, spatial, cache);
            if (up_temporal[i].Resample is { } temporal) h = Step(h, temporal, cache);
        }
        Tensor output;
        Tensor n;
        using (h) n = norm_out.forward(h);
        using (n)
        using (var a = Activations.SiluOfTemporary(n))
            output = conv_out.forward(a, cache);
        // v1.0's front-padding frames come out of the first chunk only; later chunks continue the stream.
        if (config.Family != VidTokFamily.CausalV1_0 || !cache.IsFirstChunk) return output;
        using (output)
        using (var kept = output[.., .., (config.TimeDownsampleFactor - 1)..])
            return kept.contiguous();
    }

    /// <summary>
    /// Decoding v1.1 with a one-latent overlap: each chunk also receives the next latent, whose output
    /// frames are discarded, so the causal caches must leave out the frames derived from it. The counts
    /// double at each temporal upsampler going up; later settings override earlier ones, as in the
    /// reference's tile_decode (its table is written for the level layouts of the release configs).
    /// </summary>
    public void SetOverlapCacheOffsets(CausalCache cache)
    {
        cache.ClearOffsets();
        Mark(this, 1);
        var tdf = config.TimeDownsampleFactor;
        (int level, bool withUpsample, int offset)[] table = tdf switch
        {
            2 => [(2, true, 2), (1, false, 2), (0, false, 2)],
            8 => [(3, true, 2), (2, false, 2), (2, true, 4), (1, false, 4), (1, true, 8), (0, false, 8)],
            _ => [(2, true, 2), (1, false, 2), (1, true, 4), (0, false, 4)],
        };
        foreach (var (level, withUpsample, offset) in table)
        {
            if (withUpsample) Mark(up_temporal[level].Resample ?? throw new InvalidOperationException($"up_temporal.{level} has no upsample"), offset);
            else Mark(up_temporal[level], offset);
        }
        Mark(conv_out, table[^1].offset);

        void Mark(nn.Module root, int offset)
        {
            foreach (var m in Descendants(root))
                if (m is CausalConv3d) cache.SetOffset(m, offset);
        }
    }

    private static IEnumerable<nn.Module> Descendants(nn.Module root)
    {
        yield return root;
        foreach (var (_, child) in root.named_children())
            foreach (var m in Descendants(child))
                yield return m;
    }
}
