using Tessera.Nn;
using Tessera.Training;
using Tessera.Training.Discriminators;
using TorchSharp.Modules;
using Tessera.Video;
using static TorchSharp.torch;

namespace Tessera.Models.VidTok;

/// <summary>
/// VidTok's training loss (GeneralLPIPSWithDiscriminator, dims 3): an L1 + perceptual reconstruction NLL with a
/// learned log-variance, an adaptively weighted adversarial term, weighted regulariser outputs, and the
/// discriminator's hinge/vanilla loss with LeCam regularisation. Registered state: <c>logvar</c> and
/// <c>discriminator.main.*</c>, matching the official <c>loss.*</c> keys (LPIPS weights are not part of it).
/// </summary>
internal sealed class VidTokLoss : nn.Module
{
    private readonly Parameter logvar;
    private readonly nn.Module<Tensor, Tensor> discriminator;
    private readonly Func<Tensor, Tensor, Tensor>? perceptual;

    /// <summary>
    /// Creates the loss. <paramref name="perceptual"/> maps frames x, x̂ [N, 3, H, W] in [-1, 1] to per-frame
    /// distances [N] (LPIPS); when null the perceptual term is 0. The discriminator is initialised like the
    /// reference's weights_init, drawing from <paramref name="generator"/> when given.
    /// </summary>
    public VidTokLoss(LossConfig? config = null, Func<Tensor, Tensor, Tensor>? perceptual = null, Generator? generator = null)
        : base(nameof(VidTokLoss))
    {
        Config = config ?? new LossConfig();
        this.perceptual = perceptual;
        logvar = new Parameter(full([], Scalars.Of(Config.LogvarInit), dtype: ScalarType.Float32));
        discriminator = Config.DiscType == DiscriminatorType.TwoD
            ? new NLayerDiscriminator(Config.DiscInChannels, Config.DiscNdf, Config.DiscNumLayers)
            : new NLayerDiscriminator3D(Config.DiscInChannels, Config.DiscNdf, Config.DiscNumLayers);
        DiscriminatorInit.Apply(discriminator, generator);
        LeCam = Config.LecamLossWeight > 0 ? new LeCamEma() : null;
        RegisterComponents();
    }

    /// <summary>The settings.</summary>
    public LossConfig Config { get; }

    /// <summary>The learned log-variance (0-dim).</summary>
    public Parameter LogVar => logvar;

    /// <summary>The discriminator network.</summary>
    public nn.Module<Tensor, Tensor> Discriminator => discriminator;

    /// <summary>LeCam logit EMAs (null when the LeCam weight is 0); plain numbers, save them alongside a checkpoint if resuming must be exact.</summary>
    public LeCamEma? LeCam { get; }

    /// <summary>Whether a perceptual distance was supplied.</summary>
    public bool HasPerceptual => perceptual is not null;

    /// <summary>Parameters the autoencoder optimiser adds for the loss: the log-variance when it is learned.</summary>
    public IEnumerable<(string Name, Parameter Param)> AutoencoderParameters()
    {
        if (Config.LearnLogvar) yield return ("logvar", logvar);
    }

    /// <summary>Parameters of the discriminator optimiser, named as in the state dict (without the <c>loss.</c> prefix).</summary>
    public IEnumerable<(string Name, Parameter Param)> DiscriminatorParameters()
        => discriminator.named_parameters().Select(p => ("discriminator." + p.name, p.parameter));

    /// <summary>0 before <see cref="LossConfig.DiscStart"/> optimiser steps, else <see cref="LossConfig.DiscFactor"/>.</summary>
    public double DiscFactorAt(long globalStep) => globalStep < Config.DiscStart ? 0.0 : Config.DiscFactor;

    /// <summary>
    /// The autoencoder step (optimizer_idx 0) for clips x, x̂ [B, C, T, H, W]. <paramref name="lastLayer"/> is the
    /// decoder's last conv weight (<c>Decoder.LastLayerWeight</c>) for the adaptive adversarial weight, which is
    /// 0 when there is no graph (validation). <paramref name="regularization"/> holds regulariser outputs by name
    /// (aux_loss, kl_loss); those named in <see cref="LossConfig.RegularizationWeights"/> are added with their
    /// weights. <paramref name="globalStep"/> counts optimiser steps (two per iteration). The discriminator runs
    /// in whatever train/eval mode this module is in; freeze its parameters yourself if its grads must not accumulate.
    /// With <paramref name="adversarial"/> false the discriminator is not run at all (g_loss is logged as NaN).
    /// </summary>
    public GeneratorLossResult GeneratorLoss(Tensor inputs, Tensor reconstructions, long globalStep, Tensor? lastLayer,
        IReadOnlyDictionary<string, Tensor>? regularization = null, Tensor? weights = null, bool adversarial = true)
    {
        CheckClips(inputs, reconstructions);
        using var scope = NewDisposeScope();
        var t = inputs.shape[2];
        var x = ToFrames(inputs);
        var xr = ToFrames(reconstructions);

        var rec = (x - xr).abs();
        if (Config.ColourWeight > 0) rec = rec.add(Config.ColourWeight * BlockColourError(x, xr), Scalars.One);
        if (Config.ChromaWeight > 0) rec = rec.add(Config.ChromaWeight * BlockChromaError(x, xr), Scalars.One);
        var pLog = 0.0;
        if (Config.PerceptualWeight > 0 && perceptual is not null)
        {
            var p = perceptual(x, xr).reshape(-1, 1, 1, 1);
            rec = rec.add(Config.PerceptualWeight * p, Scalars.One);
            pLog = p.mean().item<float>();
        }
        var nllMap = (rec / logvar.exp()).add(logvar, Scalars.One);
        var weighted = weights is null ? nllMap : weights * nllMap;
        var weightedNll = weighted.sum() / weighted.shape[0];
        var nll = nllMap.sum() / nllMap.shape[0];

        var discFactor = DiscFactorAt(globalStep);
        Tensor gLoss, dWeight, loss;
        if (adversarial)
        {
            var discInput = Config.DiscType == DiscriminatorType.ThreeD ? FromFrames(xr, t) : xr;
            var logitsFake = discriminator.forward(discInput);
            gLoss = Config.GenLossCrossEntropy ? GanLosses.NonSaturatingGenLoss(logitsFake) : -logitsFake.mean();
            dWeight = Config.DiscFactor > 0 && lastLayer is not null && nll.requires_grad && gLoss.requires_grad
                ? AdaptiveWeight(nll, gLoss, lastLayer, Config.DiscWeight)
                : tensor(0.0f);
            loss = weightedNll.add(dWeight * discFactor * gLoss, Scalars.One);
        }
        else
        {
            // Without the discriminator the adversarial term is absent rather than multiplied by a zero factor.
            gLoss = tensor(float.NaN);
            dWeight = tensor(0.0f);
            loss = weightedNll;
        }

        var regLog = new Dictionary<string, double>();
        if (regularization is not null)
            foreach (var (name, value) in regularization)
                if (Config.RegularizationWeights.TryGetValue(name, out var w))
                {
                    loss = loss.add(w * value, Scalars.One);
                    regLog[name] = value.detach().mean().item<float>();
                }

        var result = new GeneratorLossResult(loss.MoveToOuterDisposeScope(), loss.item<float>(), nll.item<float>(),
            rec.mean().item<float>(), pLog, dWeight.item<float>(), discFactor, gLoss.item<float>(), logvar.item<float>(), regLog);
        return result;
    }

    /// <summary>
    /// The discriminator step (optimizer_idx 1): D on detached real and reconstructed frames, hinge or vanilla loss,
    /// plus the LeCam term, all × disc_factor. The LeCam EMAs update on every call, as in the reference.
    /// </summary>
    public DiscriminatorLossResult DiscriminatorLoss(Tensor inputs, Tensor reconstructions, long globalStep)
    {
        CheckClips(inputs, reconstructions);
        using var scope = NewDisposeScope();
        var x = Config.DiscType == DiscriminatorType.TwoD ? ToFrames(inputs) : inputs;
        var xr = Config.DiscType == DiscriminatorType.TwoD ? ToFrames(reconstructions) : reconstructions;
        var logitsReal = discriminator.forward(x.contiguous().detach());
        var logitsFake = discriminator.forward(xr.contiguous().detach());
        var discFactor = DiscFactorAt(globalStep);
        var dLoss = GanLosses.DLoss(Config.DiscLoss, logitsReal, logitsFake);
        Tensor loss;
        double? lecamLog = null;
        if (LeCam is not null)
        {
            LeCam.Update(logitsReal, logitsFake);
            var lecam = GanLosses.LeCamReg(logitsReal, logitsFake, LeCam);
            loss = discFactor * (lecam * Config.LecamLossWeight).add(dLoss, Scalars.One);
            lecamLog = lecam.item<float>();
        }
        else
        {
            loss = discFactor * dLoss;
        }
        return new DiscriminatorLossResult(loss.MoveToOuterDisposeScope(), loss.item<float>(), logitsReal.mean().item<float>(),
            logitsFake.mean().item<float>(), discFactor, dLoss.item<float>(), lecamLog);
    }

    /// <summary>
    /// ‖∇_W nll‖ / (‖∇_W g‖ + 1e-4), clamped to [0, 1e4], detached, × <paramref name="discWeight"/>; the graph is retained.
    /// </summary>
    public static Tensor AdaptiveWeight(Tensor nllLoss, Tensor gLoss, Tensor lastLayer, double discWeight)
    {
        using var scope = NewDisposeScope();
        var nllGrad = autograd.grad([nllLoss], [lastLayer], retain_graph: true)[0];
        var gGrad = autograd.grad([gLoss], [lastLayer], retain_graph: true)[0];
        // Norms in float32 whatever the layer's dtype (a bfloat16 working copy during mixed-precision training).
        var w = nllGrad.to_type(ScalarType.Float32).norm() / gGrad.to_type(ScalarType.Float32).norm().add(Scalars.Of(1e-4), Scalars.One);
        return (w.clamp(Scalars.Of(0.0), Scalars.Of(1e4)).detach() * discWeight).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// |mean₈ₓ₈(x) − mean₈ₓ₈(x̂)| per channel, each block's value given to all its pixels ([N, C, H, W], as the L1 map).
    /// Edge blocks of a size that is not a multiple of 8 are the smaller remainders.
    /// </summary>
    private static Tensor BlockColourError(Tensor x, Tensor xr) => SpreadBlocks(BlockMeans(x - xr).abs(), x);

    /// <summary>|I| + |Q| of the 8x8 mean error ([N, 1, H, W], broadcast over the channels of the L1 map).</summary>
    private static Tensor BlockChromaError(Tensor x, Tensor xr)
    {
        var chroma = Yiq.Chroma(BlockMeans(x - xr), 1).abs().sum(1, keepdim: true);
        return SpreadBlocks(chroma, x);
    }

    private const int ColourBlock = 8;

    private static Tensor BlockMeans(Tensor error) =>
        nn.functional.avg_pool2d(error, [ColourBlock, ColourBlock], [ColourBlock, ColourBlock], ceil_mode: true, count_include_pad: false);

    private static Tensor SpreadBlocks(Tensor blocks, Tensor like) =>
        blocks.repeat_interleave(ColourBlock, 2).repeat_interleave(ColourBlock, 3)[.., .., ..(int)like.shape[2], ..(int)like.shape[3]];

    private static Tensor ToFrames(Tensor clips)
    {
        var s = clips.shape;
        return clips.permute(0, 2, 1, 3, 4).reshape(s[0] * s[2], s[1], s[3], s[4]);
    }

    private static Tensor FromFrames(Tensor frames, long t)
    {
        var s = frames.shape;
        return frames.reshape(s[0] / t, t, s[1], s[2], s[3]).permute(0, 2, 1, 3, 4).contiguous();
    }

    private static void CheckClips(Tensor inputs, Tensor reconstructions)
    {
        if (inputs.dim() != 5 || !inputs.shape.SequenceEqual(reconstructions.shape))
            throw new InvalidInputException($"VidTok loss expects two clips [B, C, T, H, W] of equal shape, got [{string.Join(", ", inputs.shape)}] and [{string.Join(", ", reconstructions.shape)}]");
    }
}
