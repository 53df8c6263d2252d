using Tessera.Nn;
using Tessera.Quantizers;
using static TorchSharp.torch;

namespace Tessera.Training;

/// <summary>Settings of VidTok's FSQ auxiliary loss; the defaults are the values every release config uses.</summary>
/// <param name="EntropyLossWeight">Entropy weight after annealing (0.1).</param>
/// <param name="AnnealingSteps">Iterations over which the entropy weight falls to its final value (2000).</param>
/// <param name="AnnealingFactor">The entropy weight at iteration 0 is this times <paramref name="EntropyLossWeight"/> (3).</param>
/// <param name="CommitmentLossWeight">Weight of mean((z − codes)²) (0.25).</param>
/// <param name="DiversityGamma">Weight of the codebook entropy inside the entropy term (1).</param>
/// <param name="InvTemperature">Softmax inverse temperature over code affinities (100).</param>
/// <param name="TokenChunk">Tokens per softmax chunk; 0 picks a chunk of about 2^24 probabilities.</param>
public sealed record FsqAuxLossOptions(
    double EntropyLossWeight = 0.1,
    int AnnealingSteps = 2000,
    double AnnealingFactor = 3.0,
    double CommitmentLossWeight = 0.25,
    double DiversityGamma = 1.0,
    double InvTemperature = 100.0,
    int TokenChunk = 0);

/// <summary>The FSQ auxiliary loss and its parts (0-dim float32 tensors; <see cref="AuxLoss"/> keeps the graph).</summary>
internal sealed record FsqAuxLossResult(
    Tensor AuxLoss, Tensor PerSampleEntropy, Tensor CodebookEntropy, Tensor Commitment, double EntropyWeight) : IDisposable
{
    /// <summary>Disposes the four tensors.</summary>
    public void Dispose()
    {
        AuxLoss.Dispose();
        PerSampleEntropy.Dispose();
        CodebookEntropy.Dispose();
        Commitment.Dispose();
    }
}

/// <summary>
/// VidTok's FSQ auxiliary loss: entropy_aux·w(n) + commitment·0.25, where entropy_aux = mean per-token entropy
/// − γ·entropy of the batch-mean code distribution, over a softmax of 2·inv_t·⟨z, c_k⟩ across all implicit codes
/// (the unbounded latent z, before tanh), and commitment = mean((z − codes)²) with codes detached.
/// </summary>
internal sealed class FsqAuxLoss
{
    private const long AutoChunkProbabilities = 1L << 24;
    private readonly Fsq fsq;

    /// <summary>Creates the loss for a quantiser's level layout.</summary>
    public FsqAuxLoss(Fsq fsq, FsqAuxLossOptions? options = null)
    {
        this.fsq = fsq;
        Options = options ?? new FsqAuxLossOptions();
        if (Options.TokenChunk < 0) throw new ArgumentOutOfRangeException(nameof(options), "TokenChunk must be >= 0");
    }

    /// <summary>The loss settings.</summary>
    public FsqAuxLossOptions Options { get; }

    /// <summary>
    /// Entropy weight at iteration <paramref name="step"/> (the trainer's optimiser step count divided by 2, as the
    /// reference passes global_step // 2): linear from factor·w at 0 to w at AnnealingSteps, then w.
    /// </summary>
    public double EntropyWeight(long step)
    {
        var w = Options.EntropyLossWeight;
        if (step >= Options.AnnealingSteps) return w;
        var start = Options.AnnealingFactor * w;
        return start - ((double)step / Options.AnnealingSteps) * (start - w);
    }

    /// <summary>All K implicit codes [K, d] float32 in index order (channel 0 is the least significant digit).</summary>
    public Tensor ImplicitCodebook(Device? device = null)
    {
        var levels = fsq.Levels;
        var k = fsq.CodebookSize;
        var values = new float[k * levels.Count];
        for (long i = 0; i < k; i++)
        {
            var rest = i;
            for (var c = 0; c < levels.Count; c++)
            {
                var half = levels[c] / 2;
                values[i * levels.Count + c] = (float)(rest % levels[c] - half) / half;
                rest /= levels[c];
            }
        }
        return tensor(values, [k, levels.Count], device: device);
    }

    /// <summary>
    /// Computes the loss for the unbounded latent <paramref name="z"/> [B, d, T, H, W] and the codes
    /// [B, d, T, H, W] that <see cref="Fsq.Quantize"/> returned for it, at iteration <paramref name="step"/>.
    /// Values equal a single B·N·K softmax; the forward pass holds only TokenChunk·K probabilities at a time, but
    /// with gradients enabled autograd still keeps every chunk's probabilities until backward.
    /// </summary>
    public FsqAuxLossResult Compute(Tensor z, Tensor codes, long step)
    {
        if (z.dim() < 2 || z.shape[1] != fsq.Dim || !z.shape.SequenceEqual(codes.shape))
            throw new InvalidInputException($"FSQ aux loss expects z and codes of equal shape with {fsq.Dim} channels in dim 1, got [{string.Join(", ", z.shape)}] and [{string.Join(", ", codes.shape)}]");
        using var scope = NewDisposeScope();
        var w = EntropyWeight(step);
        if (Options.EntropyLossWeight <= 0 && Options.CommitmentLossWeight <= 0)
        {
            // The reference skips the whole computation then and reports zeros.
            return new FsqAuxLossResult(zeros([]).MoveToOuterDisposeScope(), zeros([]).MoveToOuterDisposeScope(),
                zeros([]).MoveToOuterDisposeScope(), zeros([]).MoveToOuterDisposeScope(), w);
        }
        var d = fsq.Dim;
        var zt = Layout.ChannelsLast(z.to_type(ScalarType.Float32)).reshape(-1, d);
        var ct = Layout.ChannelsLast(codes.to_type(ScalarType.Float32)).reshape(-1, d).detach();
        var tokens = zt.shape[0];
        var codebookT = ImplicitCodebook(z.device).t();
        var k = fsq.CodebookSize;
        var chunk = Options.TokenChunk > 0 ? Options.TokenChunk : Math.Max(1L, AutoChunkProbabilities / k);

        Tensor? entropySum = null;
        Tensor? probSum = null;
        for (long start = 0; start < tokens; start += chunk)
        {
            using var chunkScope = NewDisposeScope();
            var len = Math.Min(chunk, tokens - start);
            var logits = zt.narrow(0, start, len).mm(codebookT) * 2.0 * Options.InvTemperature;
            var p = logits.softmax(-1);
            var h = Entropy(p).sum();
            var ps = p.sum([0L]);
            entropySum = (entropySum is null ? h : entropySum.add(h, Scalars.One)).MoveToOuterDisposeScope();
            probSum = (probSum is null ? ps : probSum.add(ps, Scalars.One)).MoveToOuterDisposeScope();
        }
        var perSample = entropySum! / tokens;
        var codebookEntropy = Entropy(probSum! / tokens);
        var entropyAux = perSample - Options.DiversityGamma * codebookEntropy;
        var commitment = (zt - ct).pow(Scalars.Of(2)).mean();
        var aux = (entropyAux * w).add(commitment * Options.CommitmentLossWeight, Scalars.One);
        return new FsqAuxLossResult(aux.MoveToOuterDisposeScope(), perSample.detach().MoveToOuterDisposeScope(),
            codebookEntropy.detach().MoveToOuterDisposeScope(), commitment.detach().MoveToOuterDisposeScope(), w);
    }

    /// <summary>−Σ p·log(max(p, 1e-5)) over the last axis.</summary>
    private static Tensor Entropy(Tensor p) => (-p * p.clamp_min(Scalars.Of(1e-5)).log()).sum([-1L]);
}
