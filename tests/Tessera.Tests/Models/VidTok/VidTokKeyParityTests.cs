using System.Globalization;
using Tessera.Models.VidTok;

namespace Tessera.Tests.Models.VidTok;

/// <summary>
/// Every preset builds a module tree whose state-dict keys and shapes equal the official checkpoint's
/// (key lists read from the real reference models: shared/reference/vidtok-keys). No remapping exists anywhere.
/// </summary>
public sealed class VidTokKeyParityTests
{
    private const string Keys = "reference/vidtok-keys";

    public static TheoryData<string> Presets => new(VidTokPresets.Names);

    [SharedTheory(Keys + "/summary.json")]
    [MemberData(nameof(Presets))]
    public void StateDict_MatchesOfficialKeyList(string preset)
    {
        var file = TestPaths.Shared(Keys, preset + ".keys.txt");
        Assert.True(file is not null, $"no official key list for {preset}");
        var expected = File.ReadAllLines(file!)
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
