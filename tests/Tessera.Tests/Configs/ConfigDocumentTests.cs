using Tessera.Configs;

namespace Tessera.Tests.Configs;

[DisposeScopePerTest]
public sealed class ConfigDocumentTests
{
    private static ConfigDocument Doc(string yaml) => ConfigDocument.Parse(yaml, "test.yaml");

    [Fact]
    public void Scalars_AreTypedLikeOmegaConf()
    {
        var root = Doc("""
            i: 42
            neg: -3
            hex: 0x10
            f: 0.25
            e: 1e-5
            E: 2.5E+3
            t: true
            T: True
            no_: no
            n: null
            tilde: ~
            s: layernorm
            q: "42"
            sq: 'true'
            """).ResolveAll();
        Assert.Equal(42, root.GetInt("i"));
        Assert.Equal(-3, root.GetInt("neg"));
        Assert.Equal(16, root.GetInt("hex"));
        Assert.Equal(0.25, root.GetDouble("f"));
        Assert.Equal(1e-5, root.GetDouble("e"));
        Assert.Equal(2500.0, root.GetDouble("E"));
        Assert.Equal(42.0, root.GetDouble("i"));
        Assert.True(root.GetBool("t"));
        Assert.True(root.GetBool("T"));
        Assert.False(root.GetBool("no_"));
        Assert.True(root.Get("n").IsNull);
        Assert.True(root.Get("tilde").IsNull);
        Assert.Equal("layernorm", root.GetString("s"));
        Assert.Equal("42", root.GetString("q"));
        Assert.Equal("true", root.GetString("sq"));
        Assert.Equal(ScalarKind.Float, root.Get("e").AsScalar().Kind);
    }

    [Fact]
    public void Getters_WithFallback_TreatMissingAndNullAsDefault()
    {
        var root = Doc("a: null\nl: [1, 2, 3]\n").ResolveAll();
        Assert.Equal(7, root.GetInt("a", 7));
        Assert.Equal(7, root.GetInt("missing", 7));
        Assert.Null(root.GetIntListOrNull("a"));
        Assert.Equal([1, 2, 3], root.GetIntList("l"));
    }

    [Theory]
    [InlineData("x: abc", "GetInt", "test.yaml:2: key 'model.x': expected an integer, got string 'abc'")]
    [InlineData("x: 1.5", "GetInt", "test.yaml:2: key 'model.x': expected an integer, got float '1.5'")]
    [InlineData("x: \"3\"", "GetInt", "test.yaml:2: key 'model.x': expected an integer, got string '3'")]
    [InlineData("x: 3", "GetBool", "test.yaml:2: key 'model.x': expected a boolean, got integer '3'")]
    [InlineData("x: yes please", "GetBool", "test.yaml:2: key 'model.x': expected a boolean, got string 'yes please'")]
    [InlineData("x: true", "GetDouble", "test.yaml:2: key 'model.x': expected a number, got boolean 'true'")]
    [InlineData("x: 12", "GetString", "test.yaml:2: key 'model.x': expected a string, got integer '12'")]
    [InlineData("x: [1, a]", "GetIntList", "test.yaml:2: key 'model.x[1]': expected an integer, got string 'a'")]
    [InlineData("x: {a: 1}", "GetIntList", "test.yaml:2: key 'model.x': expected a sequence, got mapping")]
    [InlineData("x: 99999999999", "GetInt", "test.yaml:2: key 'model.x': integer 99999999999 is out of range")]
    [InlineData("y: 1", "GetInt", "test.yaml:2: key 'model': missing key 'model.x'")]
    public void WrongTypes_NameFileLineAndKeyPath(string entry, string getter, string expected)
    {
        var model = Doc($"model:\n  {entry}\n").Resolve("model").AsMapping();
        Action call = getter switch
        {
            "GetInt" => () => model.GetInt("x"),
            "GetBool" => () => model.GetBool("x"),
            "GetDouble" => () => model.GetDouble("x"),
            "GetString" => () => model.GetString("x"),
            _ => () => model.GetIntList("x"),
        };
        var e = Assert.Throws<ConfigException>(call);
        Assert.Equal(expected, e.Message);
    }

    [Fact]
    public void BadSyntax_NamesFileAndLine()
    {
        var e = Assert.Throws<ConfigException>(() => Doc("model:\n  a: 1\n  b: [1, 2\nc: 3\n"));
        Assert.StartsWith("test.yaml:", e.Message);
        Assert.Contains("invalid YAML", e.Message);

        var flow = Assert.Throws<ConfigException>(() => Doc("a: 1\nb: {x: 1\n"));
        Assert.StartsWith("test.yaml:", flow.Message);
        Assert.Matches(@"invalid YAML at line \d+, column \d+", flow.Message);

        var tab = Assert.Throws<ConfigException>(() => Doc("a:\n  b: 1\n c: 2\n"));
        Assert.Contains("invalid YAML at line 3", tab.Message);
    }

    [Fact]
    public void DuplicateKeys_AreErrors()
    {
        var e = Assert.Throws<ConfigException>(() => Doc("a: 1\nb: 2\na: 3\n"));
        Assert.StartsWith("test.yaml", e.Message);
        Assert.Contains("uplicate", e.Message);
    }

    [Theory]
    [InlineData("", "the file holds no YAML document")]
    [InlineData("# only a comment\n", "the file holds no YAML document")]
    [InlineData("~\n", "the YAML document is empty")]
    [InlineData("- 1\n- 2\n", "the top level of a config must be a mapping")]
    [InlineData("a: 1\n---\nb: 2\n", "expected one YAML document, found 2")]
    public void NonMappingDocuments_AreErrors(string yaml, string expected)
    {
        var e = Assert.Throws<ConfigException>(() => Doc(yaml));
        Assert.StartsWith("test.yaml", e.Message);
        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public void AnchorsAndMergeKeys_AreSupported()
    {
        var root = Doc("""
            base: &b {ch: 128, z: 4}
            derived:
              <<: *b
              z: 8
            alias: *b
            """).ResolveAll();
        Assert.Equal(128, root.GetMapping("derived").GetInt("ch"));
        Assert.Equal(8, root.GetMapping("derived").GetInt("z"));
        Assert.Equal(4, root.GetMapping("alias").GetInt("z"));
    }

    [Fact]
    public void Load_MissingFile_IsConfigException()
    {
        var path = Path.Combine(Path.GetTempPath(), $"tessera-missing-{Guid.NewGuid():N}.yaml");
        var e = Assert.Throws<ConfigException>(() => ConfigDocument.Load(path));
        Assert.StartsWith(path, e.Message);
    }

    [Fact]
    public void Nodes_KnowTheirLines()
    {
        var root = Doc("a: 1\nb:\n  c: [1, 2]\n").Root;
        Assert.Equal(1, root.Get("a").Line);
        Assert.Equal(3, root.GetMapping("b").Get("c").Line);
        Assert.Equal("b.c[1]", root.GetMapping("b").GetSequence("c").Items[1].Path);
    }
}
