using Tessera.Nn;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Tessera.Models.VidTok;

/// <summary>
/// One resolution level of the encoder or decoder (the anonymous <c>nn.Module()</c> entries of
/// <c>down</c>, <c>down_temporal</c>, <c>up</c>, <c>up_temporal</c>). Keys: block.{j}.*, [downsample.*], [upsample.*].
/// </summary>
internal sealed class Level : nn.Module
{
    private readonly ModuleList<StreamModule> block;
    private readonly ModuleList<StreamModule> attn = new();   // always empty in VidTok; kept so the tree matches
    private readonly StreamModule? downsample;
    private readonly StreamModule? upsample;

    public Level(IEnumerable<StreamModule> blocks, StreamModule? downsample = null, StreamModule? upsample = null) : base(nameof(Level))
    {
        block = new ModuleList<StreamModule>(blocks.ToArray());
        this.downsample = downsample;
        this.upsample = upsample;
        RegisterComponents();
    }

    public StreamModule Block(int j) => block[j];
    public StreamModule? Resample => downsample ?? upsample;

    /// <summary>Blocks plus the resampler: the steps this level reports to <see cref="CausalCache.OnStep"/>.</summary>
    public int Steps => block.Count + (Resample is null ? 0 : 1);
}
