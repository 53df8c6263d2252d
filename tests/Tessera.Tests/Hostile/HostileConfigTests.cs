using System.Diagnostics;
using System.Text;
using Tessera.Configs;

namespace Tessera.Tests.Hostile;

/// <summary>Small YAML files that used to overflow the stack or take minutes: each is refused quickly with a message naming the file.</summary>
[DisposeScopePerTest]
public sealed class HostileConfigTests
{
    private static ConfigException Refused(string yaml)
    {
        var watch = Stopwatch.StartNew();
        var e = Assert.Throws<ConfigException>(() => ConfigDocument.Parse(yaml, "hostile.yaml").ResolveAll());
        Assert.Contains("hostile.yaml", e.Message);
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(10), $"took {watch.Elapsed}");
        return e;
    }

    [Fact]
    public void RecursiveAlias_IsRefused() => Assert.Contains("refers to itself", Refused("a: &a [1, *a]\n").Message);

    [Fact]
    public void SelfMerge_IsRefused() => Assert.Contains("refers to itself", Refused("a: &a {x: 1, <<: *a}\n").Message);

    [Fact]
    public void LongInterpolationChain_IsRefusedByDepth()
    {
        var sb = new StringBuilder("k0: 1\n");
        for (var i = 1; i < 30_000; i++) sb.Append($"k{i}: ${{k{i - 1}}}\n");
        Assert.Contains("deeper than", Refused(sb.ToString()).Message);
    }

    [Fact]
    public void BillionLaughs_IsRefusedByNodeBudget()
    {
        var sb = new StringBuilder("l0: &l0 [x, x, x, x, x, x, x, x, x, x]\n");
        for (var i = 1; i < 10; i++) sb.Append($"l{i}: &l{i} [{string.Join(", ", Enumerable.Repeat($"*l{i - 1}", 10))}]\n");
        Assert.Contains("nodes", Refused(sb.ToString()).Message);
    }

    [Fact]
    public void ExponentialInterpolation_IsRefusedByBudget()
    {
        var sb = new StringBuilder("a0: xxxxxxxxxxxxxxxx\n");
        for (var i = 1; i < 40; i++) sb.Append($"a{i}: ${{a{i - 1}}}${{a{i - 1}}}\n");
        Assert.Contains("budget", Refused(sb.ToString()).Message);
    }

    [Fact]
    public void DeepNesting_IsRefused()
    {
        var yaml = "a: " + new string('[', 5000) + new string(']', 5000) + "\n";
        Refused(yaml);
    }

    [Fact]
    public void LargeMerge_IsLinear()
    {
        var sb = new StringBuilder("base: &b\n");
        for (var i = 0; i < 60_000; i++) sb.Append($"  k{i}: {i}\n");
        sb.Append("child:\n  <<: *b\n  extra: 1\n");
        var watch = Stopwatch.StartNew();
        var root = ConfigDocument.Parse(sb.ToString(), "merge.yaml").Root;
        Assert.Equal(60_001, root.GetMapping("child").Entries.Count);
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(20), $"took {watch.Elapsed}"); // quadratic merging took ~50 s
    }
}
