using Tessera.Inference;
using Tessera.Models;
using static TorchSharp.torch;

namespace Tessera.Tests.Inference;

[DisposeScopePerTest]
public sealed class TokenIdsTests
{
    // SweetTok's four groups per clip, with made-up sizes; the config needs no registered family.
    private sealed record FourGroups : ModelConfig
    {
        public override string FamilyName => "four-groups";

        public override ModelCard Card => new()
        {
            Family = FamilyName,
            Name = Name,
            Frames = FrameRule.Exactly(17),
            SpatialMultiple = 8,
            Range = new ValueRange(-0.5, 0.5),
            Compression = new Compression(4, 8, 8),
            TokenGroups =
            [
                new TokenGroup("adjective", ["N_s", "2"], 16),
                new TokenGroup("noun", ["N_s"], 8),
                new TokenGroup("adverb", ["N_t", "2"], 4),
                new TokenGroup("verb", ["N_t"], 2),
            ],
            EvalClipFrames = 17,
        };
    }

    private static Dictionary<string, Tensor> Groups(int spatial = 3, int temporal = 5) => new()
    {
        ["adjective"] = zeros(new long[] { 1, spatial, 2 }, ScalarType.Int32),
        ["noun"] = zeros(new long[] { 1, spatial }, ScalarType.Int32),
        ["adverb"] = zeros(new long[] { 1, temporal, 2 }, ScalarType.Int32),
        ["verb"] = zeros(new long[] { 1, temporal }, ScalarType.Int32),
    };

    [Fact]
    public void NamedGroups_CountAndBitsSumOverGroups()
    {
        using var code = new TokenIds(Groups(), new FourGroups(), frames: 17);
        Assert.Equal(["adjective", "noun", "adverb", "verb"], code.TokenGroups.Select(g => g.Name));
        Assert.Equal(6 + 3 + 10 + 5, code.Count);
        Assert.Equal(6 * 4 + 3 * 3 + 10 * 2 + 5 * 1, code.Bits, 9);
        Assert.Equal(1L, code.BatchSize);
        Assert.Equal(new long[] { 1, 5 }, code["verb"].shape);
        var e = Assert.Throws<InvalidOperationException>(() => code.Ids);
        Assert.Contains("4 token groups", e.Message);
    }

    [Fact]
    public void MissingGroup_IsRejectedNamingTheGroups()
    {
        var groups = Groups();
        groups.Remove("verb");
        var e = Assert.Throws<InvalidInputException>(() => new TokenIds(groups, new FourGroups(), frames: 17));
        Assert.Contains("adjective, noun, adverb, verb", e.Message);
    }

    [Fact]
    public void WrongRank_IsRejectedNamingTheAxes()
    {
        var groups = Groups();
        groups["noun"] = zeros(new long[] { 1, 3, 2 }, ScalarType.Int32);
        var e = Assert.Throws<InvalidInputException>(() => new TokenIds(groups, new FourGroups(), frames: 17));
        Assert.Contains("'noun' must be int32 [B, N_s]", e.Message);
    }
}
