using Tessera.Inference;
using Tessera.Models.VidTok;
using static TorchSharp.torch;

namespace Tessera.Tests.Inference;

/// <summary>Encoding and decoding report progress block by block, whole clips and long videos alike.</summary>
[DisposeScopePerTest]
public sealed class StepProgressTests
{
    private sealed class Recorder : IProgress<ChunkProgress>
    {
        public List<ChunkProgress> Reports { get; } = [];
        public void Report(ChunkProgress value) => Reports.Add(value);
    }

    [Theory]
    [InlineData(VidTokFamily.CausalV1_0, 9, 0)]
    [InlineData(VidTokFamily.NonCausal, 8, 0)]
    [InlineData(VidTokFamily.CausalV1_1, 9, 0)]     // whole clip: one chunk
    [InlineData(VidTokFamily.CausalV1_1, 33, 8)]    // long video: 1 + 4 chunks
    public void EncodeAndDecode_ReportMonotoneStepsUpToTheTotal(object familyValue, int frames, int chunk)
    {
        // xunit theory parameters must be public types; VidTokFamily is internal to the library.
        var family = (VidTokFamily)familyValue;
        var recorder = new Recorder();
        using var tokenizer = new VideoTokenizer(TinyModels.Model(family), new TokenizerOptions { TemporalChunk = chunk, Progress = recorder });
        using var video = rand([1, 3, frames, 16, 16], generator: new Generator(1)) * 2 - 1;

        using var code = tokenizer.Encode(video);
        var encode = recorder.Reports.ToList();
        recorder.Reports.Clear();
        using var output = tokenizer.Decode(code);
        var decode = recorder.Reports.ToList();

        foreach (var (stage, reports) in new[] { ("encode", encode), ("decode", decode) })
        {
            Assert.All(reports, r => Assert.Equal(stage, r.Stage));
            Assert.True(reports.Count > 3, $"{stage}: only {reports.Count} reports");
            Assert.Equal(Enumerable.Range(1, reports.Count), reports.Select(r => r.Done));   // every step, in order
            Assert.All(reports, r => Assert.Equal(reports[^1].Total, r.Total));
            Assert.Equal(reports[^1].Total, reports[^1].Done);
            Assert.True(reports.Zip(reports.Skip(1)).All(p => p.Second.Chunk >= p.First.Chunk), $"{stage}: chunk went back");
            Assert.Equal(reports[^1].Chunks, reports[^1].Chunk);
            Assert.Equal(chunk == 0 ? 1 : 5, reports[^1].Chunks);
        }
    }

    [Fact]
    public void WholeClip_TotalIsTheBlockCountOfOnePass()
    {
        var recorder = new Recorder();
        var model = TinyModels.Model(VidTokFamily.CausalV1_1);
        var (encodeSteps, decodeSteps) = (model.Encoder.Steps, model.Decoder.Steps);
        using var tokenizer = new VideoTokenizer(model, new TokenizerOptions { TemporalChunk = 0, Progress = recorder });
        using var video = zeros([1, 3, 5, 16, 16]);
        using var code = tokenizer.Encode(video);
        using var output = tokenizer.Decode(code);
        Assert.Equal(encodeSteps, recorder.Reports.Count(r => r.Stage == "encode"));
        Assert.Equal(decodeSteps, recorder.Reports.Count(r => r.Stage == "decode"));
        Assert.True(encodeSteps > 8 && decodeSteps > 8, $"{encodeSteps} and {decodeSteps} steps: not per block");
    }
}
