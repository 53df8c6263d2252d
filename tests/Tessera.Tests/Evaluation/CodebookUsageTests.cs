using Tessera.Evaluation;
using static TorchSharp.torch;

namespace Tessera.Tests.Evaluation;

public sealed class CodebookUsageTests
{
    [Fact]
    public void Utilisation_And_Perplexity()
    {
        var u = new CodebookUsage(8);
        using (var ids = tensor(new[] { 0, 0, 1, 1 }).view(1, 1, 2, 2)) u.Add(ids);
        Assert.Equal(4, u.Tokens);
        Assert.Equal(2, u.UsedCodes);
        Assert.Equal(0.25, u.Utilisation);
        Assert.Equal(2.0, u.Perplexity, 12);      // two equally likely codes
        Assert.Equal([4L, 0L], u.Binned(2));

        var v = new CodebookUsage(8);
        using (var ids = tensor(Enumerable.Range(0, 8).ToArray())) v.Add(ids);
        Assert.Equal(8.0, v.Perplexity, 12);       // uniform over the codebook
        u.Add(v);
        Assert.Equal(12, u.Tokens);
    }

    [Fact]
    public void Ids_BeyondTheCodebook_AreRefused()
    {
        var u = new CodebookUsage(4);
        using var ids = tensor(new[] { 5 });
        Assert.Throws<InvalidInputException>(() => u.Add(ids));
    }

    [Fact]
    public void Png_HasSignatureAndSize()
    {
        var png = Png.Encode(new byte[2 * 3 * 3], 2, 3);
        Assert.Equal([0x89, 0x50, 0x4E, 0x47], png[..4]);
        Assert.Equal(3, (png[16] << 24) | (png[17] << 16) | (png[18] << 8) | png[19]);  // IHDR width
    }
}
