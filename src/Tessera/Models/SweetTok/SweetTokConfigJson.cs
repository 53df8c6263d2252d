using System.Text.Json;
using System.Text.Json.Nodes;

namespace Tessera.Models.SweetTok;

/// <summary>
/// Compact JSON form of a <see cref="SweetTokConfig"/> for model- and token-file metadata: one key per size, named
/// like the <c>tessera:</c> YAML section (<c>dim</c>, <c>enc_block</c>, <c>pix_dim</c>, ...). Every key is written;
/// reading refuses unknown and missing keys.
/// </summary>
internal static class SweetTokConfigJson
{
    private sealed record Field(string Key, Func<SweetTokConfig, JsonNode?> Get, Func<SweetTokConfig, JsonNode, SweetTokConfig> Set);

    private static Field Int(string key, Func<SweetTokConfig, int> get, Func<SweetTokConfig, int, SweetTokConfig> set) =>
        new(key, c => JsonValue.Create(get(c)), (c, n) => set(c, n.GetValue<int>()));

    private static Field Text(string key, Func<SweetTokConfig, string> get, Func<SweetTokConfig, string, SweetTokConfig> set) =>
        new(key, c => JsonValue.Create(get(c)), (c, n) => set(c, n.GetValue<string>()));

    private static readonly Field[] Fields =
    [
        Text("name", c => c.Name, (c, v) => c with { Name = v }),
        Int("image_size", c => c.ImageSize, (c, v) => c with { ImageSize = v }),
        Int("frames", c => c.Frames, (c, v) => c with { Frames = v }),
        Int("patch_size", c => c.PatchSize, (c, v) => c with { PatchSize = v }),
        Int("temporal_patch_size", c => c.TemporalPatchSize, (c, v) => c with { TemporalPatchSize = v }),
        Int("channels", c => c.Channels, (c, v) => c with { Channels = v }),
        Int("dim", c => c.Dim, (c, v) => c with { Dim = v }),
        Int("heads", c => c.Heads, (c, v) => c with { Heads = v }),
        Int("dim_head", c => c.DimHead, (c, v) => c with { DimHead = v }),
        new("ff_mult", c => JsonValue.Create(c.FfMult), (c, n) => c with { FfMult = n.GetValue<double>() }),
        Int("window_size", c => c.WindowSize, (c, v) => c with { WindowSize = v }),
        Text("enc_block", c => c.EncBlock, (c, v) => c with { EncBlock = v }),
        Text("dec_block", c => c.DecBlock, (c, v) => c with { DecBlock = v }),
        Int("temporal_depth", c => c.TemporalDepth, (c, v) => c with { TemporalDepth = v }),
        new("dec_temporal_layers", c => new JsonArray(c.DecTemporalLayers.Select(l => (JsonNode?)JsonValue.Create(l)).ToArray()),
            (c, n) => c with { DecTemporalLayers = n.AsArray().Select(i => i!.GetValue<int>()).ToArray() }),
        Int("attn_num_null_kv", c => c.AttnNumNullKv, (c, v) => c with { AttnNumNullKv = v }),
        Int("num_spatial_latent_tokens", c => c.NumSpatialLatentTokens, (c, v) => c with { NumSpatialLatentTokens = v }),
        Int("num_temporal_latent_tokens", c => c.NumTemporalLatentTokens, (c, v) => c with { NumTemporalLatentTokens = v }),
        Int("e_dim", c => c.EDim, (c, v) => c with { EDim = v }),
        Int("top_k", c => c.TopK, (c, v) => c with { TopK = v }),
        new("beta", c => JsonValue.Create(c.Beta), (c, n) => c with { Beta = n.GetValue<double>() }),
        new("centred_codebooks", c => JsonValue.Create(c.CentredCodebooks), (c, n) => c with { CentredCodebooks = n.GetValue<bool>() }),
        Int("spatial_prior_dim", c => c.SpatialPriorDim, (c, v) => c with { SpatialPriorDim = v }),
        Int("temporal_prior_dim", c => c.TemporalPriorDim, (c, v) => c with { TemporalPriorDim = v }),
        Int("codebook_size", c => c.ProxyCodebookSize, (c, v) => c with { ProxyCodebookSize = v }),
        Int("proxy_code_dim", c => c.ProxyCodeDim, (c, v) => c with { ProxyCodeDim = v }),
        Text("proxy_enc_block", c => c.ProxyEncBlock, (c, v) => c with { ProxyEncBlock = v }),
        Int("proxy_temporal_depth", c => c.ProxyTemporalDepth, (c, v) => c with { ProxyTemporalDepth = v }),
        new("finetune_decoder", c => JsonValue.Create(c.FinetuneDecoder), (c, n) => c with { FinetuneDecoder = n.GetValue<bool>() }),
        Text("pix_block", c => c.PixBlock, (c, v) => c with { PixBlock = v }),
        Int("pix_temporal_depth", c => c.PixTemporalDepth, (c, v) => c with { PixTemporalDepth = v }),
        Int("pix_dim", c => c.PixDim, (c, v) => c with { PixDim = v }),
        Int("pix_heads", c => c.PixHeads, (c, v) => c with { PixHeads = v }),
        Int("pix_dim_head", c => c.PixDimHead, (c, v) => c with { PixDimHead = v }),
        Int("adjective_words", c => c.AdjectiveWords, (c, v) => c with { AdjectiveWords = v }),
        Int("noun_words", c => c.NounWords, (c, v) => c with { NounWords = v }),
        Int("adverb_words", c => c.AdverbWords, (c, v) => c with { AdverbWords = v }),
        Int("verb_words", c => c.VerbWords, (c, v) => c with { VerbWords = v }),
    ];

    // Keys added after model files were written: a file without one keeps the default (the reference's behaviour).
    private static readonly HashSet<string> OptionalKeys = new(StringComparer.Ordinal) { "centred_codebooks" };

    public static string Serialize(SweetTokConfig config)
    {
        var o = new JsonObject();
        foreach (var f in Fields) o[f.Key] = f.Get(config);
        return o.ToJsonString();
    }

    /// <summary>Parses <see cref="Serialize"/>'s form and validates it; <paramref name="where"/> names the source in errors.</summary>
    public static SweetTokConfig Deserialize(string json, string where)
    {
        JsonObject o;
        try
        {
            o = JsonNode.Parse(json, documentOptions: new JsonDocumentOptions { MaxDepth = 8 }) as JsonObject
                ?? throw new ConfigException($"{where}: SweetTok config must be a JSON object");
        }
        catch (JsonException e)
        {
            throw new ConfigException($"{where}: SweetTok config is not valid JSON ({e.Message})", e);
        }
        var known = Fields.Select(f => f.Key).ToHashSet(StringComparer.Ordinal);
        var unknown = o.Select(kv => kv.Key).Where(k => !known.Contains(k)).ToArray();
        if (unknown.Length > 0) throw new ConfigException($"{where}: unknown SweetTok config keys {string.Join(", ", unknown)}");
        var config = new SweetTokConfig();
        foreach (var f in Fields)
        {
            var node = o[f.Key];
            if (node is null && OptionalKeys.Contains(f.Key)) continue;
            if (node is null) throw new ConfigException($"{where}: SweetTok config lacks '{f.Key}'");
            try
            {
                config = f.Set(config, node);
            }
            catch (Exception e) when (e is InvalidOperationException or FormatException or JsonException)
            {
                throw new ConfigException($"{where}: SweetTok config key '{f.Key}' has the wrong type ({node.ToJsonString()})", e);
            }
        }
        try
        {
            config.Validate();
        }
        catch (ConfigException e)
        {
            throw new ConfigException($"{where}: {e.Message}", e);
        }
        return config;
    }
}
