using Tessera.Metrics;
using TorchSharp;
using static TorchSharp.torch;

namespace Tessera.Tests.Metrics;

[DisposeScopePerTest]
public class CodebookUsageTests
{
    [Fact]
    public void HandComputedHistogram()
    {
        // K = 8; ids 0,0,0,0,1,1,2,3 → p = 1/2, 1/4, 1/8, 1/8: H = 0.5·1 + 0.25·2 + 2·0.125·3 = 1.75 bits, perplexity 2^1.75.
        using var ids = tensor(new long[] { 0, 1, 0, 2, 0, 3, 1, 0 }).reshape(2, 4);
        var r = CodebookUsage.Compute(ids, 8);
        Assert.Equal(8, r.CodebookSize);
        Assert.Equal(8, r.Tokens);
        Assert.Equal(4, r.UsedCodes);
        Assert.Equal(0.5, r.Utilisation, 12);
        Assert.Equal(1.75, r.EntropyBits, 12);
        Assert.Equal(Math.Pow(2, 1.75), r.Perplexity, 12);
        Assert.Equal(1.75 / 3, r.NormalisedEntropy, 12);
    }

    [Fact]
    public void AccumulatesAcrossVideosAndDtypes()
    {
        var acc = new CodebookUsage(4);
        using (var a = tensor(new int[] { 0, 1 }).reshape(1, 1, 2)) acc.Add(a);          // int32, a [B, T, H, W]-like shape
        using (var b = tensor(new short[] { 2, 3, 3, 3 })) acc.Add(b);                   // int16
        using (var empty = zeros(new long[] { 0 }, dtype: ScalarType.Int64)) acc.Add(empty);
        Assert.Equal(new long[] { 1, 1, 1, 3 }, acc.Histogram);
        var r = acc.Result();
        Assert.Equal(6, r.Tokens);
        Assert.Equal(1.0, r.Utilisation);
        // p = 1/6, 1/6, 1/6, 1/2
        double h = -(3 * (1.0 / 6) * Math.Log2(1.0 / 6) + 0.5 * Math.Log2(0.5));
        Assert.Equal(h, r.EntropyBits, 12);
        Assert.Equal(Math.Exp(h * Math.Log(2)), r.Perplexity, 12);
    }

    [Fact]
    public void UniformAndSingleCodeExtremes()
    {
        using var uniform = arange(16, dtype: ScalarType.Int64).repeat(3);
        var u = CodebookUsage.Compute(uniform, 16);
        Assert.Equal(4.0, u.EntropyBits, 12);
        Assert.Equal(16.0, u.Perplexity, 10);
        Assert.Equal(1.0, u.NormalisedEntropy, 12);

        using var single = full(new long[] { 10 }, 5L, dtype: ScalarType.Int64);
        var s = CodebookUsage.Compute(single, 1024);
        Assert.Equal(1, s.UsedCodes);
        Assert.Equal(1.0 / 1024, s.Utilisation, 15);
        Assert.Equal(0.0, s.EntropyBits);
        Assert.Equal(1.0, s.Perplexity);
    }

    [Fact]
    public void RejectsOutOfRangeAndNonIntegerIdsWithoutCounting()
    {
        var acc = new CodebookUsage(4);
        using var bad = tensor(new long[] { 0, 4 });
        using var negative = tensor(new long[] { -1, 2 });
        using var floats = tensor(new float[] { 0, 1 });
        Assert.Throws<InvalidInputException>(() => acc.Add(bad));
        Assert.Throws<InvalidInputException>(() => acc.Add(negative));
        Assert.Throws<InvalidInputException>(() => acc.Add(floats));
        Assert.Equal(0, acc.Tokens);
        Assert.Throws<InvalidOperationException>(() => acc.Result());
    }

    [Fact]
    public void MergesAccumulatorsOfTheSameSize()
    {
        var run = new CodebookUsage(8);
        var video = new CodebookUsage(8);
        using (var a = tensor(new long[] { 0, 0, 1, 1 })) run.Add(a);
        using (var b = arange(8, dtype: ScalarType.Int64)) video.Add(b);
        run.Add(video);
        Assert.Equal(12, run.Tokens);
        Assert.Equal(new long[] { 3, 3, 1, 1, 1, 1, 1, 1 }, run.Histogram);
        Assert.Equal(8, video.Tokens);                                       // the added one is unchanged
        Assert.Throws<ArgumentException>(() => run.Add(new CodebookUsage(4)));
    }
}
