using Tessera.Evaluation;
using Tessera.Inference;
using Tessera.Metrics;
using Tessera.Models.VidTok;
using Tessera.Tests.Inference;
using Tessera.Tests.Video;
using static TorchSharp.torch;

namespace Tessera.Tests.Evaluation;

/// <summary>How evaluation clips become FVD clips: 16-frame windows from each clip's start (a recording stand-in for I3D).</summary>
[DisposeScopePerTest]
public sealed class EvaluatorFvdTests : IDisposable
{
    private readonly TempDir dir = new();
    private readonly VidTokModel model = TinyModels.Model(VidTokFamily.CausalV1_1);

    public void Dispose()
    {
        model.Dispose();
        dir.Dispose();
    }

    /// <summary>Records the clip shapes it is given; features are the first 4 values of each clip.</summary>
    private sealed class Recorder : IVideoFeatureExtractor
    {
        public List<long[]> Shapes { get; } = [];
        public string Name => "recorder";
        public int FeatureDim => 4;

        public Tensor Features(Tensor clips)
        {
            Shapes.Add(clips.shape);
            return clips.reshape(clips.shape[0], -1).narrow(1, 0, 4).to_type(ScalarType.Float64);
        }

        public void Dispose() { }
    }

    private string Video(int frames)
    {
        var path = dir.File($"v{frames}.mkv");
        TestMedia.Ffmpeg("-f", "lavfi", "-i", "testsrc2=size=16x16:rate=10", "-frames:v", $"{frames}", "-c:v", "ffv1", path);
        return path;
    }

    private EvalRun Run(string video, Recorder recorder, int? clipFrames = null, bool longVideo = false)
    {
        using var tokenizer = new VideoTokenizer(model, new TokenizerOptions { TemporalChunk = 8 });
        var evaluator = new Evaluator(tokenizer, new EvalOptions
        {
            Fps = 10, Size = (16, 16), ClipFrames = clipFrames, LongVideo = longVideo, FvdExtractor = recorder, SampleFrames = 0,
        });
        return evaluator.Run([(video, "v")], video, "tiny");
    }

    [Fact]
    public void CausalClipsOf17Frames_GiveTheirFirst16Frames()
    {
        var recorder = new Recorder();
        var run = Run(Video(34), recorder);     // two 17-frame clips

        Assert.Equal(4, recorder.Shapes.Count);  // 2 clips × (original, reconstruction)
        Assert.All(recorder.Shapes, s => Assert.Equal([1L, 3, 16, 16, 16], s));
        Assert.Equal(2, run.FvdClips);
        Assert.Equal("recorder", run.FvdFeatures);
        Assert.NotNull(run.Fvd);
        Assert.Equal(16, run.Settings.FvdClipFrames);
    }

    [Fact]
    public void LongVideo_IsCutIntoConsecutive16FrameWindows()
    {
        var recorder = new Recorder();
        var run = Run(Video(41), recorder, longVideo: true);   // 8·⌊40/8⌋+1 = 41 frames: windows 0–15, 16–31; 9 left out

        Assert.Equal(4, recorder.Shapes.Count);
        Assert.Equal(2, run.FvdClips);
        Assert.NotNull(run.Fvd);
    }

    [Fact]
    public void ClipsShorterThan16Frames_ReportFvdAbsent_WithAWarning()
    {
        var recorder = new Recorder();
        var run = Run(Video(16), recorder, clipFrames: 8);

        Assert.Empty(recorder.Shapes);
        Assert.Null(run.Fvd);
        Assert.Contains(run.Warnings, w => w.Contains("at least 16 frames", StringComparison.Ordinal));
    }
}
