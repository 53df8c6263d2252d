using Tessera.Tests.Video;
using Tessera.Training.Data;
using static TorchSharp.torch;

namespace Tessera.Tests.Training;

[DisposeScopePerTest]
public sealed class ClipPipelineTests : IDisposable
{
    private readonly TempDir dir = new();
    private readonly string videos;

    public ClipPipelineTests()
    {
        videos = Directory.CreateDirectory(dir.File("videos")).FullName;
        TestMedia.Ffmpeg("-f", "lavfi", "-i", "testsrc2=size=48x40:rate=10:duration=3", "-pix_fmt", "yuv420p", Path.Combine(videos, "a.mp4"));
        TestMedia.Ffmpeg("-f", "lavfi", "-i", "mandelbrot=size=48x40:rate=10", "-t", "2", "-pix_fmt", "yuv420p", Path.Combine(videos, "b.mp4"));
    }

    public void Dispose() => dir.Dispose();

    [Fact]
    public void Sampler_IsAPureFunctionOfSeedAndIndex_AndVisitsEveryVideoEachEpoch()
    {
        var spec = new ClipSpec { Frames = 5, Fps = 5, Size = 32 };
        var a = new ClipSampler([300, 120, 50], [30, 25, 10], spec, seed: 7);
        var b = new ClipSampler([300, 120, 50], [30, 25, 10], spec, seed: 7);
        var c = new ClipSampler([300, 120, 50], [30, 25, 10], spec, seed: 8);
        var first = Enumerable.Range(0, 30).Select(i => a.Sample(i)).ToArray();
        Assert.Equal(first, Enumerable.Range(0, 30).Select(i => b.Sample(i)).ToArray());
        Assert.NotEqual(first, Enumerable.Range(0, 30).Select(i => c.Sample(i)).ToArray());
        for (var epoch = 0; epoch < 10; epoch++)
            Assert.Equal([0, 1, 2], first.Skip(3 * epoch).Take(3).Select(r => r.Video).Order().ToArray());
        // video 0: 30 fps sampled at 5 fps -> interval 6, a 5-frame clip spans 25 source frames
        Assert.All(first.Where(r => r.Video == 0), r => Assert.InRange(r.StartFrame, 0, 300 - 25 - 1));
    }

    [Fact]
    public void RandomFlip_MirrorsAboutHalfTheClips_AndLeavesEveryOtherDrawAlone()
    {
        var plain = new ClipSampler([300, 120, 50], [30, 25, 10], new ClipSpec { Frames = 5, Fps = 5, Size = 32 }, seed: 7);
        var flipping = new ClipSampler([300, 120, 50], [30, 25, 10], new ClipSpec { Frames = 5, Fps = 5, Size = 32, RandomFlip = true }, seed: 7);
        var a = Enumerable.Range(0, 400).Select(i => plain.Sample(i)).ToArray();
        var b = Enumerable.Range(0, 400).Select(i => flipping.Sample(i)).ToArray();
        Assert.All(a, r => Assert.False(r.Flip));
        Assert.Equal(a, b.Select(r => r with { Flip = false }).ToArray());
        Assert.InRange(b.Count(r => r.Flip), 150, 250);
        var evaluation = new ClipSampler([300], [30], new ClipSpec { Frames = 5, Fps = 5, Size = 32, RandomFlip = true, RandomCrop = false }, seed: 7);
        Assert.All(Enumerable.Range(0, 50), i => Assert.False(evaluation.Sample(i).Flip));
    }

    [Fact]
    public void RandomHue_TurnsTheGivenShareOfClips_AndLeavesEveryEarlierDrawAlone()
    {
        var spec = new ClipSpec { Frames = 5, Fps = 5, Size = 32, RandomFlip = true };
        var plain = new ClipSampler([300, 120, 50], [30, 25, 10], spec, seed: 7);
        var turning = new ClipSampler([300, 120, 50], [30, 25, 10], spec with { RandomHue = 0.25 }, seed: 7);
        var a = Enumerable.Range(0, 400).Select(i => plain.Sample(i)).ToArray();
        var b = Enumerable.Range(0, 400).Select(i => turning.Sample(i)).ToArray();
        Assert.All(a, r => Assert.Null(r.Hue));
        Assert.Equal(a, b.Select(r => r with { Hue = null }).ToArray());
        Assert.InRange(b.Count(r => r.Hue is not null), 70, 130);
        Assert.All(b.Where(r => r.Hue is not null), r => Assert.InRange(r.Hue!.Value, 0, 2 * Math.PI));
        var evaluation = new ClipSampler([300], [30], spec with { RandomHue = 1, RandomCrop = false }, seed: 7);
        Assert.All(Enumerable.Range(0, 50), i => Assert.Null(evaluation.Sample(i).Hue));
    }

    [Fact]
    public void HueRotation_KeepsLumaAndGrey_MovesChroma_AndAFullTurnIsTheIdentity()
    {
        var m = HueRotation.Matrix(2.0);
        double[] luma = [0.299, 0.587, 0.114];
        for (var j = 0; j < 3; j++)
        {
            // Y of the output equals Y of the input for every colour; each row sends grey (1, 1, 1) to itself.
            Assert.Equal(luma[j], luma[0] * m[0, j] + luma[1] * m[1, j] + luma[2] * m[2, j], 1e-5);
            Assert.Equal(1.0, m[j, 0] + m[j, 1] + m[j, 2], 1e-5);
        }
        var identity = HueRotation.Matrix(2 * Math.PI);
        for (var i = 0; i < 3; i++)
            for (var j = 0; j < 3; j++)
                Assert.Equal(i == j ? 1.0 : 0.0, identity[i, j], 1e-9);

        // Green turned by half a turn becomes magenta-like: red and blue above green; grey stays grey.
        using var pixels = tensor(new float[] { -1f, 0.5f, 0f, 1f, 0.5f, 0f, -1f, 0.5f, 0f }, [3, 3]);   // columns: green, grey, black
        using var turned = HueRotation.Apply(pixels, Math.PI);
        var v = turned.data<float>().ToArray();
        Assert.True(v[0] > v[3] && v[6] > v[3], $"green turned by pi: {v[0]}, {v[3]}, {v[6]}");
        Assert.Equal(0.5f, v[1], 1e-5f); Assert.Equal(0.5f, v[4], 1e-5f); Assert.Equal(0.5f, v[7], 1e-5f);
        Assert.True(turned.le(1).all().item<bool>() && turned.ge(-1).all().item<bool>());
    }

    [Fact]
    public void Decoder_TurnsTheHueOfARequestThatAsksForIt()
    {
        var data = VideoDataset.Load(videos);
        var decoder = new ClipDecoder(data, new ClipSpec { Frames = 5, Fps = 5, Size = 32 });
        var request = new ClipRequest(0, 3, 1.0, 0.5, 0.25);
        using var straight = decoder.Decode(request);
        using var turned = decoder.Decode(request with { Hue = 1.0 });
        using var expected = HueRotation.Apply(straight, 1.0);
        Assert.True(turned.allclose(expected, rtol: 0, atol: 1e-6));
        Assert.False(turned.allclose(straight, rtol: 0, atol: 1e-2));
    }

    [Fact]
    public void Decoder_MirrorsAFlippedClipLeftToRight()
    {
        var data = VideoDataset.Load(videos);
        var decoder = new ClipDecoder(data, new ClipSpec { Frames = 5, Fps = 5, Size = 32 });
        var request = new ClipRequest(0, 3, 1.0, 0.5, 0.25);
        using var straight = decoder.Decode(request);
        using var mirrored = decoder.Decode(request with { Flip = true });
        using var back = mirrored.flip(3);
        Assert.True(back.equal(straight).all().item<bool>());
        Assert.False(mirrored.equal(straight).all().item<bool>());
    }

    [Fact]
    public void Loader_GivesTheSameBatchesWhateverThePrefetchAndStartPosition()
    {
        var data = VideoDataset.Load(videos);
        var spec = new ClipSpec { Frames = 5, Fps = 5, Size = 32 };
        using var a = new ClipLoader(data, spec, seed: 3, batchSize: 2, startBatch: 0, prefetch: 1);
        using var b = new ClipLoader(data, spec, seed: 3, batchSize: 2, startBatch: 2, prefetch: 3);
        using var c = new ClipLoader(data, spec, seed: 3, batchSize: 2, startBatch: 1, prefetch: 0);
        using var a0 = a.Next();
        using var a1 = a.Next();
        using var a2 = a.Next();
        using var b2 = b.Next();
        using var c1 = c.Next();
        using var c2 = c.Next();
        Assert.Equal(new long[] { 2, 3, 5, 32, 32 }, a2.shape);
        Assert.True(a2.equal(b2).all().item<bool>());
        Assert.True(a1.equal(c1).all().item<bool>());
        Assert.True(a2.equal(c2).all().item<bool>());
        Assert.Equal(3, a.Position);
        Assert.InRange(a0.min().item<float>(), -1f, 1f);
    }

    [Fact]
    public void Dataset_SkipsUnreadableFilesAndReportsThem()
    {
        File.WriteAllBytes(Path.Combine(videos, "broken.mp4"), new byte[2048]);
        var data = VideoDataset.Load(videos);
        Assert.Equal(2, data.Videos.Count);
        Assert.Single(data.Skipped);
        Assert.Contains("broken.mp4", data.Skipped[0].Path);
    }
}
