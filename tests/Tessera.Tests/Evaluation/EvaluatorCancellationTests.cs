using Tessera.Evaluation;
using Tessera.Inference;
using Tessera.Models.VidTok;
using Tessera.Tests.Inference;
using Tessera.Tests.Video;

namespace Tessera.Tests.Evaluation;

/// <summary>A cancelled evaluation stops between clips, writes no report, and leaves no temporary behind.</summary>
[DisposeScopePerTest]
public sealed class EvaluatorCancellationTests : IDisposable
{
    private readonly TempDir dir = new();

    public void Dispose() => dir.Dispose();

    private sealed class SyncProgress(Action<EvalProgress> report) : IProgress<EvalProgress>
    {
        public void Report(EvalProgress value) => report(value);
    }

    [Fact]
    public void CancelledInTheSecondVideo_KeepsTheFirstVideosFiles_AndWritesNoSummary()
    {
        var videos = new List<(string, string)>();
        foreach (var name in new[] { "a", "b" })
        {
            var path = dir.File($"{name}.mkv");
            TestMedia.Ffmpeg("-f", "lavfi", "-i", "testsrc2=size=16x16:rate=10", "-frames:v", "34", "-c:v", "ffv1", path);
            videos.Add((path, name));
        }
        var output = dir.File("eval");
        using var tokenizer = new VideoTokenizer(TinyModels.Model(VidTokFamily.CausalV1_1), new TokenizerOptions { TemporalChunk = 8 });
        var evaluator = new Evaluator(tokenizer, new EvalOptions { Fps = 10, Size = (16, 16), SampleFrames = 0 });
        using var cancel = new CancellationTokenSource();
        var done = new List<string>();
        var clipsAfterCancel = 0;
        // Progress reports clip c of a video before running it: cancel once video b's first clip is done.
        var progress = new SyncProgress(p =>
        {
            if (cancel.IsCancellationRequested && p.Clips > 0 && p.Clip < p.Clips) clipsAfterCancel++;
            if (p.Name == "b" && p.Clip == 1 && p.Clips == 2) cancel.Cancel();
        });

        Assert.Throws<OperationCanceledException>(() => evaluator.Run(videos, dir.Path, "tiny", progress, v =>
        {
            done.Add(v.Name);
            EvalOutput.WriteVideo(output, v, evaluator.MetricNames);
        }, cancel.Token));

        Assert.Equal(["a"], done);
        Assert.Equal(0, clipsAfterCancel);
        Assert.Equal(["a.csv", "a.json"], Directory.EnumerateFiles(Path.Combine(output, "videos")).Select(Path.GetFileName).Order());
        Assert.Equal(["videos"], Directory.EnumerateFileSystemEntries(output).Select(Path.GetFileName));
    }
}
