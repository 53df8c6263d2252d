namespace Tessera.Models.SweetTok;

/// <summary>
/// Every size of a SweetTok model (DQAE encoder and decoder, MLC quantisers, proxy pixel decoder). The official
/// code hard-codes most of these inside function bodies; here they are named like the official config keys and
/// the <c>tessera:</c> YAML section (<c>dim</c>, <c>enc_block</c>, <c>pix_dim</c>, ...).
/// </summary>
internal sealed record SweetTokConfig : ModelConfig
{
    public override string FamilyName => SweetTokFamilyProvider.FamilyName;

    public override ModelCard Card => SweetTokCard.Of(this);

    // Geometry: the clip the model takes and its patch grid.
    public int ImageSize { get; init; } = 256;
    public int Frames { get; init; } = 17;
    public int PatchSize { get; init; } = 8;
    public int TemporalPatchSize { get; init; } = 4;
    public int Channels { get; init; } = 3;

    // Transformer width, shared by the encoder and decoder.
    public int Dim { get; init; } = 512;
    public int Heads { get; init; } = 8;
    public int DimHead { get; init; } = 64;
    public double FfMult { get; init; } = 4.0;
    public int WindowSize { get; init; } = 8;

    /// <summary>Block string of the encoder's spatial stacks; its length is the spatial depth.</summary>
    public string EncBlock { get; init; } = "ttwwtttt";
    /// <summary>Block string of the decoder's spatial stacks.</summary>
    public string DecBlock { get; init; } = "tttttttt";
    public int TemporalDepth { get; init; } = 4;

    /// <summary>Main decoder layers after which a temporal <c>'c'</c> block runs (a literal in the official decoder).</summary>
    public IReadOnlyList<int> DecTemporalLayers { get; init; } = [1, 3, 5, 7];
    /// <summary>Null key/values of the cross-attentions that do not override the Transformer default.</summary>
    public int AttnNumNullKv { get; init; } = 2;

    public int NumSpatialLatentTokens { get; init; } = 256;
    public int NumTemporalLatentTokens { get; init; } = 1024;

    /// <summary>MLC code width: each query splits into two halves of this width.</summary>
    public int EDim { get; init; } = 256;
    public int TopK { get; init; } = 2;
    public double Beta { get; init; } = 0.25;
    /// <summary>Centre the refined codebooks and give their rows the norm of half a unit query (Tessera's collapse remedy; false: the reference).</summary>
    public bool CentredCodebooks { get; init; }
    /// <summary>Width of the word vectors of the adjective/noun prior (the GCN input, D_llm).</summary>
    public int SpatialPriorDim { get; init; } = 4096;
    /// <summary>Width of the word vectors of the adverb/verb prior.</summary>
    public int TemporalPriorDim { get; init; } = 4096;

    /// <summary>Proxy (OmniTokenizer) codebook: the decoder's logits are over these codes.</summary>
    public int ProxyCodebookSize { get; init; } = 8192;
    public int ProxyCodeDim { get; init; } = 8;

    /// <summary>The proxy's encoder (stage-1 targets only): spatial block string and temporal depth, at the pix_* width.</summary>
    public string ProxyEncBlock { get; init; } = "ttww";
    public int ProxyTemporalDepth { get; init; } = 4;

    // Vocabulary: rows of the four language codebooks, fixed by the priors at conversion (0 until then).
    public int AdjectiveWords { get; init; }
    public int NounWords { get; init; }
    public int AdverbWords { get; init; }
    public int VerbWords { get; init; }

    /// <summary>Stage-2 layout: the model owns the proxy pixel decoder (<c>pixel_*</c> keys).</summary>
    public bool FinetuneDecoder { get; init; } = true;
    public string PixBlock { get; init; } = "tttt";
    public int PixTemporalDepth { get; init; } = 4;
    public int PixDim { get; init; } = 512;
    public int PixHeads { get; init; } = 8;
    public int PixDimHead { get; init; } = 64;

    public int SpatialDepth => EncBlock.Length;
    public int GridSize => ImageSize / PatchSize;
    /// <summary>Latent frames: the first frame alone, then one per temporal tube.</summary>
    public int LatentFrames => 1 + (Frames - 1) / TemporalPatchSize;

    public bool Equals(SweetTokConfig? o) =>
        o is not null && Name == o.Name && ImageSize == o.ImageSize && Frames == o.Frames && PatchSize == o.PatchSize &&
        TemporalPatchSize == o.TemporalPatchSize && Channels == o.Channels && Dim == o.Dim && Heads == o.Heads &&
        DimHead == o.DimHead && FfMult == o.FfMult && WindowSize == o.WindowSize && EncBlock == o.EncBlock &&
        DecBlock == o.DecBlock && TemporalDepth == o.TemporalDepth && DecTemporalLayers.SequenceEqual(o.DecTemporalLayers) &&
        AttnNumNullKv == o.AttnNumNullKv && NumSpatialLatentTokens == o.NumSpatialLatentTokens &&
        NumTemporalLatentTokens == o.NumTemporalLatentTokens && EDim == o.EDim && TopK == o.TopK && Beta == o.Beta && CentredCodebooks == o.CentredCodebooks &&
        SpatialPriorDim == o.SpatialPriorDim && TemporalPriorDim == o.TemporalPriorDim &&
        ProxyCodebookSize == o.ProxyCodebookSize && ProxyCodeDim == o.ProxyCodeDim && FinetuneDecoder == o.FinetuneDecoder &&
        PixBlock == o.PixBlock && PixTemporalDepth == o.PixTemporalDepth && PixDim == o.PixDim && PixHeads == o.PixHeads &&
        PixDimHead == o.PixDimHead && ProxyEncBlock == o.ProxyEncBlock && ProxyTemporalDepth == o.ProxyTemporalDepth &&
        AdjectiveWords == o.AdjectiveWords && NounWords == o.NounWords && AdverbWords == o.AdverbWords && VerbWords == o.VerbWords;

    public override int GetHashCode() => HashCode.Combine(Name, ImageSize, Frames, Dim, EncBlock, DecBlock, NumSpatialLatentTokens, NumTemporalLatentTokens);

    /// <summary>Throws <see cref="ConfigException"/> naming the key when the sizes cannot build a working model.</summary>
    public void Validate()
    {
        void Fail(string message) => throw new ConfigException($"SweetTok config '{Name}': {message}");
        foreach (var (key, value) in new[]
        {
            ("image_size", ImageSize), ("frames", Frames), ("patch_size", PatchSize), ("temporal_patch_size", TemporalPatchSize),
            ("dim", Dim), ("heads", Heads), ("dim_head", DimHead), ("window_size", WindowSize), ("temporal_depth", TemporalDepth),
            ("num_spatial_latent_tokens", NumSpatialLatentTokens), ("num_temporal_latent_tokens", NumTemporalLatentTokens),
            ("e_dim", EDim), ("spatial_prior_dim", SpatialPriorDim), ("temporal_prior_dim", TemporalPriorDim),
            ("codebook_size", ProxyCodebookSize), ("proxy_code_dim", ProxyCodeDim), ("pix_dim", PixDim), ("pix_heads", PixHeads),
            ("pix_dim_head", PixDimHead), ("pix_temporal_depth", PixTemporalDepth), ("top_k", TopK),
            ("proxy_temporal_depth", ProxyTemporalDepth),
        })
            if (value <= 0) Fail($"{key} must be positive, got {value}");
        foreach (var (key, value) in new[] { ("adjective_words", AdjectiveWords), ("noun_words", NounWords), ("adverb_words", AdverbWords), ("verb_words", VerbWords) })
            if (value < 0) Fail($"{key} must not be negative, got {value}");
        if (AdjectiveWords is > 0 and var a && a < TopK) Fail($"adjective_words ({a}) must be at least top_k ({TopK})");
        if (AdverbWords is > 0 and var v && v < TopK) Fail($"adverb_words ({v}) must be at least top_k ({TopK})");
        if (Channels != 3) Fail($"channels must be 3 (RGB), got {Channels}");
        if (ImageSize % PatchSize != 0) Fail($"image_size {ImageSize} is not a multiple of patch_size {PatchSize}");
        if ((Frames - 1) % TemporalPatchSize != 0) Fail($"frames - 1 ({Frames - 1}) is not a multiple of temporal_patch_size {TemporalPatchSize}");
        if (LatentFrames < 2) Fail($"the temporal branch needs at least 2 latent frames; {Frames} frames give {LatentFrames}");
        if ((DimHead & 3) != 0) Fail($"dim_head {DimHead} must be a multiple of 4 for the 2-D rotary embedding");
        if (Dim % Heads != 0) Fail($"dim {Dim} must be divisible by heads {Heads} (window attention splits dim into heads)");
        if (PixDim % PixHeads != 0) Fail($"pix_dim {PixDim} must be divisible by pix_heads {PixHeads}");
        if ((PixDimHead & 3) != 0) Fail($"pix_dim_head {PixDimHead} must be a multiple of 4 for the 2-D rotary embedding");
        if (Dim != 2 * EDim) Fail($"dim ({Dim}) must be 2 x e_dim ({EDim}): each query splits into two codes");
        if (NumTemporalLatentTokens != GridSize * GridSize)
            Fail($"num_temporal_latent_tokens ({NumTemporalLatentTokens}) must equal the patch grid ({GridSize}x{GridSize}): one temporal query per position");
        CheckBlock("enc_block", EncBlock, "tw");
        CheckBlock("dec_block", DecBlock, "tw");
        CheckBlock("pix_block", PixBlock, "tw");
        CheckBlock("proxy_enc_block", ProxyEncBlock, "tw");
        if (DecBlock.Length != SpatialDepth) Fail($"dec_block ('{DecBlock}') and enc_block ('{EncBlock}') must have the same depth");
        CheckSquareGrid("num_spatial_latent_tokens", NumSpatialLatentTokens, EncBlock + DecBlock);
        CheckSquareGrid("the patch grid", GridSize * GridSize, EncBlock + DecBlock + PixBlock + ProxyEncBlock);
        foreach (var l in DecTemporalLayers)
            if (l < 0) Fail($"dec_temporal_layers has a negative layer {l}");
        if (DecTemporalLayers.Count(l => l < DecBlock.Length) > TemporalDepth)
            Fail($"dec_temporal_layers names {DecTemporalLayers.Count(l => l < DecBlock.Length)} decoder layers but there are only {TemporalDepth} temporal blocks");
    }

    private void CheckBlock(string key, string block, string allowed)
    {
        if (block.Length == 0) throw new ConfigException($"SweetTok config '{Name}': {key} is empty");
        foreach (var c in block)
            if (!allowed.Contains(c))
                throw new ConfigException($"SweetTok config '{Name}': {key} '{block}' has block '{c}'; only {string.Join(", ", allowed.Select(a => $"'{a}'"))} are supported");
    }

    private void CheckSquareGrid(string what, int tokens, string blocks)
    {
        if (!blocks.Contains('w')) return;
        var side = (int)Math.Round(Math.Sqrt(tokens));
        if (side * side != tokens)
            throw new ConfigException($"SweetTok config '{Name}': {what} ({tokens}) must be a square number for window attention");
        if (side % WindowSize != 0)
            throw new ConfigException($"SweetTok config '{Name}': window_size {WindowSize} does not divide the {side}x{side} grid of {what}");
    }
}
