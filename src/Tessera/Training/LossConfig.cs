namespace Tessera.Training;

/// <summary>Which discriminator VidTok's loss trains.</summary>
public enum DiscriminatorType
{
    /// <summary>2-D PatchGAN applied to every frame (all release configs).</summary>
    TwoD,
    /// <summary>3-D PatchGAN on whole clips.</summary>
    ThreeD,
}

/// <summary>Discriminator objective.</summary>
public enum DiscriminatorLossKind
{
    /// <summary>0.5·(mean relu(1 − D(x)) + mean relu(1 + D(x̂))).</summary>
    Hinge,
    /// <summary>0.5·(mean softplus(−D(x)) + mean softplus(D(x̂))).</summary>
    Vanilla,
}

/// <summary>
/// Settings of VidTok's GeneralLPIPSWithDiscriminator; the defaults are the values of every release config.
/// </summary>
public sealed record LossConfig
{
    /// <summary>Optimiser step (two per iteration) from which the adversarial terms count (20001).</summary>
    public long DiscStart { get; init; } = 20001;
    /// <summary>Multiplier of the adaptive generator weight (0.2).</summary>
    public double DiscWeight { get; init; } = 0.2;
    /// <summary>Adversarial factor once <see cref="DiscStart"/> is reached (1).</summary>
    public double DiscFactor { get; init; } = 1.0;
    /// <summary>Discriminator kind (2-D).</summary>
    public DiscriminatorType DiscType { get; init; } = DiscriminatorType.TwoD;
    /// <summary>Discriminator depth (3).</summary>
    public int DiscNumLayers { get; init; } = 3;
    /// <summary>Discriminator input channels (3).</summary>
    public int DiscInChannels { get; init; } = 3;
    /// <summary>Discriminator base width (64).</summary>
    public int DiscNdf { get; init; } = 64;
    /// <summary>Discriminator objective (hinge).</summary>
    public DiscriminatorLossKind DiscLoss { get; init; } = DiscriminatorLossKind.Hinge;
    /// <summary>Initial value of the learned log-variance (0).</summary>
    public double LogvarInit { get; init; }
    /// <summary>Whether the log-variance is among the autoencoder's trainable parameters (true).</summary>
    public bool LearnLogvar { get; init; } = true;
    /// <summary>Non-saturating generator loss instead of −mean(D(x̂)) (true).</summary>
    public bool GenLossCrossEntropy { get; init; } = true;
    /// <summary>LeCam regulariser weight; 0 turns it and its EMAs off (0.005).</summary>
    public double LecamLossWeight { get; init; } = 0.005;
    /// <summary>Weight of the per-frame perceptual distance in the reconstruction term (1).</summary>
    public double PerceptualWeight { get; init; } = 1.0;
    /// <summary>
    /// Weight of a low-frequency colour term added to the per-pixel L1 (0, absent from VidTok): the L1 between 8x8
    /// spatial means of each frame and of its reconstruction, spread back over the block's pixels. A tight bottleneck
    /// trained with L1 alone on mostly grey footage can drop colour and fill in a near-neutral one; this makes a
    /// regional colour shift cost more than texture.
    /// </summary>
    public double ColourWeight { get; init; }
    /// <summary>
    /// Weight of a chroma term added to the per-pixel L1 (0, absent from VidTok): |ΔI| + |ΔQ| of the 8x8 spatial means
    /// (the YIQ chroma of the mean error), added to each channel of the block's pixels. An FSQ or KL bottleneck
    /// trained on footage with random hue turns can keep two clips of the same luma on one code for many steps and
    /// return grey; this makes a chroma error cost more than a luma error of the same size.
    /// </summary>
    public double ChromaWeight { get; init; }
    /// <summary>Weights of regulariser outputs by name: aux_loss (FSQ) 1.0, kl_loss (KL) 1e-6.</summary>
    public IReadOnlyDictionary<string, double> RegularizationWeights { get; init; } =
        new Dictionary<string, double> { ["aux_loss"] = 1.0, ["kl_loss"] = 1e-6 };
}
