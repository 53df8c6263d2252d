using Tessera.Training;

namespace Tessera.Tests.Training;

[DisposeScopePerTest]
public sealed class TrainingLogTests : IDisposable
{
    private readonly TempDir dir = new();

    public void Dispose() => dir.Dispose();

    [Fact]
    public void Reopened_KeepsRowsUpToTheResumeStep()
    {
        var path = dir.File("eval_log.csv");
        File.WriteAllText(path, "step,psnr,ssim\n0,10,0.1\n100,12,0.2\n200,13,0.3\n");
        var log = new TrainingLog(path, ["psnr", "ssim"], 100);
        Assert.Equal(["step,psnr,ssim", "0,10,0.1", "100,12,0.2"], File.ReadAllLines(path));
        log.Append(150, new Dictionary<string, double?> { ["psnr"] = 12.5, ["ssim"] = null });
        Assert.Equal("150,12.5,", File.ReadAllLines(path)[^1]);
    }

    [Fact]
    public void ALogWrittenBeforeAColumnWasAdded_KeepsItsRows()
    {
        // A run started by an older build and resumed by one that logs more: its history must not be lost.
        var path = dir.File("eval_log.csv");
        File.WriteAllText(path, "step,psnr,ssim\n0,10,0.1\n100,12,0.2\n");
        var log = new TrainingLog(path, ["psnr", "ssim", "chroma"], 100);
        log.Append(200, new Dictionary<string, double?> { ["psnr"] = 13, ["ssim"] = 0.3, ["chroma"] = 0.5 });
        Assert.Equal(["step,psnr,ssim,chroma", "0,10,0.1", "100,12,0.2", "200,13,0.3,0.5"], File.ReadAllLines(path));
        var rows = log.Read();
        Assert.Equal(12, rows[1].Values["psnr"]);
        Assert.False(rows[1].Values.ContainsKey("chroma"));
        Assert.Equal(0.5, rows[2].Values["chroma"]);
    }

    [Fact]
    public void ALogOfOtherColumns_StartsAfresh()
    {
        var path = dir.File("train_log.csv");
        File.WriteAllText(path, "step,ce,accuracy\n10,8.1,0.01\n");
        _ = new TrainingLog(path, ["total", "rec"], 10);
        Assert.Equal(["step,total,rec"], File.ReadAllLines(path));
    }
}
