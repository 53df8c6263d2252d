using Tessera.Training;

namespace Tessera.Models.SweetTok;

/// <summary>
/// SweetTok's curriculum settings (spec §8): the stage, the proxy whose codes stage 1 predicts, the word priors
/// the MLC quantisers refine, the loss weights and the official optimiser (AdamW groups, warm-up + cosine).
/// Defaults are the official stage-1 UCF values.
/// </summary>
public sealed record SweetTokTrainingOptions : FamilyTrainingOptions
{
    /// <summary>1: proxy-code cross-entropy (the only stage implemented so far).</summary>
    public int Stage { get; init; } = 1;

    /// <summary>The proxy: a Tessera VidTok-FSQ model file; null takes the bundled model beside the tool (models/).</summary>
    public string? Proxy { get; init; }

    /// <summary>Adjective/noun prior (official pickle or <c>tessera codebook build</c> file).</summary>
    public string? SpatialPrior { get; init; }

    /// <summary>Adverb/verb prior.</summary>
    public string? TemporalPrior { get; init; }

    /// <summary>Weight of the MLC quantiser losses (<c>losses.quantizer_weight</c>, 1.0 in stage 1).</summary>
    public double QuantizerWeight { get; init; } = 1.0;

    /// <summary>Proxy codes per cross-entropy chunk.</summary>
    public int CrossEntropyChunk { get; init; } = 1024;

    public long WarmupSteps { get; init; }
    public double EndLearningRate { get; init; } = 1e-5;
    public double Beta1 { get; init; } = 0.9;
    public double Beta2 { get; init; } = 0.99;
    public double WeightDecay { get; init; } = 1e-4;
    public double Epsilon { get; init; } = 1e-8;

    public static readonly string BundledProxyFile = "tessera_small_fsq_causal_488_4096.safetensors";

    /// <summary>The proxy file this run uses.</summary>
    public string ProxyPath => Proxy ?? Path.Combine(AppContext.BaseDirectory, "models", BundledProxyFile);
}
