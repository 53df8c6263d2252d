using Tessera.Configs;

namespace Tessera.Models.SweetTok;

/// <summary>
/// Reads an official SweetTok training YAML (<c>configs/training/stage*/SweetTok_Compact_*.yaml</c>) into a
/// <see cref="SweetTokConfig"/>. From <c>model.vq_model</c>: the query counts, the proxy <c>codebook_size</c> and
/// <c>token_size</c>, <c>commitment_cost</c>, <c>finetune_decoder</c>, <c>enc_tube_size</c> (frames) and
/// <c>dec_tube_size</c> (checked). The official code hard-codes the other sizes; an optional top-level
/// <c>tessera:</c> section gives them (<c>dim</c>, <c>heads</c>, <c>dim_head</c>, <c>enc_block</c>, <c>dec_block</c>,
/// <c>window_size</c>, <c>spatial_depth</c>, <c>temporal_depth</c>, <c>e_dim</c>, <c>proxy_code_dim</c>, <c>pix_*</c>,
/// <c>grid_size</c>, <c>image_size</c>, ...); absent keys keep the official values. Other sections are ignored.
/// </summary>
internal static class SweetTokYaml
{
    public const string ModelTypePath = "model.vq_model.model_type";
    public const string SectionName = "tessera";

    private delegate SweetTokConfig Apply(SweetTokConfig c, ConfigNode n);

    // tessera: keys and how each lands on the config; *_depth and grid_size restate a block string or the geometry and are checked.
    private static readonly (string Key, Apply Apply)[] Keys =
    [
        ("image_size", (c, n) => c with { ImageSize = n.AsInt() }),
        ("frames", (c, n) => c with { Frames = n.AsInt() }),
        ("patch_size", (c, n) => c with { PatchSize = n.AsInt() }),
        ("temporal_patch_size", (c, n) => c with { TemporalPatchSize = n.AsInt() }),
        ("dim", (c, n) => c with { Dim = n.AsInt() }),
        ("heads", (c, n) => c with { Heads = n.AsInt() }),
        ("dim_head", (c, n) => c with { DimHead = n.AsInt() }),
        ("ff_mult", (c, n) => c with { FfMult = n.AsDouble() }),
        ("window_size", (c, n) => c with { WindowSize = n.AsInt() }),
        ("enc_block", (c, n) => c with { EncBlock = n.AsString() }),
        ("dec_block", (c, n) => c with { DecBlock = n.AsString() }),
        ("spatial_depth", (c, _) => c),
        ("temporal_depth", (c, n) => c with { TemporalDepth = n.AsInt() }),
        ("dec_temporal_layers", (c, n) => c with { DecTemporalLayers = n.AsIntList() }),
        ("e_dim", (c, n) => c with { EDim = n.AsInt() }),
        ("top_k", (c, n) => c with { TopK = n.AsInt() }),
        ("centred_codebooks", (c, n) => c with { CentredCodebooks = n.AsBool() }),
        ("spatial_prior_dim", (c, n) => c with { SpatialPriorDim = n.AsInt() }),
        ("temporal_prior_dim", (c, n) => c with { TemporalPriorDim = n.AsInt() }),
        ("proxy_code_dim", (c, n) => c with { ProxyCodeDim = n.AsInt() }),
        ("proxy_enc_block", (c, n) => c with { ProxyEncBlock = n.AsString() }),
        ("proxy_temporal_depth", (c, n) => c with { ProxyTemporalDepth = n.AsInt() }),
        ("pix_block", (c, n) => c with { PixBlock = n.AsString() }),
        ("pix_spatial_depth", (c, _) => c),
        ("pix_temporal_depth", (c, n) => c with { PixTemporalDepth = n.AsInt() }),
        ("pix_dim", (c, n) => c with { PixDim = n.AsInt() }),
        ("pix_heads", (c, n) => c with { PixHeads = n.AsInt() }),
        ("pix_dim_head", (c, n) => c with { PixDimHead = n.AsInt() }),
        ("grid_size", (c, _) => c),
    ];

    public static SweetTokConfig Load(string path) => Read(ConfigDocument.Load(path), NameOf(path));

    /// <summary>Parses YAML text; <paramref name="sourceName"/> names the file in errors and, without extension, the config.</summary>
    public static SweetTokConfig Parse(string yamlText, string sourceName) => Read(ConfigDocument.Parse(yamlText, sourceName), NameOf(sourceName));

    /// <summary>Whether the document is a SweetTok config: <c>model.vq_model.model_type</c> names a SweetTok model.</summary>
    public static bool Claims(ConfigDocument doc) =>
        doc.Root.Find("model") is ConfigMapping model && model.Find("vq_model") is ConfigMapping vq &&
        vq.Find("model_type") is ConfigScalar { Kind: ScalarKind.String } t && t.Text.StartsWith("SweetTok", StringComparison.Ordinal);

    private static string NameOf(string source) => Path.GetFileNameWithoutExtension(source) is { Length: > 0 } n ? n : "custom";

    private static SweetTokConfig Read(ConfigDocument doc, string name)
    {
        var vq = doc.Resolve("model.vq_model").AsMapping();
        var type = vq.Get("model_type");
        if (type.AsString() != "SweetTok_Compact")
            throw type.Error($"model_type '{type.AsString()}' is not supported; Tessera builds SweetTok_Compact");
        var config = new SweetTokConfig
        {
            Name = name,
            NumSpatialLatentTokens = vq.GetInt("num_spatial_latent_tokens"),
            NumTemporalLatentTokens = vq.GetInt("num_temporal_latent_tokens"),
            ProxyCodebookSize = vq.GetInt("codebook_size"),
            ProxyCodeDim = vq.GetInt("token_size", new SweetTokConfig().ProxyCodeDim),
            Beta = vq.GetDouble("commitment_cost", new SweetTokConfig().Beta),
            FinetuneDecoder = vq.GetBool("finetune_decoder", false),
            Frames = vq.GetInt("enc_tube_size", new SweetTokConfig().Frames),
        };

        var section = doc.TryResolve(SectionName);
        if (section is not null && !section.IsNull)
        {
            var map = section.AsMapping();
            foreach (var (key, node) in map.Entries)
            {
                if (SweetTokTrainYaml.TrainingKeys.Contains(key)) continue;
                var apply = Keys.FirstOrDefault(k => k.Key == key).Apply
                    ?? throw node.Error($"unknown key '{key}' in the '{SectionName}:' section (known: {string.Join(", ", Keys.Select(k => k.Key).Concat(SweetTokTrainYaml.TrainingKeys))})");
                config = apply(config, node);
            }
            Check(map, "spatial_depth", config.EncBlock.Length, $"the length of enc_block '{config.EncBlock}'");
            Check(map, "pix_spatial_depth", config.PixBlock.Length, $"the length of pix_block '{config.PixBlock}'");
            Check(map, "grid_size", config.ImageSize / Math.Max(1, config.PatchSize), $"image_size / patch_size ({config.ImageSize} / {config.PatchSize})");
        }
        if (vq.FindNonNull("dec_tube_size") is { } tube && tube.AsInt() != config.LatentFrames)
            throw tube.Error($"dec_tube_size {tube.AsInt()} does not match {config.Frames} frames in tubes of {config.TemporalPatchSize} ({config.LatentFrames} latent frames)");
        try
        {
            config.Validate();
        }
        catch (ConfigException e)
        {
            throw new ConfigException($"{doc.Source}: {e.Message}", e);
        }
        return config;
    }

    private static void Check(ConfigMapping map, string key, int actual, string what)
    {
        if (map.FindNonNull(key) is { } n && n.AsInt() != actual)
            throw n.Error($"{key} {n.AsInt()} disagrees with {what} = {actual}");
    }
}
