using System.Diagnostics.CodeAnalysis;
using System.Globalization;

namespace Tessera.Models.VidTok;

/// <summary>
/// The 23 released VidTok checkpoints, named exactly like the official config files (without <c>.yaml</c>).
/// Every entry mirrors its official YAML knob for knob; <c>VidTokPresetsTests</c> proves it against the
/// upstream files when a mirror of microsoft/VidTok is available.
/// </summary>
internal static class VidTokPresets
{
    private const VidTokFamily V10 = VidTokFamily.CausalV1_0, V11 = VidTokFamily.CausalV1_1, NC = VidTokFamily.NonCausal;
    private static readonly int[] L4 = [1, 2, 4, 4], L5 = [1, 2, 4, 4, 4];

    private static readonly VidTokConfig[] Table =
    [
        // v1.0 causal (model_3dcausal) and non-causal (model_3dnoncausal) releases.
        Fsq("vidtok_fsq_causal_488_262144", V10, L4, 6),
        Fsq("vidtok_fsq_causal_488_32768", V10, L4, 5),
        Fsq("vidtok_fsq_causal_488_4096", V10, L4, 4),
        Fsq("vidtok_fsq_causal_41616_262144", V10, L5, 6),
        Fsq("vidtok_fsq_noncausal_488_262144", NC, L4, 6),
        Fsq("vidtok_fsq_noncausal_41616_262144", NC, L5, 6),
        Kl("vidtok_kl_causal_488_4chn", V10, L4, 4),
        Kl("vidtok_kl_causal_488_8chn", V10, L4, 8),
        Kl("vidtok_kl_causal_488_16chn", V10, L4, 16),
        Kl("vidtok_kl_causal_288_8chn", V10, L4, 8) with { TimeDownsampleFactor = 2, TempoDs = List(1), TempoUs = List(2) },
        Kl("vidtok_kl_causal_444_4chn", V10, L4, 4) with { SpatialDs = List(1, 2), SpatialUs = List(1, 2) },
        Kl("vidtok_kl_causal_41616_4chn", V10, L5, 4),
        Kl("vidtok_kl_noncausal_488_4chn", NC, L4, 4),
        Kl("vidtok_kl_noncausal_488_16chn", NC, L4, 16),
        Kl("vidtok_kl_noncausal_41616_4chn", NC, L5, 4),
        Kl("vidtok_kl_noncausal_41616_16chn", NC, L5, 16),
        // v1.1 causal (model_3dcausal_v1_1): trilinear temporal up-sampling everywhere.
        Fsq("vidtok_fsq_causal_488_32768_v1_1", V11, L4, 5),
        Fsq("vidtok_fsq_causal_41616_262144_v1_1", V11, L5, 6),
        Fsq("vidtok_fsq_causal_888_32768_v1_1", V11, L4, 5) with { TimeDownsampleFactor = 8, TempoDs = List(0, 1, 2), TempoUs = List(1, 2, 3) },
        Kl("vidtok_kl_causal_488_4chn_v1_1", V11, L4, 4),
        Kl("vidtok_kl_causal_488_16chn_v1_1", V11, L4, 16),
        Kl("vidtok_kl_causal_41616_16chn_v1_1", V11, L5, 16),
        Kl("vidtok_kl_causal_288_8chn_v1_1", V11, L4, 8) with { TimeDownsampleFactor = 2, TempoDs = List(1), TempoUs = List(2) },
    ];

    private static readonly Dictionary<string, VidTokConfig> ByName = Table.ToDictionary(c => c.Name, StringComparer.Ordinal);

    /// <summary>All preset names, in release order (v1.0 first, then v1.1).</summary>
    public static IReadOnlyList<string> Names { get; } = Table.Select(c => c.Name).ToArray().AsReadOnly();

    /// <summary>The preset called <paramref name="name"/>; unknown names raise a <see cref="ConfigException"/> suggesting the closest ones.</summary>
    public static VidTokConfig Get(string name)
    {
        if (TryGet(name, out var config)) return config;
        throw new ConfigException(
            $"unknown VidTok preset '{name}'; closest: {string.Join(", ", ClosestNames(name))} (all {Names.Count}: {string.Join(", ", Names)})");
    }

    public static bool TryGet(string name, [NotNullWhen(true)] out VidTokConfig? config) => ByName.TryGetValue(name, out config);

    /// <summary>One line for listings, e.g. "FSQ 262,144 codes, causal v1.0, 4x8x8".</summary>
    public static string GetDescription(string name) => Describe(Get(name));

    /// <summary>Describes any config: bottleneck, family and compression (time x height x width).</summary>
    public static string Describe(VidTokConfig config)
    {
        var bottleneck = config.Regularizer switch
        {
            FsqBottleneck f => string.Create(CultureInfo.InvariantCulture, $"FSQ {f.CodebookSize:N0} codes"),
            KlBottleneck k => $"KL {k.Channels} channels",
            var other => other.GetType().Name,
        };
        return $"{bottleneck}, {VidTokCard.Variant(config.Family)}, {config.Compression}";
    }

    /// <summary>Preset names ordered by edit distance to <paramref name="name"/> (case-insensitive).</summary>
    public static IReadOnlyList<string> ClosestNames(string name, int count = 3) =>
        Names.OrderBy(n => Distance(n, name.Trim().ToLowerInvariant())).ThenBy(n => n, StringComparer.Ordinal).Take(count).ToArray();

    private static int Distance(string a, string b)
    {
        var prev = new int[b.Length + 1];
        var cur = new int[b.Length + 1];
        for (var j = 0; j <= b.Length; j++) prev[j] = j;
        for (var i = 1; i <= a.Length; i++)
        {
            cur[0] = i;
            for (var j = 1; j <= b.Length; j++)
                cur[j] = Math.Min(Math.Min(cur[j - 1] + 1, prev[j] + 1), prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1));
            (prev, cur) = (cur, prev);
        }
        return prev[b.Length];
    }

    private static IReadOnlyList<int> List(params int[] levels) => levels.AsReadOnly();

    private static VidTokConfig Base(string name, VidTokFamily family, int[] chMult, Bottleneck regularizer) => new()
    {
        Name = name,
        Family = family,
        Ch = 128,
        ChMult = List(chMult),
        NumResBlocks = 2,
        InChannels = 3,
        OutCh = 3,
        TimeDownsampleFactor = 4,
        NormType = NormType.LayerNorm,
        InterpolationMode = family == VidTokFamily.CausalV1_1 ? TemporalInterpolation.Trilinear : TemporalInterpolation.Nearest,
        Regularizer = regularizer,
    };

    private static VidTokConfig Fsq(string name, VidTokFamily family, int[] chMult, int channels) =>
        Base(name, family, chMult, new FsqBottleneck(List(Enumerable.Repeat(8, channels).ToArray())));

    private static VidTokConfig Kl(string name, VidTokFamily family, int[] chMult, int channels) =>
        Base(name, family, chMult, new KlBottleneck(channels));
}
