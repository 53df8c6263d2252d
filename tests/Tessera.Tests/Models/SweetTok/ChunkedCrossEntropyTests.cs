using Tessera.Models.SweetTok;
using static TorchSharp.torch;

namespace Tessera.Tests.Models.SweetTok;

[DisposeScopePerTest]
public sealed class ChunkedCrossEntropyTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(5)]
    [InlineData(16)]
    [InlineData(100)]
    public void Chunked_EqualsUnchunked_InLossAndGradient(int chunk)
    {
        using var generator = new Generator(7);
        using var values = randn(new long[] { 2, 16, 2, 3, 3 }, generator: generator) * 3;
        using var targets = randint(16, new long[] { 2, 2, 3, 3 }, generator: generator);

        using var a = values.clone().requires_grad_(true);
        using var reference = nn.functional.cross_entropy(a, targets);
        reference.backward();
        using var b = values.clone().requires_grad_(true);
        using var chunked = ChunkedCrossEntropy.Compute(b, targets, chunk);
        chunked.backward();

        Assert.True(Math.Abs(reference.item<float>() - chunked.item<float>()) <= 1e-6 * Math.Abs(reference.item<float>()),
            $"loss {chunked.item<float>():R} vs {reference.item<float>():R}");
        using var diff = (a.grad! - b.grad!).abs().max();
        using var scale = a.grad!.abs().max();
        Assert.True(diff.item<float>() <= 1e-6 * scale.item<float>(), $"gradient differs by {diff.item<float>():G3} (scale {scale.item<float>():G3})");
    }

    [Fact]
    public void MismatchedGrid_IsRefused()
    {
        using var logits = zeros(new long[] { 1, 8, 2, 2, 2 });
        using var targets = zeros(new long[] { 1, 2, 4, 4 }, ScalarType.Int64);
        var e = Assert.Throws<InvalidInputException>(() => ChunkedCrossEntropy.Compute(logits, targets, 4));
        Assert.Contains("same grid", e.Message);
    }
}
