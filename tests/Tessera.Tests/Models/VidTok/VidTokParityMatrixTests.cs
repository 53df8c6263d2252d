using System.Text.Json;
using Tessera.Checkpoints;
using Tessera.Inference;
using Tessera.Nn;
using Tessera.Tests.Cli;
using Tessera.Video;
using static TorchSharp.torch;
using static Tessera.Tests.Models.VidTok.VidTokGoldenParityTests;

namespace Tessera.Tests.Models.VidTok;

/// <summary>
/// Parity on what users vary (Fixtures/VidTok/parity, made with the unmodified reference code; PROVENANCE.md):
/// every family and bottleneck, widths 8 to 32, one or two res blocks, four or five levels, layernorm and
/// groupnorm, 2x8x8, 4x4x4, 4x8x8, 4x16x16 and 8x8x8, non-square real or noise frames, batch 2, weights at
/// the reference's default initialisation, re-drawn, or perturbed like trained ones. Each case goes the way a
/// user goes (Lightning .ckpt + YAML through <c>convert</c>, <c>encode</c> from PNG frames, <c>decode</c> to a
/// tensor file) and through the library on the whole batch; encode and decode are compared separately.
/// </summary>
[DisposeScopePerTest]
public sealed class VidTokParityMatrixTests
{
    public static TheoryData<string> Cases()
    {
        var data = new TheoryData<string>();
        foreach (var dir in Directory.GetDirectories(TestPaths.Fixture("VidTok", "parity")).Where(d => File.Exists(Path.Combine(d, "meta.json"))).Order(StringComparer.Ordinal))
            data.Add(Path.GetFileName(dir));
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Cli_ConvertEncodeDecode_MatchesReference(string name)
    {
        var c = new MatrixCase(name);
        using var dir = new TempDir();
        var model = dir.File("model.safetensors");
        var convert = CliRunner.Run("convert", c.File("model.ckpt"), "--config", c.File("model.yaml"), "--output", model);
        Assert.True(convert.ExitCode == 0, convert.Error);

        using var expected = c.Load(c.Discrete ? "indices.npy" : "posterior_mean.npy");
        using var rec = c.Load("rec.npy");
        for (var b = 0; b < c.Batch; b++)
        {
            var tokens = dir.File($"tokens{b}.safetensors");
            var video = dir.File($"rec{b}.safetensors");
            var encode = CliRunner.Run("encode", c.File($"frames{b}"), "--model", model, "--size", $"{c.Width}x{c.Height}", "--output", tokens);
            Assert.True(encode.ExitCode == 0, encode.Error);
            using (var file = SafeTensorsFile.Load(tokens))
            using (var want = expected[b])
            {
                if (c.Discrete) AssertEqualIds(want, file["tokens"]);
                else AssertClose(want, file["latents"], $"{name}[{b}] latents");
            }

            var decode = CliRunner.Run("decode", tokens, "--output", video);
            Assert.True(decode.ExitCode == 0, decode.Error);
            using var got = SafeTensorsFile.Load(video);
            using var wantRec = rec[b];
            AssertClose(wantRec, got["video"], $"{name}[{b}] decoded video");
        }
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Library_EncodeDecodeBatch_MatchesReference(string name)
    {
        var c = new MatrixCase(name);
        using var dir = new TempDir();
        var model = dir.File("model.safetensors");
        Assert.Equal(0, CliRunner.Run("convert", c.File("model.ckpt"), "--config", c.File("model.yaml"), "--output", model).ExitCode);
        using var tokenizer = VideoTokenizer.Load(model);
        using var scope = NewDisposeScope();
        var read = new ReadOptions { Size = (c.Height, c.Width) };
        var x = cat(Enumerable.Range(0, c.Batch).Select(b =>
        {
            using var clip = VideoReader.Read(c.File($"frames{b}"), read);
            return clip.ToModelInput();
        }).ToArray(), 0);

        using (no_grad())
            AssertClose(c.Load("z_pre.npy"), ((Tessera.Models.VidTok.VidTokModel)tokenizer.Model).EncodeRaw(x, CausalCache.None()), $"{name} encoder output");

        using var code = tokenizer.Encode(x);
        if (c.Discrete) AssertEqualIds(c.Load("indices.npy"), Assert.IsType<TokenIds>(code).Ids);
        else AssertClose(c.Load("posterior_mean.npy"), Assert.IsType<Latents>(code).Values, $"{name} latents");
        AssertClose(c.Load("rec.npy"), tokenizer.Decode(code), $"{name} decoded batch");
    }

    private sealed class MatrixCase
    {
        private readonly string dir;

        public MatrixCase(string name)
        {
            dir = TestPaths.Fixture("VidTok", "parity", name);
            using var meta = JsonDocument.Parse(System.IO.File.ReadAllText(File("meta.json")));
            var spec = meta.RootElement.GetProperty("spec");
            Discrete = spec.GetProperty("reg").GetString() == "fsq";
            Batch = spec.TryGetProperty("batch", out var batch) ? batch.GetInt32() : 1;
            Height = spec.GetProperty("H").GetInt32();
            Width = spec.GetProperty("W").GetInt32();
        }

        public bool Discrete { get; }
        public int Batch { get; }
        public int Height { get; }
        public int Width { get; }

        public string File(string name) => Path.Combine(dir, name);

        public Tensor Load(string name) => Npy.Load(File(name));
    }
}
