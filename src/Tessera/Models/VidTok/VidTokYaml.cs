using Tessera.Configs;

namespace Tessera.Models.VidTok;

/// <summary>
/// Reads an official-style VidTok training/inference YAML (OmegaConf syntax) into a <see cref="VidTokConfig"/>.
/// Only <c>model.target</c> and <c>model.params.{encoder,decoder,regularizer}_config</c> are read; the training
/// sections (<c>data</c>, <c>lightning</c>, <c>loss_config</c>, optimiser knobs) are accepted and ignored.
/// Keys absent from the YAML take the defaults of the official Python constructors (e.g. <c>norm_type</c>
/// groupnorm, <c>ch_mult</c> [1,2,4,8], <c>double_z</c> true, <c>time_downsample_factor</c> 4).
/// </summary>
internal static class VidTokYaml
{
    private const string EngineV10 = "vidtok.models.autoencoder.AutoencodingEngine";
    private const string EngineV11 = "vidtok.models.autoencoder_v1_1.AutoencodingEngine";
    private const string FsqTarget = "vidtok.modules.regularizers.FSQRegularizer";
    private const string KlTarget = "vidtok.modules.regularizers.DiagonalGaussianRegularizer";

    private sealed record FamilyTargets(VidTokFamily Family, string Encoder, string Decoder, string Engine);

    private static readonly FamilyTargets[] Families =
    [
        new(VidTokFamily.CausalV1_0, "vidtok.modules.model_3dcausal.EncoderCausal3DPadding",
            "vidtok.modules.model_3dcausal.DecoderCausal3DPadding", EngineV10),
        new(VidTokFamily.CausalV1_1, "vidtok.modules.model_3dcausal_v1_1.EncoderCausal3DPadding",
            "vidtok.modules.model_3dcausal_v1_1.DecoderCausal3DPadding", EngineV11),
        new(VidTokFamily.NonCausal, "vidtok.modules.model_3dnoncausal.Encoder3D",
            "vidtok.modules.model_3dnoncausal.Decoder3D", EngineV10),
    ];

    // FSQRegularizer arguments that only shape training losses (any number is fine).
    private static readonly string[] FsqLossKeys =
        ["entropy_loss_weight", "entropy_loss_annealing_steps", "entropy_loss_annealing_factor", "commitment_loss_weight", "diversity_gamma"];

    public static VidTokConfig Load(string path)
    {
        var doc = ConfigDocument.Load(path);
        return Read(doc, NameOf(path));
    }

    /// <summary>Parses YAML text; <paramref name="sourceName"/> names the file in errors and, without extension, the config.</summary>
    public static VidTokConfig Parse(string yamlText, string sourceName) =>
        Read(ConfigDocument.Parse(yamlText, sourceName), NameOf(sourceName));

    private static string NameOf(string source) => Path.GetFileNameWithoutExtension(source) is { Length: > 0 } n ? n : "custom";

    private static VidTokConfig Read(ConfigDocument doc, string name)
    {
        var engineNode = doc.Resolve("model.target");
        var encoder = doc.Resolve("model.params.encoder_config").AsMapping();
        var decoder = doc.Resolve("model.params.decoder_config").AsMapping();
        var regularizer = doc.Resolve("model.params.regularizer_config").AsMapping();

        var encoderTarget = encoder.Get("target");
        var targets = Families.FirstOrDefault(f => f.Encoder == encoderTarget.AsString())
            ?? throw encoderTarget.Error(
                $"unknown encoder target '{encoderTarget.AsString()}'; expected one of {string.Join(", ", Families.Select(f => f.Encoder))}");
        var decoderTarget = decoder.Get("target");
        if (decoderTarget.AsString() != targets.Decoder)
            throw decoderTarget.Error($"decoder target '{decoderTarget.AsString()}' does not fit encoder '{targets.Encoder}'; expected '{targets.Decoder}'");
        var engine = engineNode.AsString();
        if (engine is not (EngineV10 or EngineV11))
            throw engineNode.Error($"unknown engine target '{engine}'; expected {EngineV10} or {EngineV11}");
        if (engine != targets.Engine)
            throw engineNode.Error($"engine '{engine}' does not fit encoder '{targets.Encoder}'; expected '{targets.Engine}'");

        var enc = VidTokYamlParams.Read(encoder.GetMapping("params"), targets.Family, isEncoder: true);
        var dec = VidTokYamlParams.Read(decoder.GetMapping("params"), targets.Family, isEncoder: false);
        VidTokYamlParams.CheckSameArchitecture(enc, dec);

        var config = new VidTokConfig
        {
            Name = name,
            Family = targets.Family,
            Ch = enc.Ch,
            ChMult = enc.ChMult,
            NumResBlocks = enc.NumResBlocks,
            InChannels = enc.InChannels,
            OutCh = dec.OutCh,
            TimeDownsampleFactor = enc.TimeDownsampleFactor,
            NormType = enc.NormType,
            InterpolationMode = dec.InterpolationMode,
            SpatialDs = enc.SpatialDs,
            TempoDs = enc.TempoDs,
            SpatialUs = dec.SpatialUs,
            TempoUs = dec.TempoUs,
            Regularizer = ReadRegularizer(regularizer, enc),
        };
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

    private static Bottleneck ReadRegularizer(ConfigMapping reg, VidTokYamlParams enc)
    {
        var targetNode = reg.Get("target");
        var p = reg.FindNonNull("params")?.AsMapping();
        switch (targetNode.AsString())
        {
            case FsqTarget:
            {
                if (p is null) throw reg.Error("FSQRegularizer needs params.levels");
                var levels = p.GetIntList("levels");
                foreach (var key in p.Keys)
                {
                    var node = p.Get(key);
                    if (key == "levels") continue;
                    else if (FsqLossKeys.Contains(key)) node.AsDouble();
                    else if (key == "num_codebooks") { if (node.AsInt() != 1) throw node.Error("only num_codebooks 1 is supported"); }
                    else if (key == "dim") { if (!node.IsNull && node.AsInt() != levels.Count) throw node.Error($"dim must equal len(levels) = {levels.Count} (a projection is not supported)"); }
                    else if (key is "scale" or "keep_num_codebooks_dim") { if (!node.IsNull) throw node.Error($"{key} is not supported; leave it null"); }
                    else throw node.Error($"unknown FSQRegularizer parameter '{key}'");
                }
                if (enc.DoubleZ) throw enc.Node("double_z").Error("double_z must be false with FSQRegularizer (the encoder would emit 2*z_channels)");
                if (enc.ZChannels != levels.Count)
                    throw enc.Node("z_channels").Error($"z_channels is {enc.ZChannels} but FSQ levels has {levels.Count} entries ({p.Get("levels").Path}); they must be equal");
                return new FsqBottleneck(levels);
            }
            case KlTarget:
                if (p is not null)
                    foreach (var key in p.Keys)
                        if (key == "sample") p.GetBool(key);
                        else throw p.Get(key).Error($"unknown DiagonalGaussianRegularizer parameter '{key}'");
                if (!enc.DoubleZ) throw enc.Node("double_z").Error("double_z must be true with DiagonalGaussianRegularizer (the encoder emits mean and log-variance)");
                return new KlBottleneck(enc.ZChannels);
            default:
                throw targetNode.Error($"unknown regularizer target '{targetNode.AsString()}'; expected {FsqTarget} or {KlTarget}");
        }
    }
}
