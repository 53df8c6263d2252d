using Tessera.Training;

namespace Tessera.Models.SweetTok;

/// <summary>
/// SweetTok's curriculum settings (spec §8): the stage, the proxy whose codes stage 1 predicts, the word priors
/// the MLC quantisers refine, the loss weights and the official optimiser (AdamW groups, warm-up + cosine).
/// Defaults are the official stage-1 UCF values.
/// </summary>
internal sealed record SweetTokTrainingOptions : FamilyTrainingOptions
{
    /// <summary>0: spatial pre-training on single frames; 1: proxy-code cross-entropy; 2: pixels through the proxy's decoder from soft codes.</summary>
    public int Stage { get; init; } = 1;

    /// <summary>The proxy: a Tessera VidTok-FSQ model file; null takes the bundled model beside the tool (models/).</summary>
    public string? Proxy { get; init; }

    /// <summary>Adjective/noun prior (official pickle or <c>tessera codebook build</c> file).</summary>
    public string? SpatialPrior { get; init; }

    /// <summary>Adverb/verb prior.</summary>
    public string? TemporalPrior { get; init; }

    /// <summary>
    /// The language-codebook ablation (<c>tessera.codebook: learned</c>): the MLC quantisers pick from plain learned
    /// codebooks of the same sizes instead of the GCN-refined word embeddings (stages 0 and 1; such a run has no words,
    /// so it is evaluated by its run and not converted).
    /// </summary>
    public bool LearnedCodebook { get; init; }

    /// <summary>Weight of the MLC quantiser losses (<c>losses.quantizer_weight</c>, 1.0 in stage 1).</summary>
    public double QuantizerWeight { get; init; } = 1.0;

    /// <summary>Proxy codes per cross-entropy chunk.</summary>
    public int CrossEntropyChunk { get; init; } = 1024;

    // Stage 2 (losses.* of the official stage-2 YAML).
    public double ReconstructionWeight { get; init; } = 1.0;
    /// <summary>Weight of the perceptual distance of one random frame per clip (LPIPS here; ConvNeXt-S logits in the reference).</summary>
    public double PerceptualWeight { get; init; } = 0.1;
    /// <summary>Iteration from which the 3-D discriminator trains and the adversarial term counts.</summary>
    public long DiscriminatorStart { get; init; } = 20000;
    public double DiscriminatorWeight { get; init; } = 0.01;
    public double LeCamWeight { get; init; } = 0.001;
    public double DiscriminatorLearningRate { get; init; } = 1e-4;
    /// <summary>Base width of the 3-D discriminator (64 in the reference).</summary>
    public int DiscriminatorChannels { get; init; } = 64;

    public long WarmupSteps { get; init; }
    public double EndLearningRate { get; init; } = 1e-5;
    public double Beta1 { get; init; } = 0.9;
    public double Beta2 { get; init; } = 0.99;
    public double WeightDecay { get; init; } = 1e-4;
    public double Epsilon { get; init; } = 1e-8;

    /// <summary>The proxy file this run uses: the given one, else the bundled default model (<see cref="BundledModelFolder"/>).</summary>
    public string ProxyPath => Proxy ?? BundledModelFolder.DefaultPath;
}
