using System.Security.Cryptography;
using System.Text;
using Tessera.Models;

namespace Tessera.Checkpoints.Hub;

/// <summary>
/// Models by name, as <c>from_pretrained</c> gives them: an official preset name (its checkpoint on the Hub, see
/// <see cref="ModelFamilies.OfficialCheckpoint"/>), <c>hf:owner/repo[@revision]/path</c>, or a local file. Hub
/// checkpoints are downloaded once into the shared cache and converted once into a Tessera model file kept beside them
/// (<c>models--owner--name/tessera/&lt;blob hash&gt;/</c>, named by config, EMA choice and <see cref="ModelConversion.ConverterVersion"/>),
/// so later runs load the converted file without a request.
/// </summary>
public static class PretrainedModels
{
    /// <summary>
    /// Loads a tokenizer by name as <see cref="Inference.VideoTokenizer.Load"/> does, fetching and converting Hub models
    /// first (see <see cref="ResolveAsync"/>); <paramref name="settings"/> default to the environment's.
    /// </summary>
    public static async Task<Inference.VideoTokenizer> LoadAsync(string model, string? weights = null, Inference.TokenizerOptions? options = null,
        bool useEma = false, HubSettings? settings = null, IProgress<HubProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        using var hub = new HubClient(settings ?? HubSettings.FromEnvironment());
        var resolved = await ResolveAsync(hub, model, weights, useEma, progress, cancellationToken).ConfigureAwait(false);
        return await Inference.VideoTokenizer.LoadAsync(resolved.Model, resolved.Weights, options, resolved.UseEma, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// The local model and weights arguments for <see cref="Inference.VideoTokenizer.Load"/>: <paramref name="model"/>
    /// and <paramref name="weights"/> as given when they are local; a converted Tessera model file (weights null) for an
    /// official preset without weights, an <c>hf:</c> checkpoint named like a preset, or a preset/config with <c>hf:</c> weights.
    /// A conversion takes the EMA weights when asked, so the converted file is loaded plainly (<see cref="ResolvedModel.UseEma"/> false).
    /// </summary>
    internal static async Task<ResolvedModel> ResolveAsync(HubClient hub, string model, string? weights, bool useEma,
        IProgress<HubProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        HubCachedFile? hubWeights = null;
        if (weights is not null && HubFile.IsReference(weights))
        {
            hubWeights = await hub.GetAsync(HubFile.Parse(weights), progress, cancellationToken).ConfigureAwait(false);
            weights = hubWeights.Path;
        }
        if (HubFile.IsReference(model))
        {
            var got = await hub.GetAsync(HubFile.Parse(model), progress, cancellationToken).ConfigureAwait(false);
            if (!IsCheckpoint(got.Path) || IsConfig(got.Path)) return new(got.Path, weights, useEma);
            var stem = Path.GetFileNameWithoutExtension(got.Path);
            if (weights is not null || !ModelFamilies.IsPreset(stem))
                throw new ConfigException($"model '{model}' is a checkpoint{(weights is null ? " whose name is no preset" : "")}; name its model with --model <preset|config.yaml> and pass the checkpoint with --weights {model}");
            return new(Converted(hub, got, stem, null, useEma), null, false);
        }
        var named = !File.Exists(model) && ModelFamilies.IsPreset(model);
        if (weights is null && named && ModelFamilies.OfficialCheckpoint(model) is { } official)
            return new(Converted(hub, await hub.GetAsync(official, progress, cancellationToken).ConfigureAwait(false), model, null, useEma), null, false);
        if (hubWeights is not null && IsCheckpoint(hubWeights.Path) && (named || IsConfig(model)))
            return new(Converted(hub, hubWeights, named ? model : null, named ? null : model, useEma), null, false);
        return new(model, weights, useEma);
    }

    /// <summary>The Tessera model file converted from a cached Hub checkpoint, converting it the first time.</summary>
    internal static string Converted(HubClient hub, HubCachedFile checkpoint, string? preset, string? configFile, bool useEma)
    {
        var (config, _) = ModelFamilies.Resolve(preset ?? configFile!);
        var family = ModelFamilies.ForConversion(configFile, preset);
        var key = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes($"{family.WriteConfig(config)}\n{useEma}")))[..12];
        var path = Path.Combine(hub.Cache.RepoDir(checkpoint.File.Repo), "tessera", checkpoint.Etag,
            $"{config.Name}{(useEma ? "-ema" : "")}.c{ModelConversion.ConverterVersion}.{key}.safetensors");
        if (File.Exists(path)) return path;
        hub.Status?.Invoke($"converting {checkpoint.File} once into {path}");
        family.Convert(new ConversionRequest
        {
            Checkpoint = checkpoint.Path,
            Preset = preset,
            ConfigFile = configFile,
            Output = path,
            UseEma = useEma,
            Progress = hub.Status,
        });
        return path;
    }

    private static bool IsCheckpoint(string path) => !path.EndsWith(".safetensors", StringComparison.OrdinalIgnoreCase);

    private static bool IsConfig(string path) => Path.GetExtension(path).ToLowerInvariant() is ".yaml" or ".yml";
}

/// <summary>Local arguments for <see cref="Inference.VideoTokenizer.Load"/>: model, weights, and whether to take EMA weights from them.</summary>
internal sealed record ResolvedModel(string Model, string? Weights, bool UseEma);
