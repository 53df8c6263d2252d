using System.Text.Json;
using System.Text.Json.Nodes;
using Tessera.Dataset;
using Tessera.Tests.Cli;
using Tessera.Tests.Video;

namespace Tessera.Tests.Dataset;

/// <summary>
/// Discrete records (codebook size, FSQ levels, vocabulary offset), the Megatron indexed dataset read back in C# and by
/// Megatron's reader logic in Python, and <c>--parallel 2</c> equal byte for byte to the shards run one by one.
/// </summary>
[DisposeScopePerTest]
public sealed class TokenOutputTests
{
    [Fact]
    public void Parallel_EqualsPerShardRuns_Megatron_ReadsBack_WithTheVocabularyOffset()
    {
        using var dir = new TempDir();
        var model = DatasetFixture.TinyModel(dir);
        var videos = Directory.CreateDirectory(dir.File("videos")).FullName;
        TestMedia.Ffmpeg("-f", "lavfi", "-i", "testsrc2=size=32x32:rate=10", "-frames:v", "10", "-c:v", "ffv1", Path.Combine(videos, "a.mkv"));
        var plan = dir.File("plan");
        Assert.Equal(0, CliRunner.Run("dataset", "plan", videos, "--shards", "2", "--frames", "5", "-o", plan).ExitCode);
        string[] Common(string o) => ["dataset", "encode", plan, "-m", model, "-o", dir.File(o), "--format", "megatron", "--vocab-offset", "1000", "--max-count", "1"];

        var parallel = DatasetFixture.Run([.. Common("parallel"), "--parallel", "2", "--threads", "2"]);
        Assert.True(parallel.Code == 0, parallel.Error);
        Assert.Contains("shard 0:", parallel.Out);
        Assert.Contains("shard 1:", parallel.Out);
        Assert.Contains("2/2 shards done", parallel.Error);
        foreach (var s in new[] { "0", "1" })
        {
            var one = DatasetFixture.Run([.. Common("single"), "--shard", s, "--threads", "1"]);
            Assert.True(one.Code == 0, one.Error);
        }
        var expected = DatasetFixture.Outputs(dir.File("single"));
        var actual = DatasetFixture.Outputs(dir.File("parallel"));
        Assert.Equal(expected.Keys, actual.Keys);
        foreach (var (name, bytes) in expected) Assert.True(bytes.AsSpan().SequenceEqual(actual[name]), $"{name} differs");
        Assert.Contains(ShardFiles.MegatronIdx(1), actual.Keys);
        Assert.Equal(0, CliRunner.Run("dataset", "merge", dir.File("parallel")).ExitCode);

        // Records: codebook size, FSQ levels, vocabulary offset; the Megatron sequences are the tar's ids + the offset.
        var samples = DatasetFixture.Samples(dir.File("parallel"));
        var record = JsonNode.Parse(samples["v000000-f000000.json"])!;
        var group = record["token_groups"]![0]!;
        Assert.Equal(4096, group["codebook_size"]!.GetValue<long>());
        Assert.Equal([8, 8, 8, 8], group["levels"]!.AsArray().Select(v => v!.GetValue<int>()));
        Assert.Equal(1000, record["vocab_offset"]!.GetValue<long>());
        Assert.Null(record["posterior"]);
        var folder = dir.File("parallel");
        var (dtype, sequences, documents) = MegatronIndexedDataset.Read(Path.Combine(folder, ShardFiles.MegatronBin(0)), Path.Combine(folder, ShardFiles.MegatronIdx(0)));
        Assert.Equal(MegatronIndexedDataset.UInt16Code, dtype);
        var keys = DatasetPlan.Load(plan).ShardClips(0).Select(c => c.Key).ToArray();
        Assert.Equal(keys.Length, sequences.Count);
        Assert.Equal(Enumerable.Range(0, keys.Length + 1).Select(i => (long)i), documents);
        for (var i = 0; i < keys.Length; i++)
        {
            var file = dir.File($"{keys[i]}.safetensors");
            File.WriteAllBytes(file, samples[keys[i] + ".safetensors"]);
            using var tokens = Tessera.Checkpoints.SafeTensorsFile.Load(file);
            var ids = tokens["tokens"].flatten().data<int>().Select(v => v + 1000L).ToArray();
            Assert.Equal(ids, sequences[i]);
        }

        // Megatron's own reader logic (header, int32 sizes, int64 pointers and document indices, a uint16 memmap).
        if (!TestPaths.PythonHas("numpy")) return;
        var script = """
            import json, struct, sys
            import numpy as np
            prefix = sys.argv[1]
            with open(prefix + ".idx", "rb") as f:
                assert f.read(9) == b"MMIDIDX\x00\x00"
                version, = struct.unpack("<Q", f.read(8)); code, = struct.unpack("<B", f.read(1))
                count, = struct.unpack("<Q", f.read(8)); docs, = struct.unpack("<Q", f.read(8))
                offset = f.tell()
            dtype = {4: np.int32, 8: np.uint16}[code]
            buf = np.memmap(prefix + ".idx", mode="r", order="C")
            sizes = np.frombuffer(buf, dtype=np.int32, count=count, offset=offset)
            pointers = np.frombuffer(buf, dtype=np.int64, count=count, offset=offset + sizes.nbytes)
            doc_idx = np.frombuffer(buf, dtype=np.int64, count=docs, offset=offset + sizes.nbytes + pointers.nbytes)
            data = np.memmap(prefix + ".bin", mode="r", order="C")
            seqs = [np.frombuffer(data, dtype=dtype, count=int(s), offset=int(p)).tolist() for s, p in zip(sizes, pointers)]
            print(json.dumps({"version": version, "doc_idx": doc_idx.tolist(), "seqs": seqs}))
            """;
        var code = TestPaths.RunPython(script, out var stdout, out var stderr, 60_000, Path.Combine(folder, ShardFiles.Stem(0)));
        Assert.True(code == 0, stderr);
        var python = JsonNode.Parse(stdout)!;
        Assert.Equal(1, python["version"]!.GetValue<int>());
        Assert.Equal(documents, python["doc_idx"]!.AsArray().Select(v => v!.GetValue<long>()));
        Assert.Equal(sequences.Select(s => string.Join(",", s)), python["seqs"]!.AsArray().Select(s => string.Join(",", s!.AsArray().Select(v => v!.GetValue<long>()))));
    }
}
