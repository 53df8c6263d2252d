using System.Diagnostics.CodeAnalysis;

namespace Tessera.Models.SweetTok;

/// <summary>
/// Released SweetTok geometries. The official code builds exactly one: 17×256×256 clips, width 512, 8 heads × 64,
/// encoder blocks <c>ttwwtttt</c>, decoder <c>tttttttt</c>, 256 spatial and 1024 temporal queries, MLC e_dim 256,
/// the OmniTokenizer proxy (8192 codes × 8, pixel decoder <c>tttt</c> + 4 temporal layers). The prior width D_llm
/// is not recoverable from the release; 4096 (a Qwen-7B hidden state) is a placeholder that a checkpoint overrides.
/// </summary>
internal static class SweetTokPresets
{
    public const string Official = "sweettok_17x256x256";

    private static readonly SweetTokConfig[] Table =
    [
        new SweetTokConfig { Name = Official },
    ];

    private static readonly Dictionary<string, SweetTokConfig> ByName = Table.ToDictionary(c => c.Name, StringComparer.Ordinal);

    public static IReadOnlyList<string> Names { get; } = Table.Select(c => c.Name).ToArray().AsReadOnly();

    public static SweetTokConfig Get(string name) =>
        TryGet(name, out var config) ? config
            : throw new ConfigException($"unknown SweetTok preset '{name}' (known: {string.Join(", ", Names)})");

    public static bool TryGet(string name, [NotNullWhen(true)] out SweetTokConfig? config) => ByName.TryGetValue(name, out config);
}
