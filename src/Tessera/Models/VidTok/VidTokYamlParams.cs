using Tessera.Configs;

namespace Tessera.Models.VidTok;

/// <summary>
/// The <c>params</c> mapping of one VidTok encoder or decoder config, type-checked. The official YAMLs pass the
/// same dict to both, so both accept the union of the keys either constructor reads.
/// </summary>
internal sealed class VidTokYamlParams
{
    private static readonly string[] KnownKeys =
    [
        "ch", "ch_mult", "num_res_blocks", "in_channels", "out_ch", "z_channels", "double_z", "time_downsample_factor",
        "norm_type", "interpolation_mode", "spatial_ds", "spatial_us", "tempo_ds", "tempo_us",
        // Accepted because the official files carry them; they do not change the inference graph.
        "dropout", "use_checkpoint", "init_pad_mode", "fix_encoder", "fix_decoder", "resamp_with_conv", "tanh_out", "give_pre_end",
    ];

    /// <summary>Keys whose value must agree between encoder and decoder params.</summary>
    private static readonly string[] SharedKeys = ["ch", "ch_mult", "num_res_blocks", "z_channels", "norm_type", "time_downsample_factor"];

    private VidTokYamlParams(ConfigMapping node) => Params = node;

    public ConfigMapping Params { get; }
    public int Ch { get; private init; }
    public IReadOnlyList<int> ChMult { get; private init; } = [];
    public int NumResBlocks { get; private init; }
    public int InChannels { get; private init; }
    public int OutCh { get; private init; }
    public int ZChannels { get; private init; }
    public bool DoubleZ { get; private init; }
    public int TimeDownsampleFactor { get; private init; }
    public NormType NormType { get; private init; }
    public TemporalInterpolation InterpolationMode { get; private init; }
    public IReadOnlyList<int>? SpatialDs { get; private init; }
    public IReadOnlyList<int>? SpatialUs { get; private init; }
    public IReadOnlyList<int>? TempoDs { get; private init; }
    public IReadOnlyList<int>? TempoUs { get; private init; }

    /// <summary>The node holding <paramref name="key"/>, or the params mapping when the key is absent (defaulted).</summary>
    public ConfigNode Node(string key) => Params.Find(key) ?? Params;

    public static VidTokYamlParams Read(ConfigMapping p, VidTokFamily family, bool isEncoder)
    {
        var role = isEncoder ? "encoder" : "decoder";
        foreach (var key in p.Keys)
            if (!KnownKeys.Contains(key))
                throw p.Get(key).Error($"unknown key '{key}' in the {role} params; known keys: {string.Join(", ", KnownKeys)}");

        CheckHarmless(p, family);
        var result = new VidTokYamlParams(p)
        {
            Ch = p.GetInt("ch"),
            ChMult = p.GetIntListOrNull("ch_mult") ?? [1, 2, 4, 8],
            NumResBlocks = p.GetInt("num_res_blocks"),
            InChannels = isEncoder ? p.GetInt("in_channels") : p.GetInt("in_channels", 3),
            OutCh = isEncoder ? p.GetInt("out_ch", 3) : p.GetInt("out_ch"),
            ZChannels = p.GetInt("z_channels"),
            DoubleZ = p.GetBool("double_z", true),
            TimeDownsampleFactor = p.GetInt("time_downsample_factor", 4),
            NormType = ReadEnum(p, "norm_type", "groupnorm", ("layernorm", NormType.LayerNorm), ("groupnorm", NormType.GroupNorm)),
            InterpolationMode = ReadEnum(p, "interpolation_mode", "nearest",
                ("nearest", TemporalInterpolation.Nearest), ("trilinear", TemporalInterpolation.Trilinear)),
            SpatialDs = ReadLevels(p, "spatial_ds", family),
            SpatialUs = ReadLevels(p, "spatial_us", family),
            TempoDs = ReadLevels(p, "tempo_ds", family),
            TempoUs = ReadLevels(p, "tempo_us", family),
        };
        if (result.InterpolationMode == TemporalInterpolation.Trilinear && family != VidTokFamily.CausalV1_1)
            throw p.Get("interpolation_mode").Error("interpolation_mode trilinear is only read by model_3dcausal_v1_1");
        return result;
    }

    /// <summary>Throws naming the decoder key when decoder and encoder params disagree on the architecture.</summary>
    public static void CheckSameArchitecture(VidTokYamlParams enc, VidTokYamlParams dec)
    {
        foreach (var key in SharedKeys)
        {
            var (a, b) = (enc.Value(key), dec.Value(key));
            if (a != b)
                throw dec.Node(key).Error(
                    $"decoder params differ from encoder params in '{key}': encoder has {a} ({enc.Node(key).Location}), decoder has {b}");
        }
    }

    private string Value(string key) => key switch
    {
        "ch" => Ch.ToString(System.Globalization.CultureInfo.InvariantCulture),
        "ch_mult" => $"[{string.Join(", ", ChMult)}]",
        "num_res_blocks" => NumResBlocks.ToString(System.Globalization.CultureInfo.InvariantCulture),
        "z_channels" => ZChannels.ToString(System.Globalization.CultureInfo.InvariantCulture),
        "norm_type" => NormType.ToString(),
        "time_downsample_factor" => TimeDownsampleFactor.ToString(System.Globalization.CultureInfo.InvariantCulture),
        _ => throw new ArgumentOutOfRangeException(nameof(key)),
    };

    private static void CheckHarmless(ConfigMapping p, VidTokFamily family)
    {
        if (p.FindNonNull("dropout") is { } dropout && dropout.AsDouble() is < 0 or >= 1)
            throw dropout.Error($"dropout must be in [0, 1), got {dropout.AsDouble()}");
        foreach (var key in new[] { "use_checkpoint", "fix_encoder", "fix_decoder" })
            p.FindNonNull(key)?.AsBool();
        if (p.FindNonNull("resamp_with_conv") is { } conv && !conv.AsBool())
            throw conv.Error("resamp_with_conv false (convolution-free resampling) is not supported");
        if (p.FindNonNull("tanh_out") is { } tanh && tanh.AsBool())
            throw tanh.Error("tanh_out true is not supported");
        if (p.FindNonNull("give_pre_end") is { } pre && pre.AsBool())
            throw pre.Error("give_pre_end true is not supported");
        if (p.FindNonNull("init_pad_mode") is { } pad && pad.AsString() != "replicate")
            throw pad.Error($"init_pad_mode '{pad.AsString()}' is not supported; only 'replicate' ({family})");
    }

    private static IReadOnlyList<int>? ReadLevels(ConfigMapping p, string key, VidTokFamily family)
    {
        var levels = p.GetIntListOrNull(key);
        if (levels is not null && family == VidTokFamily.NonCausal)
            throw p.Get(key).Error($"{key} is fixed in model_3dnoncausal (the official code ignores it); remove it");
        return levels;
    }

    private static T ReadEnum<T>(ConfigMapping p, string key, string fallback, params (string Name, T Value)[] options)
    {
        var text = p.GetString(key, fallback);
        foreach (var (name, value) in options)
            if (name == text) return value;
        throw p.Get(key).Error($"unknown {key} '{text}'; expected one of {string.Join(", ", options.Select(o => o.Name))}");
    }
}
