using System.Text.Json;
using System.Text.Json.Nodes;
using Tessera.Checkpoints;
using Tessera.Models;

namespace Tessera.Dataset;

/// <summary>
/// A diffusers-shaped <c>config.json</c> for a Tessera model: the fields diffusers' video autoencoders name
/// (<c>in_channels</c>, <c>out_channels</c>, <c>latent_channels</c>, compression ratios) from the model card, and the
/// normalisation a Python trainer applies unchanged (<c>latents_mean</c>, <c>latents_std</c>, <c>scaling_factor</c>,
/// <c>shift_factor</c>). diffusers has no class for these models: <c>_class_name</c> names the model in diffusers' style
/// so tools that key on it can tell it apart; the weights stay Tessera's.
/// </summary>
internal static class DiffusersConfig
{
    /// <summary>The config of the model file <paramref name="model"/> (its metadata's config and statistics).</summary>
    public static JsonObject Of(string model)
    {
        if (!File.Exists(model)) throw new InvalidInputException($"model file '{model}' does not exist");
        var metadata = SafeTensorsFile.ReadHeader(model).Metadata;
        var config = ModelFamilies.ReadConfig(metadata, model) ?? throw new InvalidInputException($"'{model}' is not a Tessera model file (no model_config metadata)");
        var card = config.Card;
        var (mean, std, scale) = ModelStatistics.Read(metadata);
        var family = string.Concat(card.Family.Split('-', '_').Select(p => p.Length == 0 ? p : char.ToUpperInvariant(p[0]) + p[1..]));
        var node = new JsonObject
        {
            ["_class_name"] = card.IsDiscrete ? $"{family}Tokenizer" : $"AutoencoderKL{family}",
            ["_tessera_model"] = config.Name,
            ["_tessera_family"] = card.Family,
            ["_tessera_version"] = TesseraInfo.Version,
            ["in_channels"] = 3,
            ["out_channels"] = 3,
            ["latent_channels"] = card.IsDiscrete ? null : card.LatentChannels,
            ["temporal_compression_ratio"] = card.Compression.Time,
            ["spatial_compression_ratio"] = card.Compression.Height,
            ["is_causal"] = card.Causal,
            ["latents_mean"] = mean is null ? null : new JsonArray(mean.Select(v => (JsonNode?)v).ToArray()),
            ["latents_std"] = std is null ? null : new JsonArray(std.Select(v => (JsonNode?)v).ToArray()),
            ["scaling_factor"] = scale ?? 1.0,
            // The per-channel mean is latents_mean; a scalar shift on top of it would shift twice.
            ["shift_factor"] = null,
        };
        if (card.IsDiscrete)
            node["token_groups"] = new JsonArray(card.TokenGroups.Select(g => (JsonNode?)new JsonObject
            {
                ["name"] = g.Name,
                ["codebook_size"] = g.CodebookSize,
                ["levels"] = g.Levels is null ? null : new JsonArray(g.Levels.Select(l => (JsonNode?)l).ToArray()),
            }).ToArray());
        return node;
    }

    /// <summary>Writes <see cref="Of"/> as indented JSON, atomically.</summary>
    public static void Write(string model, string output) =>
        AtomicFile.Write(output, s => s.Write(System.Text.Encoding.UTF8.GetBytes(Of(model).ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n")));
}
