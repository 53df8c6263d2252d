namespace Tessera.Models;

/// <summary>Facts about Tessera's conversion of official weights.</summary>
internal static class ModelConversion
{
    /// <summary>
    /// Raised whenever a conversion would write a different file for the same checkpoint, so that converted models
    /// cached from the Hub (see <c>PretrainedModels</c>) are converted again rather than reused.
    /// </summary>
    public const int ConverterVersion = 1;
}

/// <summary>
/// What <c>tessera convert</c> hands a family: official weights, the config they were trained with (a config file or
/// a preset), the family's own extra inputs by name (see <see cref="ModelFamilyProvider.ConversionInputs"/>), and the
/// Tessera model file to write.
/// </summary>
internal sealed record ConversionRequest
{
    public required string Checkpoint { get; init; }
    public string? ConfigFile { get; init; }
    public string? Preset { get; init; }
    public required string Output { get; init; }
    public bool UseEma { get; init; }
    public IReadOnlyDictionary<string, string> Inputs { get; init; } = new Dictionary<string, string>();
    public Action<string>? Progress { get; init; }

    /// <summary>The input named <paramref name="name"/>, or a <see cref="ConfigException"/> saying it is needed.</summary>
    public string Require(string name, string why) =>
        Inputs.TryGetValue(name, out var v) ? v : throw new ConfigException($"converting '{Checkpoint}' needs --{name} ({why})");
}

/// <summary>What a conversion wrote: the model's config and its parameter count.</summary>
internal sealed record ConversionResult(ModelConfig Config, long Parameters);
