using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Tessera.Models.SweetTok;
using Xunit.Abstractions;

namespace Tessera.Tests.Models.SweetTok;

/// <summary>The official preset builds the official module tree; sizes come from the config only.</summary>
[DisposeScopePerTest]
public sealed class SweetTokConfigTests(ITestOutputHelper output)
{
    private const string Keys = SweetTokGolden.Root + "/official_size_state_dict_keys.json";

    [SharedFact(Keys)]
    public void OfficialPreset_StateDict_MatchesOfficialKeysAndShapes()
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(TestPaths.Shared(Keys)!));
        // D_llm (the prior width) is not recoverable from the release; the key list leaves it symbolic.
        const int dLlm = 32;
        var expected = doc.RootElement.GetProperty("keys").EnumerateArray().ToDictionary(
            k => k.GetProperty("name").GetString()!,
            k => string.Join(",", k.GetProperty("shape").EnumerateArray().Select(d => d.ValueKind == JsonValueKind.String ? dLlm.ToString(CultureInfo.InvariantCulture) : d.GetRawText())));
        Assert.Equal(doc.RootElement.GetProperty("entries").GetInt32(), expected.Count);

        var config = SweetTokPresets.Get(SweetTokPresets.Official) with { SpatialPriorDim = dLlm, TemporalPriorDim = dLlm };
        var watch = Stopwatch.StartNew();
        using var model = new SweetTokModel(config);
        output.WriteLine($"official preset built in {watch.Elapsed.TotalSeconds:F1} s");
        var actual = model.state_dict().ToDictionary(kv => kv.Key, kv => string.Join(",", kv.Value.shape));

        var missing = expected.Keys.Except(actual.Keys).ToList();
        var unexpected = actual.Keys.Except(expected.Keys).ToList();
        Assert.True(missing.Count == 0 && unexpected.Count == 0,
            $"missing: {string.Join(", ", missing.Take(10))}; unexpected: {string.Join(", ", unexpected.Take(10))}");
        foreach (var (key, shape) in expected)
            Assert.True(shape == actual[key], $"{key}: official [{shape}], Tessera [{actual[key]}]");
        var parameters = model.parameters().Sum(p => p.numel());
        Assert.Equal(doc.RootElement.GetProperty("params_with_D_llm_32").GetInt64(), parameters);
    }

    [Fact]
    public void OfficialPreset_HasTheOfficialGeometry()
    {
        var c = SweetTokPresets.Get(SweetTokPresets.Official);
        c.Validate();
        Assert.Equal((17, 256, 5, 32), (c.Frames, c.ImageSize, c.LatentFrames, c.GridSize));
        Assert.Equal((256, 1024, 256), (c.NumSpatialLatentTokens, c.NumTemporalLatentTokens, c.EDim));
        Assert.Equal(("ttwwtttt", "tttttttt", 8, 4), (c.EncBlock, c.DecBlock, c.SpatialDepth, c.TemporalDepth));
        Assert.Equal(1365, FeedForward.InnerDim(c.Dim, c.FfMult));
        Assert.Throws<ConfigException>(() => SweetTokPresets.Get("sweettok_nope"));
    }

    public static TheoryData<string, object> Broken => new()
    {
        { "frames - 1", Edit(c => c with { Frames = 16 }) },
        { "patch_size", Edit(c => c with { ImageSize = 100 }) },
        { "2 x e_dim", Edit(c => c with { EDim = 128 }) },
        { "one temporal query per position", Edit(c => c with { NumTemporalLatentTokens = 256 }) },
        { "block 'x'", Edit(c => c with { EncBlock = "ttxwtttt" }) },
        { "same depth", Edit(c => c with { DecBlock = "tttt" }) },
        { "window_size 5", Edit(c => c with { WindowSize = 5 }) },
        { "multiple of 4", Edit(c => c with { DimHead = 66 }) },
    };

    private static object Edit(Func<SweetTokConfig, SweetTokConfig> edit) => edit;

    [Theory]
    [MemberData(nameof(Broken))]
    public void Validate_NamesTheBrokenKey(string expected, object editValue)
    {
        // xunit theory parameters must be public types; SweetTokConfig is internal to the library.
        var edit = (Func<SweetTokConfig, SweetTokConfig>)editValue;
        var ex = Assert.Throws<ConfigException>(() => edit(SweetTokPresets.Get(SweetTokPresets.Official)).Validate());
        Assert.Contains(expected, ex.Message, StringComparison.Ordinal);
    }
}
