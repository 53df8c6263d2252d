using Tessera.Video;
using static TorchSharp.torch;

namespace Tessera.Tests.Video;

[DisposeScopePerTest]
public sealed class YiqTests
{
    [Fact]
    public void Chroma_IsZeroForGrey_AndTheIqRowsForPrimaries()
    {
        // [B, C, T] with the channel in dimension 1: grey, red, green, blue.
        var rgb = tensor(new float[] { 0.3f, 1, 0, 0, 0.3f, 0, 1, 0, 0.3f, 0, 0, 1 }, [1, 3, 4]);
        var iq = Yiq.Chroma(rgb, 1);
        Assert.Equal([1L, 2, 4], iq.shape);
        var v = iq.data<float>().ToArray();   // I of grey, red, green, blue; then Q of each
        Assert.Equal(0, v[0], 1e-6);
        Assert.Equal(0, v[4], 1e-6);
        Assert.Equal(0.595716, v[1], 1e-6);
        Assert.Equal(-0.274453, v[2], 1e-6);
        Assert.Equal(-0.321263, v[3], 1e-6);
        Assert.Equal(0.211456, v[5], 1e-6);
        Assert.Equal(-0.522591, v[6], 1e-6);
        Assert.Equal(0.311135, v[7], 1e-6);
    }
}
