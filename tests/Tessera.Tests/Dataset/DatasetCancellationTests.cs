using Tessera.Dataset;
using Tessera.Inference;
using Tessera.Models.VidTok;
using Tessera.Tests.Inference;
using Tessera.Tests.Video;

namespace Tessera.Tests.Dataset;

/// <summary>Cancelling dataset work from the library: it throws, writes no half file, and a rerun resumes.</summary>
[DisposeScopePerTest]
public sealed class DatasetCancellationTests
{
    [Fact]
    public void CancelledShard_KeepsItsFinishedClips_WritesNoTar_AndResumes()
    {
        using var dir = new TempDir();
        var video = dir.File("a.mkv");
        TestMedia.Ffmpeg("-f", "lavfi", "-i", "testsrc2=size=16x16:rate=10", "-frames:v", "30", "-c:v", "ffv1", video);
        var plan = DatasetPlanner.Plan([(video, "a.mkv")], new DatasetSampling { FramesPerClip = 5, Stride = 5 }, 1);
        Assert.Equal(6, plan.Clips.Count);
        using var tokenizer = new VideoTokenizer(TinyModels.Model(VidTokFamily.CausalV1_1));
        var model = new ShardModel("tiny", null, null, null);
        var output = dir.File("out");

        using var cancel = new CancellationTokenSource();
        var encoded = 0;
        var encoder = new ShardEncoder(plan, tokenizer, model, maxCount: 4) { Progress = _ => { if (++encoded == 2) cancel.Cancel(); } };
        Assert.Throws<OperationCanceledException>(() => encoder.Encode(0, output, cancel.Token));
        Assert.Equal(2, encoded);
        Assert.False(File.Exists(Path.Combine(output, ShardFiles.Marker(0))));
        Assert.Empty(Directory.EnumerateFiles(output, "*.tar"));
        Assert.Empty(Directory.EnumerateFiles(output, "*.tmp", SearchOption.AllDirectories));

        var outcome = new ShardEncoder(plan, tokenizer, model, maxCount: 4).Encode(0, output);
        Assert.Equal(2, outcome.ResumedClips);
        Assert.Equal(4, outcome.EncodedThisRun);

        // A cancelled merge writes neither index nor summary.
        Assert.Throws<OperationCanceledException>(() => DatasetMerger.Merge(output, cancellationToken: new CancellationToken(canceled: true)));
        Assert.False(File.Exists(Path.Combine(output, DatasetSummary.FileName)));
        Assert.False(File.Exists(Path.Combine(output, DatasetSummary.IndexName)));
    }
}
