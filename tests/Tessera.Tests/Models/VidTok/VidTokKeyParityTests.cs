using System.Globalization;
using Tessera.Models.VidTok;

namespace Tessera.Tests.Models.VidTok;

/// <summary>
/// Every preset builds a module tree whose state-dict keys and shapes equal the official checkpoint's
/// (key lists read from the real reference models, committed in Fixtures/vidtok-keys, see its PROVENANCE.md).
/// No remapping exists anywhere.
/// </summary>
[DisposeScopePerTest]
public sealed class VidTokKeyParityTests
{
    private const string Keys = "vidtok-keys";

    public static TheoryData<string> Presets => new(VidTokPresets.Names);

    [Fact]
    public void EveryPresetHasAnOfficialKeyListAndViceVersa()
    {
        var lists = Directory.GetFiles(TestPaths.Fixture(Keys), "*.keys.txt").Select(f => Path.GetFileName(f)[..^".keys.txt".Length]).Order(StringComparer.Ordinal);
        Assert.Equal(VidTokPresets.Names.Order(StringComparer.Ordinal), lists);
    }

    [Theory]
    [MemberData(nameof(Presets))]
    public void StateDict_MatchesOfficialKeyList(string preset)
    {
        var file = TestPaths.Fixture(Keys, preset + ".keys.txt");
        Assert.True(File.Exists(file), $"no official key list for {preset}");
        var expected = File.ReadAllLines(file)
            .Where(l => l.StartsWith("encoder.", StringComparison.Ordinal) || l.StartsWith("decoder.", StringComparison.Ordinal))
            .Select(l => l.Split('\t'))
            .ToDictionary(p => p[0], p => p[1]);

        using var model = new VidTokModel(VidTokPresets.Get(preset));
        var actual = model.state_dict().ToDictionary(kv => kv.Key, kv => "[" + string.Join(", ", kv.Value.shape.Select(d => d.ToString(CultureInfo.InvariantCulture))) + "]");

        var missing = expected.Keys.Except(actual.Keys).ToList();
        var unexpected = actual.Keys.Except(expected.Keys).ToList();
        Assert.True(missing.Count == 0 && unexpected.Count == 0,
            $"missing: {string.Join(", ", missing.Take(10))}; unexpected: {string.Join(", ", unexpected.Take(10))}");
        foreach (var (key, shape) in expected)
            Assert.True(shape == actual[key], $"{key}: official {shape}, Tessera {actual[key]}");
    }
}
