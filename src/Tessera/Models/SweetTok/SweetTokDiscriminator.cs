using Tessera.Nn;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Tessera.Models.SweetTok;

/// <summary>
/// SweetTok's stage-2 video discriminator (spec §8.3; the reference's <c>NLayerDiscriminator3D(3, 64, 3, 'batch')</c>):
/// Conv3d k4 p2 with stride 2 for the first <c>n_layers</c> convolutions and stride 1 for the last two, BatchNorm3d and
/// LeakyReLU(0.2) after every convolution but the first's norm, the one-channel logit map normalised and activated too.
/// Keys <c>model{i}.{j}</c> as in the reference (model1.. keep the reference's disabled blur slot at index 0).
/// <see cref="Features"/> returns every stage's output, the last being the logits, for the feature-matching loss.
/// </summary>
internal sealed class SweetTokDiscriminator : Module<Tensor, Tensor>
{
    private readonly Sequential[] stages;

    /// <summary>PyTorch's default initialisation, drawn from <paramref name="generator"/> (the reference applies no other).</summary>
    public SweetTokDiscriminator(int channels, int layers, Generator generator) : base(nameof(SweetTokDiscriminator))
    {
        if (channels <= 0 || layers <= 0) throw new ConfigException($"the discriminator needs positive channels and layers, got {channels} and {layers}");
        var list = new List<Sequential> { Sequential(("0", Conv(3, channels, 2)), ("1", LeakyReLU(0.2))) };
        var nf = channels;
        for (var n = 1; n < layers; n++)
        {
            var previous = nf;
            nf = Math.Min(nf * 2, 512);
            list.Add(Sequential(("0", Identity()), ("1", Conv(previous, nf, 2)), ("2", BatchNorm3d(nf)), ("3", LeakyReLU(0.2))));
        }
        var last = nf;
        nf = Math.Min(nf * 2, 512);
        list.Add(Sequential(("0", Conv(last, nf, 1)), ("1", BatchNorm3d(nf)), ("2", LeakyReLU(0.2))));
        list.Add(Sequential(("0", Conv(nf, 1, 1)), ("1", BatchNorm3d(1)), ("2", LeakyReLU(0.2))));
        stages = [.. list];
        for (var i = 0; i < stages.Length; i++) register_module($"model{i}", stages[i]);
        ResetParameters(generator);
    }

    /// <summary>The logit map [B, 1, T', H', W'] of clips [B, 3, T, H, W].</summary>
    public override Tensor forward(Tensor input) => Features(input)[^1];

    /// <summary>Every stage's output, in order; the last is the logit map.</summary>
    public IReadOnlyList<Tensor> Features(Tensor input)
    {
        var outputs = new List<Tensor>(stages.Length);
        var x = input;
        foreach (var stage in stages)
        {
            x = stage.forward(x);
            outputs.Add(x);
        }
        return outputs;
    }

    private static TailSafeConvLayer Conv(int input, int output, int stride) => new(Conv3d(input, output, 4, stride: stride, padding: 2));

    // torch's default: Kaiming-uniform weights with a = √5, whose bound is then 1/√fan_in as the bias's; BatchNorm 1 and 0.
    private void ResetParameters(Generator generator)
    {
        using var _ = no_grad();
        foreach (var m in modules())
            if (m is TailSafeConvLayer conv)
            {
                var weight = conv.get_parameter("weight")!;
                var fanIn = weight.shape.Skip(1).Aggregate(1L, (a, b) => a * b);
                var bound = 1.0 / Math.Sqrt(fanIn);
                weight.uniform_(-bound, bound, generator);
                conv.get_parameter("bias")!.uniform_(-bound, bound, generator);
            }
    }
}
