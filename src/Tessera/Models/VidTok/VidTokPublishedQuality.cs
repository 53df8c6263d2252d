namespace Tessera.Models.VidTok;

/// <summary>
/// The reconstruction PSNR the VidTok README publishes for each released checkpoint (MCL-JCV at 256x256, 17-frame
/// clips for causal models, 16 for non-causal), for <c>tessera check</c> to set a measurement beside. The README gives
/// no figure for vidtok_kl_causal_488_4chn_v1_1 and vidtok_fsq_causal_41616_262144_v1_1.
/// </summary>
internal static class VidTokPublishedQuality
{
    public const string Source = "VidTok README, MCL-JCV 256x256";

    private static readonly Dictionary<string, double> Psnr = new(StringComparer.Ordinal)
    {
        ["vidtok_kl_causal_488_16chn_v1_1"] = 35.13,
        ["vidtok_kl_causal_41616_16chn_v1_1"] = 29.61,
        ["vidtok_kl_causal_288_8chn_v1_1"] = 34.59,
        ["vidtok_fsq_causal_488_32768_v1_1"] = 29.39,
        ["vidtok_fsq_causal_888_32768_v1_1"] = 27.95,
        ["vidtok_kl_causal_488_4chn"] = 29.64,
        ["vidtok_kl_causal_488_8chn"] = 31.83,
        ["vidtok_kl_causal_488_16chn"] = 35.04,
        ["vidtok_kl_causal_288_8chn"] = 33.86,
        ["vidtok_kl_causal_444_4chn"] = 34.78,
        ["vidtok_kl_causal_41616_4chn"] = 25.05,
        ["vidtok_kl_noncausal_488_4chn"] = 30.60,
        ["vidtok_kl_noncausal_488_16chn"] = 36.13,
        ["vidtok_kl_noncausal_41616_4chn"] = 26.06,
        ["vidtok_kl_noncausal_41616_16chn"] = 30.69,
        ["vidtok_fsq_causal_488_262144"] = 29.82,
        ["vidtok_fsq_causal_488_32768"] = 29.16,
        ["vidtok_fsq_causal_488_4096"] = 28.36,
        ["vidtok_fsq_causal_41616_262144"] = 25.38,
        ["vidtok_fsq_noncausal_488_262144"] = 30.78,
        ["vidtok_fsq_noncausal_41616_262144"] = 26.37,
    };

    public static (double Psnr, string Source)? For(string name) => Psnr.TryGetValue(name, out var p) ? (p, Source) : null;
}
