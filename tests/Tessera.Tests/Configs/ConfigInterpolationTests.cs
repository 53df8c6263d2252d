using Tessera.Configs;

namespace Tessera.Tests.Configs;

[DisposeScopePerTest]
public sealed class ConfigInterpolationTests
{
    private static ConfigDocument Doc(string yaml) => ConfigDocument.Parse(yaml, "interp.yaml");

    [Fact]
    public void WholeValue_TakesTheTargetNode_AtTheNewPath()
    {
        var doc = Doc("""
            model:
              params:
                encoder_config:
                  params: {ch: 128, ch_mult: [1, 2, 4, 4], norm_type: layernorm}
                decoder_config:
                  params: ${model.params.encoder_config.params}
            """);
        var dec = doc.Resolve("model.params.decoder_config.params").AsMapping();
        Assert.Equal(128, dec.GetInt("ch"));
        Assert.Equal([1, 2, 4, 4], dec.GetIntList("ch_mult"));
        Assert.Equal("model.params.decoder_config.params.ch", dec.Get("ch").Path);
        // Errors on the copy name the key where it was used.
        var e = Assert.Throws<ConfigException>(() => dec.GetBool("ch"));
        Assert.Contains("key 'model.params.decoder_config.params.ch'", e.Message);
    }

    [Fact]
    public void WholeValue_KeepsScalarTypes()
    {
        var root = Doc("a: 3\nb: ${a}\nc: 1e-5\nd: ${c}\ne: true\nf: ${e}\n").ResolveAll();
        Assert.Equal(3, root.GetInt("b"));
        Assert.Equal(1e-5, root.GetDouble("d"));
        Assert.True(root.GetBool("f"));
    }

    [Fact]
    public void Embedded_IsSubstitutedAsText()
    {
        var root = Doc("""
            name: vidtok
            z: 4
            flag: false
            tag: "x_${name}_${z}chn"
            plain: ${name}-${flag}
            escaped: "\\${name}"
            """).ResolveAll();
        Assert.Equal("x_vidtok_4chn", root.GetString("tag"));
        Assert.Equal("vidtok-False", root.GetString("plain"));
        Assert.Equal("${name}", root.GetString("escaped"));
    }

    [Fact]
    public void NestedChains_AndPathsThroughInterpolatedNodes()
    {
        var root = Doc("""
            a: {x: {y: 5}}
            b: ${a}
            c: ${b.x}
            d: ${c.y}
            list: [10, 20, 30]
            e: ${list[1]}
            f: ${list.2}
            """).ResolveAll();
        Assert.Equal(5, root.GetInt("d"));
        Assert.Equal(5, root.GetMapping("c").GetInt("y"));
        Assert.Equal(20, root.GetInt("e"));
        Assert.Equal(30, root.GetInt("f"));
    }

    [Fact]
    public void Relative_SiblingAndParent()
    {
        var root = Doc("""
            model:
              ch: 64
              enc:
                ch: 128
                width: ${.ch}
                outer: ${..ch}
            """).ResolveAll();
        var enc = root.GetMapping("model").GetMapping("enc");
        Assert.Equal(128, enc.GetInt("width"));
        Assert.Equal(64, enc.GetInt("outer"));
    }

    [Theory]
    [InlineData("a: 1\nb: ${a.c}\n", "interp.yaml:2: key 'b': interpolation '${a.c}' cannot be resolved: 'a' is an integer, not a mapping or sequence")]
    [InlineData("a:\n  x: 1\nb: ${a.y}\n", "interp.yaml:3: key 'b': interpolation '${a.y}' cannot be resolved: missing key 'a.y'")]
    [InlineData("a:\n  x: 1\nb: \"v${nope}\"\n", "interp.yaml:3: key 'b': interpolation '${nope}' cannot be resolved: missing key 'nope'")]
    [InlineData("a: [1]\nb: ${a[3]}\n", "interp.yaml:2: key 'b': interpolation '${a[3]}' cannot be resolved: missing key 'a.3'")]
    public void MissingTarget_NamesFileKeyAndTarget(string yaml, string expected)
    {
        var e = Assert.Throws<ConfigException>(() => Doc(yaml).ResolveAll());
        Assert.Equal(expected, e.Message);
    }

    [Fact]
    public void Cycle_IsDetected()
    {
        var e = Assert.Throws<ConfigException>(() => Doc("a: ${b}\nb: ${c}\nc: ${a}\n").ResolveAll());
        Assert.Contains("interp.yaml:1: key 'a': interpolation cycle: a -> b -> c -> a", e.Message);

        var self = Assert.Throws<ConfigException>(() => Doc("a:\n  x: 1\n  me: ${a}\n").ResolveAll());
        Assert.Contains("interpolation cycle", self.Message);
        Assert.Contains("a.me", self.Message);

        var embedded = Assert.Throws<ConfigException>(() => Doc("a: \"x${b}\"\nb: \"y${a}\"\n").ResolveAll());
        Assert.Contains("interpolation cycle: a -> b -> a", embedded.Message);
    }

    [Fact]
    public void UnusedSections_AreNotResolved()
    {
        var doc = Doc("model:\n  ch: 3\ndata:\n  dir: ${oc.env:DATA_DIR}\n  broken: ${nowhere}\n");
        Assert.Equal(3, doc.Resolve("model").AsMapping().GetInt("ch"));
        Assert.Null(doc.TryResolve("model.nothing"));
        var e = Assert.Throws<ConfigException>(() => doc.Resolve("data"));
        Assert.Contains("resolver interpolations such as '${oc.env:DATA_DIR}' are not supported", e.Message);
    }

    [Theory]
    [InlineData("a: ${b\n", "unterminated interpolation")]
    [InlineData("a: ${}\nb: 1\n", "empty interpolation")]
    [InlineData("a: ${b.${c}}\n", "nested interpolations are not supported")]
    [InlineData("a:\n  x: [1]\nb: \"v${a.x}\"\n", "inside text refers to a sequence")]
    [InlineData("a: ${...x}\n", "climbs above the document root")]
    public void MalformedInterpolations_AreErrors(string yaml, string expected)
    {
        var e = Assert.Throws<ConfigException>(() => Doc(yaml).ResolveAll());
        Assert.StartsWith("interp.yaml:", e.Message);
        Assert.Contains(expected, e.Message);
    }
}
