using Tessera.Inference;
using Tessera.Models.VidTok;
using Tessera.Tests.Inference;
using Tessera.Tokens;
using static TorchSharp.torch;

namespace Tessera.Tests.Tokens;

/// <summary>A token file written piece by piece is the file <see cref="TokenFile.Save"/> writes for the joined code.</summary>
[DisposeScopePerTest]
public sealed class TokenFileWriterTests
{
    private static readonly TokenFileInfo Info = new() { Source = "clip.mp4", Fps = 8, ProcessedSize = (16, 16), ModelSource = "m.safetensors" };

    [Fact]
    public void IdsInIrregularPieces_GiveTheFileOfTheWholeCode()
    {
        using var dir = new TempDir();
        var config = TinyModels.Config(VidTokFamily.CausalV1_1);
        using var ids = arange(7 * 2 * 3, dtype: ScalarType.Int32).mul(97).remainder(4096).reshape(1, 7, 2, 3);
        using var whole = new TokenIds(ids.clone(), config, frames: 26, leadingFrames: 3);
        // Latents 0 | 1..4 | 5..6 carry 1, 16 and the 9 frames left.
        using var a = new TokenIds(ids[.., 0..1].clone(), config, frames: 1, leadingFrames: 3);
        using var b = new TokenIds(ids[.., 1..5].clone(), config, frames: 16);
        using var c = new TokenIds(ids[.., 5..7].clone(), config, frames: 9);
        AssertSameFile(dir, whole, config, a, b, c);
    }

    [Fact]
    public void LatentsInPieces_GiveTheFileOfTheWholeCode_ChannelByChannel()
    {
        using var dir = new TempDir();
        var config = TinyModels.Config(VidTokFamily.CausalV1_1, fsq: false);
        using var values = linspace(-2, 2, 4 * 5 * 2 * 2).reshape(1, 4, 5, 2, 2);
        using var whole = new Latents(values.clone(), config, frames: 17, leadingFrames: 3);
        using var a = new Latents(values[.., .., 0..1].clone(), config, frames: 1, leadingFrames: 3);
        using var b = new Latents(values[.., .., 1..5].clone(), config, frames: 16);
        AssertSameFile(dir, whole, config, a, b);
    }

    [Fact]
    public void AWriterNotCompleted_LeavesTheTargetAndNoParts()
    {
        using var dir = new TempDir();
        var config = TinyModels.Config(VidTokFamily.CausalV1_1);
        var path = dir.File("t.safetensors");
        File.WriteAllText(path, "an earlier file");
        using var ids = zeros(new long[] { 1, 2, 2, 2 }, ScalarType.Int32);
        using (var writer = new TokenFileWriter(path, config, Info))
        {
            using var code = new TokenIds(ids.clone(), config, frames: 5, leadingFrames: 3);
            writer.Append(code);
            Assert.Contains(dir.Entries(), e => e.EndsWith(".part", StringComparison.Ordinal));
        }
        Assert.Equal("an earlier file", File.ReadAllText(path));
        Assert.Equal(["t.safetensors"], dir.Entries());
    }

    [Fact]
    public void APieceThatDoesNotContinueTheStream_IsRefused()
    {
        using var dir = new TempDir();
        var config = TinyModels.Config(VidTokFamily.CausalV1_1);
        using var writer = new TokenFileWriter(dir.File("t.safetensors"), config, Info);
        using var first = new TokenIds(zeros(new long[] { 1, 1, 2, 2 }, ScalarType.Int32), config, frames: 1, leadingFrames: 3);
        writer.Append(first);
        using var leading = new TokenIds(zeros(new long[] { 1, 1, 2, 2 }, ScalarType.Int32), config, frames: 1, leadingFrames: 3);
        Assert.Contains("leading frames", Assert.Throws<InvalidInputException>(() => writer.Append(leading)).Message);
        using var wider = new TokenIds(zeros(new long[] { 1, 1, 2, 3 }, ScalarType.Int32), config, frames: 4);
        Assert.Contains("does not continue", Assert.Throws<InvalidInputException>(() => writer.Append(wider)).Message);
    }

    private static void AssertSameFile(TempDir dir, VideoCode whole, Tessera.Models.ModelConfig config, params VideoCode[] pieces)
    {
        var expected = dir.File("whole.safetensors");
        var streamed = dir.File("streamed.safetensors");
        TokenFile.Save(expected, whole, Info);
        using (var writer = new TokenFileWriter(streamed, config, Info))
        {
            foreach (var piece in pieces) writer.Append(piece);
            Assert.Equal(whole.Frames, writer.Frames);
            writer.Complete();
        }
        Assert.Equal(File.ReadAllBytes(expected), File.ReadAllBytes(streamed));
        Assert.DoesNotContain(dir.Entries(), e => e.StartsWith('.'));
    }
}
