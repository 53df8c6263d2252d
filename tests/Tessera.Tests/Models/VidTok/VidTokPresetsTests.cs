using System.Diagnostics;
using System.Text.RegularExpressions;
using Tessera.Models;
using Tessera.Models.VidTok;

namespace Tessera.Tests.Models.VidTok;

/// <summary>A mirror of microsoft/VidTok (bare git dir) used to check presets against the official YAMLs.</summary>
internal static class OfficialVidTokMirror
{
    public const string Repo = "/work/.mirror/microsoft+VidTok/repo";

    public static string? SkipReason =>
        Directory.Exists(Repo) ? null : $"no microsoft/VidTok mirror at {Repo}; the official-YAML comparison needs it";

    private static readonly Lazy<IReadOnlyDictionary<string, string>> ConfigPaths = new(() =>
        Git("ls-tree", "-r", "--name-only", "HEAD", "configs")
            .Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Where(p => p.EndsWith(".yaml", StringComparison.Ordinal) && Path.GetFileName(p).StartsWith("vidtok_", StringComparison.Ordinal))
            .ToDictionary(p => Path.GetFileNameWithoutExtension(p), p => p));

    /// <summary>Official config name (file name without extension) → path inside the repository.</summary>
    public static IReadOnlyDictionary<string, string> Configs => ConfigPaths.Value;

    /// <summary>Extracts one official YAML with <c>git show</c> into <paramref name="dir"/> and returns its path.</summary>
    public static string Extract(string name, string dir)
    {
        var file = Path.Combine(dir, name + ".yaml");
        File.WriteAllText(file, Git("show", $"HEAD:{Configs[name]}"));
        return file;
    }

    private static string Git(params string[] args)
    {
        var psi = new ProcessStartInfo("git") { RedirectStandardOutput = true, RedirectStandardError = true };
        psi.ArgumentList.Add("-C");
        psi.ArgumentList.Add(Repo);
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEnd();
        p.WaitForExit();
        if (p.ExitCode != 0) throw new InvalidOperationException($"git {string.Join(' ', args)} failed: {stderr}");
        return stdout.Result;
    }
}

public sealed class OfficialMirrorFactAttribute : FactAttribute
{
    public OfficialMirrorFactAttribute() => Skip = OfficialVidTokMirror.SkipReason;
}

public sealed class OfficialMirrorTheoryAttribute : TheoryAttribute
{
    public OfficialMirrorTheoryAttribute() => Skip = OfficialVidTokMirror.SkipReason;
}

[DisposeScopePerTest]
public sealed class VidTokPresetsTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("tessera-vidtok-presets-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    public static TheoryData<string> PresetNames => new(VidTokPresets.Names);

    [Fact]
    public void Table_HasTheTwentyThreeReleaseNames()
    {
        Assert.Equal(23, VidTokPresets.Names.Count);
        Assert.Equal(23, VidTokPresets.Names.Distinct().Count());
        Assert.Contains("vidtok_fsq_causal_488_262144", VidTokPresets.Names);
        Assert.Contains("vidtok_kl_causal_488_16chn_v1_1", VidTokPresets.Names);
        Assert.Contains("vidtok_fsq_causal_888_32768_v1_1", VidTokPresets.Names);
    }

    [OfficialMirrorFact]
    public void Table_NamesEqualTheOfficialConfigFiles() =>
        Assert.Equal(OfficialVidTokMirror.Configs.Keys.Order(), VidTokPresets.Names.Order());

    [OfficialMirrorTheory]
    [MemberData(nameof(PresetNames))]
    public void Preset_EqualsItsOfficialYaml(string name)
    {
        var file = OfficialVidTokMirror.Extract(name, _dir);
        var parsed = VidTokYaml.Load(file);
        var preset = VidTokPresets.Get(name);
        // The JSON form spells out every knob, so a mismatch shows up as a readable string diff.
        Assert.Equal(VidTokConfigJson.Serialize(preset), VidTokConfigJson.Serialize(parsed));
        Assert.Equal(preset, parsed);
        Assert.Equal(preset.Family, parsed.Family);
        Assert.Equal(preset.ChMult, parsed.ChMult);
        Assert.Equal(preset.TimeDownsampleFactor, parsed.TimeDownsampleFactor);
        Assert.Equal(preset.InterpolationMode, parsed.InterpolationMode);
        Assert.Equal(preset.Regularizer, parsed.Regularizer);
    }

    [Theory]
    [MemberData(nameof(PresetNames))]
    public void Preset_Validates(string name) => VidTokPresets.Get(name).Validate();

    // vidtok_<fsq|kl>_<causal|noncausal>_<T><H><W>_<codes|Nchn>[_v1_1], with 41616 read as 4x16x16.
    private static readonly Regex NamePattern = new(@"^vidtok_(fsq|kl)_(causal|noncausal)_(\d+)_(\d+|\d+chn)(_v1_1)?$");

    [Theory]
    [MemberData(nameof(PresetNames))]
    public void Preset_MatchesTheNumbersInItsName(string name)
    {
        var m = NamePattern.Match(name);
        Assert.True(m.Success, name);
        var config = VidTokPresets.Get(name);
        var digits = m.Groups[3].Value;
        var expected = digits.Length == 3
            ? $"{digits[0]}x{digits[1]}x{digits[2]}"
            : $"{digits[0]}x{digits[1..3]}x{digits[3..]}";
        Assert.Equal(expected, config.Compression.ToString());

        var family = (m.Groups[2].Value, m.Groups[5].Success) switch
        {
            ("noncausal", _) => VidTokFamily.NonCausal,
            (_, true) => VidTokFamily.CausalV1_1,
            _ => VidTokFamily.CausalV1_0,
        };
        Assert.Equal(family, config.Family);

        var size = m.Groups[4].Value;
        if (m.Groups[1].Value == "fsq") Assert.Equal(long.Parse(size), Assert.IsType<FsqBottleneck>(config.Regularizer).CodebookSize);
        else Assert.Equal(int.Parse(size[..^3]), Assert.IsType<KlBottleneck>(config.Regularizer).Channels);
    }

    [Theory]
    [InlineData("vidtok_fsq_causal_488_262144", "4x8x8")]
    [InlineData("vidtok_fsq_causal_41616_262144", "4x16x16")]
    [InlineData("vidtok_kl_causal_444_4chn", "4x4x4")]
    [InlineData("vidtok_kl_causal_288_8chn", "2x8x8")]
    [InlineData("vidtok_kl_causal_288_8chn_v1_1", "2x8x8")]
    [InlineData("vidtok_fsq_causal_888_32768_v1_1", "8x8x8")]
    [InlineData("vidtok_fsq_noncausal_488_262144", "4x8x8")]
    [InlineData("vidtok_kl_noncausal_41616_16chn", "4x16x16")]
    public void Compression_IsTimeByHeightByWidth(string name, string expected) =>
        Assert.Equal(expected, VidTokPresets.Get(name).Compression.ToString());

    [Fact]
    public void Compression_Components()
    {
        Assert.Equal(new Compression(4, 16, 16), VidTokPresets.Get("vidtok_kl_causal_41616_4chn").Compression);
        Assert.Equal(new Compression(8, 8, 8), VidTokPresets.Get("vidtok_fsq_causal_888_32768_v1_1").Compression);
    }

    [Theory]
    [InlineData("vidtok_fsq_causal_488_262144", "FSQ 262,144 codes, causal v1.0, 4x8x8")]
    [InlineData("vidtok_fsq_causal_488_4096", "FSQ 4,096 codes, causal v1.0, 4x8x8")]
    [InlineData("vidtok_kl_causal_488_16chn_v1_1", "KL 16 channels, causal v1.1, 4x8x8")]
    [InlineData("vidtok_kl_noncausal_41616_4chn", "KL 4 channels, non-causal, 4x16x16")]
    [InlineData("vidtok_fsq_causal_888_32768_v1_1", "FSQ 32,768 codes, causal v1.1, 8x8x8")]
    public void Description_NamesBottleneckFamilyAndCompression(string name, string expected) =>
        Assert.Equal(expected, VidTokPresets.GetDescription(name));

    [Fact]
    public void Get_KnownFacts()
    {
        var c = VidTokPresets.Get("vidtok_kl_causal_444_4chn");
        Assert.Equal([1, 2], c.SpatialDs!);
        Assert.Equal([1, 2], c.SpatialUs!);
        Assert.Null(c.TempoDs);
        Assert.Equal(8, c.EncoderOutChannels);
        Assert.Equal(4, c.ZChannels);
        Assert.Equal(TemporalInterpolation.Nearest, c.InterpolationMode);
        Assert.Equal(TemporalInterpolation.Trilinear, VidTokPresets.Get("vidtok_kl_causal_488_4chn_v1_1").InterpolationMode);
        Assert.Equal([1, 2, 4, 4, 4], VidTokPresets.Get("vidtok_fsq_noncausal_41616_262144").ChMult);
    }

    [Fact]
    public void Get_UnknownName_SuggestsClosest()
    {
        var e = Assert.Throws<ConfigException>(() => VidTokPresets.Get("vidtok_fsq_causal_488_26214"));
        Assert.Contains("unknown VidTok preset 'vidtok_fsq_causal_488_26214'", e.Message);
        Assert.Contains("closest: vidtok_fsq_causal_488_262144", e.Message);

        Assert.Equal("vidtok_kl_causal_488_16chn_v1_1", VidTokPresets.ClosestNames("kl_causal_488_16chn_v1_1", 1)[0]);
    }

    [Fact]
    public void TryGet_ReportsPresence()
    {
        Assert.True(VidTokPresets.TryGet("vidtok_kl_causal_488_4chn", out var c));
        Assert.Equal("vidtok_kl_causal_488_4chn", c.Name);
        Assert.False(VidTokPresets.TryGet("VIDTOK_KL_CAUSAL_488_4CHN", out var none));
        Assert.Null(none);
    }
}
