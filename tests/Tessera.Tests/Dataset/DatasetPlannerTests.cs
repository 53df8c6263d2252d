using Tessera.Dataset;
using Tessera.Video;

namespace Tessera.Tests.Dataset;

/// <summary>Plans from probed facts (no video decoding): windows, sampling, balance, unreadable videos, determinism.</summary>
[DisposeScopePerTest]
public sealed class DatasetPlannerTests
{
    private static VideoSource Probe(string path) => Path.GetFileName(path) switch
    {
        "a.mp4" => new VideoSource(path, 64, 48, 30, 300, 0),
        "b.mp4" => new VideoSource(path, 64, 48, 10, 7, 0),
        "c.mp4" => new VideoSource(path, 64, 48, 25, 50, 0),
        "nolength.mp4" => new VideoSource(path, 64, 48, 25, null, 0),
        _ => throw new InvalidVideoException($"{path}: not a readable video"),
    };

    private static readonly (string, string)[] Videos =
        [("/v/a.mp4", "a.mp4"), ("/v/broken.mp4", "broken.mp4"), ("/v/b.mp4", "b.mp4"), ("/v/c.mp4", "c.mp4"), ("/v/nolength.mp4", "nolength.mp4")];

    [Fact]
    public void Plan_CutsSampledWindows_BalancesShards_ListsUnreadable_AndIsDeterministic()
    {
        var sampling = new DatasetSampling { Fps = 10, FramesPerClip = 8, Stride = 6 };
        var plan = DatasetPlanner.Plan(Videos, sampling, 3, Probe);

        // a: 30 fps sampled at 10 → interval 3, 100 frames → starts 0, 6, …, 90 (16 windows); b: 7 frames, shorter than a
        // window → one window of 7; c: 25/10 rounds half to even → interval 2, 25 frames → starts 0, 6, 12 (3 windows).
        Assert.Equal([3, 1, 2], plan.Videos.Select(v => v.Interval));
        Assert.Equal([100L, 7, 25], plan.Videos.Select(v => v.SampledFrames));
        Assert.Equal(16, plan.Clips.Count(c => c.Video == 0));
        Assert.Equal(90, plan.Clips.Where(c => c.Video == 0).Max(c => c.Start));
        Assert.Equal((0, 7), plan.Clips.Where(c => c.Video == 1).Select(c => (c.Start, c.Frames)).Single());
        Assert.Equal([0, 6, 12], plan.Clips.Where(c => c.Video == 2).Select(c => c.Start));
        Assert.Equal("v000002-f000012", plan.Clips[^1].Key);
        Assert.Equal(["broken.mp4", "nolength.mp4"], plan.Unreadable.Select(u => u.Name));

        Assert.Equal(plan.Clips.Sum(c => (long)c.Frames), plan.ShardFrames.Sum());
        Assert.True(plan.ShardFrames.Max() - plan.ShardFrames.Min() <= 8, string.Join(",", plan.ShardFrames));
        for (var s = 0; s < 3; s++) Assert.Equal(plan.ShardFrames[s], plan.ShardClips(s).Sum(c => (long)c.Frames));

        var again = DatasetPlanner.Plan(Videos, sampling, 3, Probe);
        Assert.Equal(plan.ToBytes(), again.ToBytes());
        using var dir = new TempDir();
        plan.Save(dir.Path);
        Assert.Equal(plan.Sha256(), DatasetPlan.Load(dir.Path).Sha256());
    }

    [Fact]
    public void Balancer_KeepsTheLargestShardWithinOneClipOfTheSmallest()
    {
        long[] frames = [16, 16, 9, 16, 3, 16, 16, 12, 16, 1];
        var (shard, load) = ShardBalancer.Assign(frames, 4);
        Assert.Equal(frames.Sum(), load.Sum());
        Assert.True(load.Max() - load.Min() <= frames.Max(), string.Join(",", load));
        for (var s = 0; s < 4; s++) Assert.Equal(load[s], frames.Where((_, i) => shard[i] == s).Sum());
    }
}
