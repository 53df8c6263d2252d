using Tessera.Evaluation;
using Tessera.Metrics;
using static TorchSharp.torch;

namespace Tessera.Tests.Evaluation;

[DisposeScopePerTest]
public sealed class HtmlReportTests
{
    [Fact]
    public void Binned_SumsEqualRangesOfCodeIds()
    {
        Assert.Equal([4L, 0L], HtmlReport.Binned([2, 2, 0, 0, 0, 0, 0, 0], 2));
        Assert.Equal([1L, 2L, 3L], HtmlReport.Binned([1, 2, 3], 64));     // never more ranges than codes
    }

    [Fact]
    public void CodebookStats_FromUsage_AndFromNoTokens()
    {
        var u = new CodebookUsage(8);
        using (var ids = tensor(new[] { 0, 0, 1, 1 }).view(1, 1, 2, 2)) u.Add(ids);
        var s = CodebookStats.From(u);
        Assert.Equal(new CodebookStats(8, 4, 2, 0.25, s.Perplexity), s);
        Assert.Equal(2.0, s.Perplexity, 12);

        var none = CodebookStats.From(new CodebookUsage(8));               // every video failed
        Assert.Equal(0, none.UsedCodes);
        Assert.True(double.IsNaN(none.Perplexity));
    }

    [Fact]
    public void Png_HasSignatureAndSize()
    {
        var png = Png.Encode(new byte[2 * 3 * 3], 2, 3);
        Assert.Equal([0x89, 0x50, 0x4E, 0x47], png[..4]);
        Assert.Equal(3, (png[16] << 24) | (png[17] << 16) | (png[18] << 8) | png[19]);  // IHDR width
    }

    [Fact]
    public void Render_CountsRealFramesApartFromPadding_AndWrapsLongPaths()
    {
        var model = "/home/user/a/very/long/path/" + new string('x', 300) + "/model.safetensors";
        var run = new EvalRun
        {
            Model = model,
            Input = "videos/",
            Settings = new EvalSettings(8, 64, 96, 17, false, "", 16, "vidtok", [], "", 16),
        };
        run.Videos.Add(new VideoResult { Name = "a.mp4", Path = "a.mp4", Frames = 20, EvaluatedFrames = 34, PaddedFrames = 14, Clips = 2 });
        var html = HtmlReport.Render(run);
        Assert.Contains("a.mp4</a></td><td>20</td><td>14</td><td>2</td>", html);
        Assert.Contains("20 frames (+14 padded)", html);
        Assert.DoesNotContain(">34<", html);
        Assert.Contains($"<code class=\"path\" title=\"{model}\">", html);
        Assert.Contains("code.path{overflow-wrap:anywhere", html);
        Assert.Contains("96×64 (width × height)", html);
    }
}
