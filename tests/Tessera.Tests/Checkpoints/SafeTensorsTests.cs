using System.Buffers.Binary;
using System.Text;
using Tessera.Checkpoints;
using TorchSharp;
using static TorchSharp.torch;

namespace Tessera.Tests.Checkpoints;

[DisposeScopePerTest]
public class SafeTensorsTests
{
    private static readonly ScalarType[] AllTypes =
    [
        ScalarType.Float64, ScalarType.Float32, ScalarType.Float16, ScalarType.BFloat16, ScalarType.Int64,
        ScalarType.Int32, ScalarType.Int16, ScalarType.Int8, ScalarType.Byte, ScalarType.Bool,
    ];

    private static Tensor Sample(ScalarType t, long[] shape)
    {
        using var r = arange(0, shape.Aggregate(1L, (a, b) => a * b), dtype: ScalarType.Float64).reshape(shape);
        using var m = t == ScalarType.Bool ? r.remainder(2) : t is ScalarType.Int8 or ScalarType.Byte ? r.remainder(100) : r * 1.5 - 3;
        return m.to_type(t);
    }

    [Fact]
    public void RoundTripsAllDTypesAndMetadataInGivenOrder()
    {
        using var dir = new TempDir();
        var path = dir.File("all.safetensors");
        var tensors = AllTypes.Select((t, i) => ($"z.t{i}.{t}", Sample(t, [2, 3, i % 3 + 1]))).ToList();
        tensors.Add(("scalar", tensor(3.25f)));
        tensors.Add(("empty", zeros(0, 4)));
        var meta = new Dictionary<string, string> { ["format"] = "pt", ["note"] = "héllo" };
        SafeTensorsFile.Save(path, tensors, meta);

        var header = SafeTensorsFile.ReadHeader(path);
        Assert.Equal(tensors.Select(t => t.Item1), header.Tensors.Select(e => e.Name));
        Assert.Equal(0, header.DataStart % 8);
        Assert.Equal(meta, header.Metadata);

        using var loaded = SafeTensorsFile.Load(path);
        Assert.Equal(tensors.Select(t => t.Item1), loaded.Keys);
        Assert.Equal("héllo", loaded.Metadata["note"]);
        foreach (var (name, t) in tensors)
        {
            var l = loaded[name];
            Assert.Equal(t.dtype, l.dtype);
            Assert.Equal(t.shape, l.shape);
            Assert.True(t.Equals(l), name);
            t.Dispose();
        }
    }

    [Fact]
    public void SavesNonContiguousViewsAndStateDicts()
    {
        using var dir = new TempDir();
        using var baseT = arange(12, dtype: ScalarType.Float32).reshape(3, 4);
        using var view = baseT.t();
        using var sd = new StateDict(new Dictionary<string, string> { ["k"] = "v" });
        sd.Add("view", view.alias());
        var path = dir.File("v.safetensors");
        SafeTensorsFile.Save(path, sd);
        using var loaded = SafeTensorsFile.Load(path);
        Assert.True(loaded["view"].Equals(view));
        Assert.Equal("v", loaded.Metadata["k"]);
    }

    [Fact]
    public void Bf16ValuesSurvive()
    {
        using var dir = new TempDir();
        using var src = tensor(new float[] { 1f, -2.5f, 3.140625f, 65280f }).to_type(ScalarType.BFloat16);
        SafeTensorsFile.Save(dir.File("b.safetensors"), [("x", src)]);
        using var sd = SafeTensorsFile.Load(dir.File("b.safetensors"));
        using var f = sd["x"].to_type(ScalarType.Float32);
        Assert.Equal(new[] { 1f, -2.5f, 3.140625f, 65280f }, f.data<float>().ToArray());
    }

    private static byte[] Build(string json, int bufferBytes)
    {
        var h = Encoding.UTF8.GetBytes(json);
        var b = new byte[8 + h.Length + bufferBytes];
        BinaryPrimitives.WriteUInt64LittleEndian(b, (ulong)h.Length);
        h.CopyTo(b, 8);
        return b;
    }

    public static TheoryData<string, string> BadFiles => new()
    {
        { "HEADERLEN", "runs past the end" },
        { "{not json", "not valid JSON" },
        { """{"a":{"dtype":"F128","shape":[2],"data_offsets":[0,8]}}""", "'a': unknown or unsupported dtype 'F128'" },
        { """{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,800]}}""", "'a': data_offsets [0, 800] run past" },
        { """{"a":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}""", "'a': shape [3] of F32 needs 12 bytes" },
        { """{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}""", "overlap" },
        { """{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}""", "cover 4 bytes but the data buffer is 16" },
        { """{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"a":{"dtype":"F32","shape":[2],"data_offsets":[8,16]}}""", "duplicate tensor 'a'" },
        { """{"a":{"dtype":"U8","shape":[4611686018427387904,4],"data_offsets":[0,16]}}""", "'a': shape" },
        { """{"a":{"dtype":"F32","shape":[-1],"data_offsets":[0,16]}}""", "'a': shape entry" },
        { """{"__metadata__":{"x":1}}""", "metadata value 'x'" },
        { "[1,2]", "not a JSON object" },
    };

    [Theory]
    [MemberData(nameof(BadFiles))]
    public void MalformedFilesNameTheFileAndProblem(string json, string expected)
    {
        using var dir = new TempDir();
        var path = dir.File("bad.safetensors");
        var bytes = Build(json == "HEADERLEN" ? "{}" : json, 16);
        if (json == "HEADERLEN") BinaryPrimitives.WriteUInt64LittleEndian(bytes, ulong.MaxValue - 3);
        File.WriteAllBytes(path, bytes);
        var ex = Assert.Throws<CheckpointFormatException>(() => { using var _ = SafeTensorsFile.Load(path); });
        Assert.Contains(path, ex.Message);
        Assert.Contains(expected, ex.Message);
    }

    [Fact]
    public void TruncatedAndMissingFilesThrowFormatErrors()
    {
        using var dir = new TempDir();
        var path = dir.File("short.safetensors");
        File.WriteAllBytes(path, [1, 2, 3]);
        Assert.Contains("too short", Assert.Throws<CheckpointFormatException>(() => SafeTensorsFile.ReadHeader(path)).Message);
        var missing = dir.File("nope.safetensors");
        Assert.Contains(missing, Assert.Throws<CheckpointFormatException>(() => SafeTensorsFile.Load(missing)).Message);
    }

    private const string PythonCheck = """
        import sys, json, numpy as np
        path = sys.argv[1]
        {0}
        for k in sorted(d): print(k, d[k].dtype, list(d[k].shape), float(np.asarray(d[k], dtype=np.float64).sum()))
        """;

    private static void CheckWithPython(string loader)
    {
        using var dir = new TempDir();
        var path = dir.File("py.safetensors");
        using var a = arange(6, dtype: ScalarType.Float32).reshape(2, 3);
        using var b = tensor(new long[] { 5, -7 });
        using var c = tensor(new[] { true, false, true });
        using var h = tensor(new[] { 0.5f, 2f }).to_type(ScalarType.Float16);
        SafeTensorsFile.Save(path, [("a", a), ("b", b), ("c", c), ("h", h)], new Dictionary<string, string> { ["format"] = "np" });
        int rc = TestPaths.RunPython(string.Format(PythonCheck, loader).Replace("\n        ", "\n"), out var stdout, out var stderr, 60_000, path);
        Assert.True(rc == 0, stderr);
        Assert.Equal(
            "a float32 [2, 3] 15.0\nb int64 [2] -2.0\nc bool [3] 2.0\nh float16 [2] 2.5\n",
            stdout.Replace("\r", ""));
    }

    [PythonFact("safetensors.numpy")]
    public void FilesAreReadableByPythonSafetensors() =>
        CheckWithPython("from safetensors.numpy import load_file\nd = load_file(path)");

    /// <summary>An independent plain-numpy reader of the spec (runs where the safetensors package is absent).</summary>
    [PythonFact("numpy")]
    public void FilesAreReadableByAPlainNumpyReader() => CheckWithPython("""
        raw = open(path, 'rb').read()
        n = int.from_bytes(raw[:8], 'little')
        assert n % 8 == 0
        hdr = json.loads(raw[8:8 + n].decode('utf-8'))
        assert hdr.pop('__metadata__') == {'format': 'np'}
        buf = raw[8 + n:]
        types = {'F32': '<f4', 'I64': '<i8', 'BOOL': '?', 'F16': '<f2'}
        d = {k: np.frombuffer(buf[v['data_offsets'][0]:v['data_offsets'][1]], dtype=types[v['dtype']]).reshape(v['shape']) for k, v in hdr.items()}
        assert sum(v['data_offsets'][1] - v['data_offsets'][0] for v in hdr.values()) == len(buf)
        """);
}
