using Tessera.Dataset;
using System.Text.RegularExpressions;
using Tessera.Tests.Cli;
using Tessera.Tests.Video;

namespace Tessera.Tests.Dataset;

/// <summary>The README's Python example reads a shard written by <c>tessera dataset encode</c>, as written.</summary>
[DisposeScopePerTest]
public sealed partial class DatasetPythonTests
{
    [PythonFact("numpy")]
    public void ReadmePythonExample_ReadsTheShardTar()
    {
        var readme = File.ReadAllText(Path.Combine(TestPaths.RepoRoot!, "README.md"));
        var example = PythonBlocks().Matches(readme).Select(m => m.Groups[1].Value).Single(b => b.Contains("tarfile.open(\"out/shard-00000-00000.tar\")", StringComparison.Ordinal));
        using var dir = new TempDir();
        var model = DatasetFixture.TinyModel(dir);
        var videos = Directory.CreateDirectory(dir.File("videos")).FullName;
        TestMedia.Ffmpeg("-f", "lavfi", "-i", "testsrc2=size=32x32:rate=10", "-frames:v", "10", "-c:v", "ffv1", Path.Combine(videos, "a.mkv"));
        Assert.Equal(0, CliRunner.Run("dataset", "plan", videos, "--shards", "1", "--frames", "5", "-o", dir.File("plan")).ExitCode);
        var encoded = CliRunner.Run("dataset", "encode", dir.File("plan"), "--shard", "0", "-m", model, "-o", dir.File("out"));
        Assert.True(encoded.ExitCode == 0, encoded.Error);
        Assert.Equal(0, CliRunner.Run("dataset", "merge", dir.File("out")).ExitCode);
        var rows = ShardIndexRow.Load(Path.Combine(dir.File("out"), DatasetSummary.IndexName));

        // The example, then what it must have read: the last sample's record and tokens.
        var script = $"import os\nos.chdir({Quote(dir.Path)})\n{example}\n" +
                     "assert key == 'v000000-f000005' and record['key'] == key, (key, record)\n" +
                     "t = tensors['tokens']\n" +
                     "assert t.dtype == np.int32 and list(t.shape) == record['shape'], (t.dtype, t.shape, record['shape'])\n" +
                     "assert 0 <= t.min() and t.max() < record['token_groups'][0]['codebook_size']\n" +
                     $"assert ','.join(map(str, t.shape)) == '{rows[^1].Shape}', t.shape\n" +
                     "print('ok', record['window_frames'], list(t.shape))\n";
        var code = TestPaths.RunPython(script, out var stdout, out var stderr);
        Assert.True(code == 0, stderr + stdout);
        Assert.StartsWith("ok 5 ", stdout);

        // The Parquet example, where pyarrow is importable: every row's sample read by seeking, shapes as the C# index says.
        if (!TestPaths.PythonHas("pyarrow")) return;
        var seek = PythonBlocks().Matches(readme).Select(m => m.Groups[1].Value).Single(b => b.Contains("pq.read_table", StringComparison.Ordinal));
        var both = $"import os\nos.chdir({Quote(dir.Path)})\n{example}\nshapes = []\n" +
                   seek.Replace("tensors = safetensors(f.read(row[\"size\"]))", "tensors = safetensors(f.read(row[\"size\"])); shapes.append(','.join(map(str, tensors['tokens'].shape)))", StringComparison.Ordinal) +
                   "\nprint(';'.join(shapes))\n";
        Assert.Equal(0, TestPaths.RunPython(both, out var seekOut, out var seekErr) is var c && c == 0 ? 0 : throw new Xunit.Sdk.XunitException(seekErr));
        Assert.Equal(string.Join(";", rows.Select(r => r.Shape)), seekOut.Trim());
    }

    private static string Quote(string s) => "'" + s.Replace("\\", "\\\\").Replace("'", "\\'") + "'";

    [GeneratedRegex("```python\n(.*?)```", RegexOptions.Singleline)]
    private static partial Regex PythonBlocks();
}
