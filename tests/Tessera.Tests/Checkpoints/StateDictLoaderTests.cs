using Tessera.Checkpoints;
using TorchSharp;
using static TorchSharp.torch;

namespace Tessera.Tests.Checkpoints;

[DisposeScopePerTest]
public class StateDictLoaderTests
{
    private sealed class Tiny : nn.Module
    {
        public readonly nn.Module conv = nn.Conv2d(3, 4, 3);
        public readonly nn.Module norm = nn.BatchNorm2d(4);
        public Tiny() : base("Tiny") { RegisterComponents(); }
    }

    private static StateDict Lightning() => TorchCheckpoint.LoadStateDict(TestPaths.Fixture("Checkpoints", "lightning.ckpt"));

    [Fact]
    public void LoadsPrefixedEntriesAndConvertsDtype()
    {
        using var m = nn.Conv2d(3, 4, 3, dtype: ScalarType.Float64);
        using var sd = new StateDict();
        using (var w = randn(4, 3, 3, 3)) sd.Add("encoder.conv.weight", w.alias());
        sd.Add("encoder.conv.bias", arange(4, dtype: ScalarType.Float32));
        sd.Add("decoder.other", zeros(1));
        StateDictLoader.LoadInto(m, sd, "mem", prefix: "encoder.conv.");
        Assert.Equal(ScalarType.Float64, m.bias!.dtype);
        Assert.Equal(new double[] { 0, 1, 2, 3 }, m.bias.data<double>().ToArray());
        using var w64 = sd["encoder.conv.weight"].to_type(ScalarType.Float64);
        Assert.True(m.weight!.Equals(w64));
    }

    [Fact]
    public void MismatchListsMissingUnexpectedAndShapes()
    {
        using var m = new Tiny();
        using var sd = Lightning();
        var ex = Assert.Throws<CheckpointFormatException>(() => StateDictLoader.LoadInto(m, sd, "lightning.ckpt", prefix: "encoder."));
        Assert.Contains("'lightning.ckpt'", ex.Message);
        Assert.Contains("missing key(s)", ex.Message);
        Assert.Contains("norm.weight [4]", ex.Message);
        Assert.Contains("norm.running_var [4]", ex.Message);
        Assert.DoesNotContain("num_batches_tracked", ex.Message); // present on both sides
        Assert.DoesNotContain("unexpected", ex.Message);
        var ex1 = Assert.Throws<CheckpointFormatException>(() => StateDictLoader.LoadInto(m, sd, "lightning.ckpt"));
        Assert.Contains("unexpected key(s)", ex1.Message);
        Assert.Contains("decoder.proj.weight [3, 4]", ex1.Message);
        Assert.Contains("loss.logvar []", ex1.Message);

        using var wrong = new StateDict();
        wrong.Add("weight", zeros(4, 3, 5, 5));
        wrong.Add("bias", zeros(4));
        using var conv = nn.Conv2d(3, 4, 3);
        var ex2 = Assert.Throws<CheckpointFormatException>(() => StateDictLoader.LoadInto(conv, wrong, "w.safetensors"));
        Assert.Contains("weight expected [4, 3, 3, 3], checkpoint has [4, 3, 5, 5]", ex2.Message);
    }

    [Fact]
    public void SkipPrefixesDropEntries()
    {
        using var conv = nn.Conv2d(3, 4, 3);
        using var sd = Lightning();
        // encoder.norm.* would be unexpected for a bare conv; skipping them makes the load succeed.
        StateDictLoader.LoadInto(conv, sd, "lightning.ckpt", prefix: "encoder.conv.", skipPrefixes: ["encoder.norm."]);
        Assert.True(conv.weight!.Equals(sd["encoder.conv.weight"]));
        var ex = Assert.Throws<CheckpointFormatException>(() => StateDictLoader.LoadInto(conv, sd, "lightning.ckpt", prefix: "encoder.conv.", skipPrefixes: ["encoder.conv.bias"]));
        Assert.Contains("bias [4]", ex.Message);
    }

    [Fact]
    public void ExtractEmaUsesDotlessNames()
    {
        using var sd = Lightning();
        using var ema = StateDictLoader.ExtractEma(sd, ["encoder.conv.weight"]);
        Assert.NotNull(ema);
        using var half = sd["encoder.conv.weight"] * 0.5;
        Assert.True(ema!["encoder.conv.weight"].allclose(half));
        Assert.Null(StateDictLoader.ExtractEma(sd, ["encoder.conv.weight", "encoder.conv.bias"]));
    }

    [Fact]
    public void CheckpointReaderDispatchesOnContent()
    {
        using var dir = new TempDir();
        var st = dir.File("weights.bin");
        using (var t = ones(2)) SafeTensorsFile.Save(st, [("a", t)]);
        using (var a = CheckpointReader.Read(st)) Assert.Equal(new[] { "a" }, a.Keys);
        using (var b = CheckpointReader.Read(TestPaths.Fixture("Checkpoints", "legacy.pt"))) Assert.Equal(4, b.Count);
        using (var c = CheckpointReader.Read(TestPaths.Fixture("Checkpoints", "lightning.ckpt"))) Assert.Contains("loss.logvar", c.Keys);
        using (var d = CheckpointReader.Read(TestPaths.Fixture("Checkpoints", "lightning_expected.npz"))) Assert.Contains("loss.logvar", d.Keys);
        var dat = dir.File("m.dat");
        using (var lin = nn.Linear(2, 2)) lin.save(dat);
        using (var e = CheckpointReader.Read(dat)) Assert.Equal(new[] { "weight", "bias" }, e.Keys);
    }
}
