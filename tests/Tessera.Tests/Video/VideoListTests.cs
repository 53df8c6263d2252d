using Tessera.Video;

namespace Tessera.Tests.Video;

/// <summary>The one video list behind <c>tessera eval</c> and training's data set (no video is opened).</summary>
[DisposeScopePerTest]
public sealed class VideoListTests
{
    [Fact]
    public void Folder_IsSearchedRecursively_SortedByPath_VideoExtensionsOnly()
    {
        using var dir = new TempDir();
        Directory.CreateDirectory(dir.File("sub"));
        foreach (var f in new[] { "b.mp4", "a.MKV", "sub/c.webm", "notes.txt", "sub/d.json" }) File.WriteAllText(dir.File(f), "");

        var videos = VideoList.Load(dir.Path);

        Assert.Equal(["a.MKV", "b.mp4", "sub/c.webm"], videos.Select(v => v.Name));
        Assert.Equal(Path.Combine(Path.GetFullPath(dir.Path), "sub", "c.webm"), videos[2].Path);
    }

    [Fact]
    public void Manifest_PathsRelativeToTheCsv_QuotedFields_SplitFilter()
    {
        using var dir = new TempDir();
        Directory.CreateDirectory(dir.File("m"));
        var csv = dir.File("m/list.csv");
        File.WriteAllText(csv, "id, videos ,split\n1,x.mp4,eval\n\n2,\"../y, z.mkv\",train\n3,/abs/w.mp4,eval\n");

        var all = VideoList.Load(csv);
        Assert.Equal(["x.mp4", "../y, z.mkv", "/abs/w.mp4"], all.Select(v => v.Name));
        Assert.Equal(Path.GetFullPath(dir.File("y, z.mkv")), all[1].Path);
        Assert.Equal(Path.GetFullPath(dir.File("m/x.mp4")), all[0].Path);

        Assert.Equal(["x.mp4", "/abs/w.mp4"], VideoList.Load(csv, "eval").Select(v => v.Name));
    }

    [Theory]
    [InlineData("path\nx.mp4\n", null, "no 'videos' column")]
    [InlineData("videos\nx.mp4\n", "eval", "no 'split' column")]
    [InlineData("videos,split\nx.mp4,train\n", "eval", "lists no videos in split 'eval'")]
    [InlineData("a,videos\n1,x.mp4\n\n2\n", null, "line 4: expected 2 columns, got 1")]
    [InlineData("videos\n \"\" \n", null, "line 2: the 'videos' field is empty")]
    [InlineData("\n\n", null, "is empty")]
    public void Manifest_Errors_SayWhatIsWrong(string text, string? split, string message)
    {
        using var dir = new TempDir();
        File.WriteAllText(dir.File("m.csv"), text);
        var e = Assert.Throws<InvalidInputException>(() => VideoList.Load(dir.File("m.csv"), split));
        Assert.Contains(message, e.Message);
    }

    [Fact]
    public void Folder_Errors_SayWhatIsWrong()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir.File("notes.txt"), "");
        Assert.Contains("holds no video files", Assert.Throws<InvalidInputException>(() => VideoList.Load(dir.Path)).Message);
        Assert.Contains("needs a CSV manifest", Assert.Throws<InvalidInputException>(() => VideoList.Load(dir.Path, "eval")).Message);
        Assert.Contains("neither a folder nor a CSV", Assert.Throws<InvalidInputException>(() => VideoList.Load(dir.File("missing"))).Message);
    }
}
