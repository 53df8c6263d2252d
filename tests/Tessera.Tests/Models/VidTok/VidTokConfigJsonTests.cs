using Tessera.Models.VidTok;

namespace Tessera.Tests.Models.VidTok;

[DisposeScopePerTest]
public sealed class VidTokConfigJsonTests
{
    public static TheoryData<string> PresetNames => new(VidTokPresets.Names);

    [Theory]
    [MemberData(nameof(PresetNames))]
    public void RoundTrip_EveryPreset(string name)
    {
        var preset = VidTokPresets.Get(name);
        var json = VidTokConfigJson.Serialize(preset);
        var back = VidTokConfigJson.Deserialize(json, "meta.json");
        Assert.Equal(preset, back);
        Assert.Equal(json, VidTokConfigJson.Serialize(back));
    }

    [Fact]
    public void Serialize_FsqCausal_IsCompactSnakeCase()
    {
        var json = VidTokConfigJson.Serialize(VidTokPresets.Get("vidtok_fsq_causal_488_262144"));
        Assert.Equal(
            """{"name":"vidtok_fsq_causal_488_262144","family":"causal_v1_0","ch":128,"ch_mult":[1,2,4,4],"num_res_blocks":2,"in_channels":3,"out_ch":3,"time_downsample_factor":4,"norm_type":"layernorm","interpolation_mode":"nearest","regularizer":{"type":"fsq","levels":[8,8,8,8,8,8]}}""",
            json);
    }

    [Fact]
    public void Serialize_WritesLayoutListsOnlyWhenSet_AndKl()
    {
        var json = VidTokConfigJson.Serialize(VidTokPresets.Get("vidtok_kl_causal_288_8chn_v1_1"));
        Assert.Contains("\"family\":\"causal_v1_1\"", json);
        Assert.Contains("\"interpolation_mode\":\"trilinear\"", json);
        Assert.Contains("\"tempo_ds\":[1],\"tempo_us\":[2]", json);
        Assert.DoesNotContain("spatial_ds", json);
        Assert.Contains("\"regularizer\":{\"type\":\"kl\",\"z_channels\":8}", json);
        Assert.Contains("\"family\":\"noncausal\"", VidTokConfigJson.Serialize(VidTokPresets.Get("vidtok_kl_noncausal_488_4chn")));
    }

    private static string Json488(string replaceFrom = "", string replaceTo = "") =>
        VidTokConfigJson.Serialize(VidTokPresets.Get("vidtok_kl_causal_488_4chn")).Replace(replaceFrom, replaceTo, StringComparison.Ordinal);

    [Fact]
    public void Deserialize_AcceptsExplicitNullLayoutLists()
    {
        var c = VidTokConfigJson.Deserialize(Json488("\"regularizer\"", "\"spatial_ds\":null,\"regularizer\""), "m.json");
        Assert.Null(c.SpatialDs);
    }

    [Theory]
    [InlineData("\"ch\":128", "\"ch\":128,\"extra\":1", "key 'extra': unknown key")]
    [InlineData("\"ch\":128,", "", "missing key 'ch'")]
    [InlineData("\"ch\":128", "\"ch\":\"128\"", "key 'ch': expected an integer, got string \"128\"")]
    [InlineData("\"ch\":128", "\"ch\":128.5", "key 'ch': expected an integer, got number 128.5")]
    [InlineData("\"ch_mult\":[1,2,4,4]", "\"ch_mult\":[1,2,true,4]", "key 'ch_mult[2]': expected an integer")]
    [InlineData("\"causal_v1_0\"", "\"causal_v2\"", "key 'family': unknown value 'causal_v2'")]
    [InlineData("\"layernorm\"", "\"batchnorm\"", "key 'norm_type': unknown value 'batchnorm'")]
    [InlineData("\"type\":\"kl\"", "\"type\":\"vq\"", "key 'regularizer.type': unknown bottleneck 'vq'")]
    [InlineData("\"z_channels\":4", "\"levels\":[8]", "key 'regularizer.levels': unknown key")]
    [InlineData("\"z_channels\":4", "\"z_channels\":4,\"z_channels\":5", "key 'regularizer.z_channels': duplicate key")]
    [InlineData("\"ch\":128", "\"ch\":-1", "ch must be positive")]
    [InlineData("\"nearest\"", "\"trilinear\"", "interpolation_mode trilinear is only read by the causal v1.1 model")]
    public void Deserialize_RejectsBadInput_NamingFileAndKey(string from, string to, string expected)
    {
        var e = Assert.Throws<ConfigException>(() => VidTokConfigJson.Deserialize(Json488(from, to), "meta/tokens.json"));
        Assert.StartsWith("meta/tokens.json: ", e.Message);
        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public void Deserialize_InvalidJson_NamesFileAndLine()
    {
        var e = Assert.Throws<ConfigException>(() => VidTokConfigJson.Deserialize("{\n\"ch\": 1,\n oops }", "x.json"));
        Assert.StartsWith("x.json: invalid JSON at line 3", e.Message);
        Assert.Throws<ConfigException>(() => VidTokConfigJson.Deserialize("[1,2]", "x.json"));
    }
}
