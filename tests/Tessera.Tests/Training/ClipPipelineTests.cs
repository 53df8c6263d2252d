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
