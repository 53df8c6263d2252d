using System.IO.Compression;
using Tessera.Checkpoints.Pickle;
using TorchSharp;
using static TorchSharp.torch;

namespace Tessera.Checkpoints;

/// <summary>
/// The object tree of a torch checkpoint: <see cref="PickleDict"/>, <c>List&lt;object?&gt;</c>, <see cref="PickleTuple"/>,
/// strings, numbers, <see cref="Tensor"/>s and inert <see cref="PickleObject"/> placeholders. Owns the tensors.
/// </summary>
internal sealed class TorchCheckpointContent(object? root, List<Tensor> tensors) : IDisposable
{
    public object? Root { get; } = root;
    public IReadOnlyList<Tensor> Tensors => tensors;
    public void Dispose()
    {
        foreach (var t in tensors) t.Dispose();
        tensors.Clear();
    }
}

/// <summary>Reads <c>torch.save</c> files (zip format and the legacy pickle stream) without executing any pickle code.</summary>
internal static class TorchCheckpoint
{
    private const long MaxPickleBytes = 1L << 30;
    private static readonly byte[] LegacyMagic = [0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19]; // 0x1950a86a20f9469cfc6c LE

    public static TorchCheckpointContent Load(string path) =>
        CheckpointErrors.Guard(path, "torch checkpoint", () =>
        {
            using var fs = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
            Span<byte> head = stackalloc byte[4];
            int n = fs.ReadAtLeast(head, 4, throwOnEndOfStream: false);
            fs.Position = 0;
            if (n >= 2 && head[0] == (byte)'P' && head[1] == (byte)'K') return LoadZip(path, fs);
            if (n >= 1 && head[0] == 0x80) return LoadLegacy(path, fs);
            throw CheckpointErrors.Format(path, "not a torch checkpoint (neither a zip archive nor a pickle)");
        });

    /// <summary>The model weights: the top-level <c>state_dict</c> (Lightning) if present, else the top-level dict; non-tensors are skipped.</summary>
    public static StateDict LoadStateDict(string path)
    {
        using var content = Load(path);
        if (content.Root is not PickleDict root)
            throw CheckpointErrors.Format(path, $"top-level object is {PickleKey.Describe(content.Root)}, not a dict");
        var source = root.TryGetValue("state_dict", out var sdObj) && sdObj is PickleDict sd ? sd : root;
        var result = new StateDict();
        foreach (var (k, v) in source.Items)
            if (k is string name && v is Tensor t)
                result.Add(name, t.alias());
        return result;
    }

    private static TorchCheckpointContent LoadZip(string path, FileStream fs)
    {
        using var zip = new ZipArchive(fs, ZipArchiveMode.Read, leaveOpen: true);
        ZipBudget.Check(zip, fs.Length, path);
        var pkls = zip.Entries.Where(e => e.FullName.EndsWith("data.pkl", StringComparison.Ordinal)
                                          && e.FullName.Count(c => c == '/') == 1 && e.FullName.EndsWith("/data.pkl", StringComparison.Ordinal)).ToList();
        if (pkls.Count != 1)
            throw CheckpointErrors.Format(path, pkls.Count == 0 ? "zip archive has no <folder>/data.pkl (not a torch checkpoint)" : "zip archive has several data.pkl files");
        var prefix = pkls[0].FullName[..^"data.pkl".Length];
        var byteorder = zip.GetEntry(prefix + "byteorder");
        if (byteorder is not null)
        {
            using var r = new StreamReader(byteorder.Open());
            var order = r.ReadToEnd().Trim();
            if (order != "little") throw CheckpointErrors.Format(path, $"byteorder '{order}' is not supported");
        }
        if (pkls[0].Length > MaxPickleBytes) throw CheckpointErrors.Format(path, $"data.pkl of {pkls[0].Length} bytes is implausibly large");
        var pkl = new MemoryStream();
        using (var s = pkls[0].Open()) s.CopyTo(pkl);
        pkl.Position = 0;

        var created = new List<Tensor>();
        var storages = new Dictionary<string, TorchStorage>(StringComparer.Ordinal);
        try
        {
            using var scope = NewDisposeScope();
            object? Persistent(object? pid)
            {
                var (dtype, key, numel, _) = TorchAllowlist.ParseStoragePid(pid);
                if (storages.TryGetValue(key, out var existing))
                {
                    if (existing.DType != dtype) throw new InvalidDataException($"storage '{key}' used with two dtypes");
                    return existing;
                }
                var entry = zip.GetEntry($"{prefix}data/{key}") ?? throw new InvalidDataException($"storage '{key}' missing from archive ({prefix}data/{key})");
                long bytes = checked(numel * CheckpointDTypes.ElementSize(dtype));
                if (bytes > entry.Length) throw new InvalidDataException($"storage '{key}' declares {numel} elements ({bytes} bytes) but its entry holds {entry.Length}");
                using var es = entry.Open();
                var data = TensorBytes.Create([numel], dtype, span => es.ReadExactly(span));
                created.Add(data);
                var st = new TorchStorage(key, dtype, numel) { Data = data };
                storages[key] = st;
                return st;
            }
            var allow = new TorchAllowlist(created, materialize: true);
            var root = new Unpickler(pkl, pkl.Length, Persistent, allow.TryReduce).Load();
            foreach (var t in created) t.DetachFromDisposeScope();
            return new TorchCheckpointContent(root, created);
        }
        catch
        {
            foreach (var t in created) t.Dispose();
            throw;
        }
    }

    internal static TorchCheckpointContent LoadLegacy(string path, Stream fs)
    {
        long end = fs.Length;
        var magic = new Unpickler(fs, end, null, null).Load();
        if (magic is not System.Numerics.BigInteger big || !big.ToByteArray().AsSpan().SequenceEqual(LegacyMagic))
            throw CheckpointErrors.Format(path, "pickle is not a torch.save file (magic number missing)");
        var protocol = new Unpickler(fs, end, null, null).Load();
        if (protocol is not 1001L) throw CheckpointErrors.Format(path, $"unsupported legacy torch protocol {PickleKey.Describe(protocol)}");
        var sysInfo = new Unpickler(fs, end, null, null).Load() as PickleDict;
        if (sysInfo is not null && sysInfo.TryGetValue("little_endian", out var le) && le is false)
            throw CheckpointErrors.Format(path, "big-endian legacy checkpoints are not supported");

        // Pass 1: learn storage keys, dtypes and sizes (tensors are not built yet, their data follows the pickle).
        long objectStart = fs.Position;
        var roots = new Dictionary<string, (ScalarType dtype, long numel)>(StringComparer.Ordinal);
        var views = new List<(string viewKey, string rootKey, long offset, long size)>();
        object? Scan(object? pid)
        {
            var (dtype, key, numel, t) = TorchAllowlist.ParseStoragePid(pid);
            if (roots.TryGetValue(key, out var r) && (r.dtype != dtype || r.numel != numel))
                throw new InvalidDataException($"storage '{key}' declared twice differently");
            roots[key] = (dtype, numel);
            if (t.Count > 5 && t[5] is PickleTuple { Count: 3 } v && v[0] is string vk && v[1] is long off && v[2] is long sz)
            {
                if (off < 0 || sz < 0 || off > numel - sz) throw new InvalidDataException($"storage view '{vk}' exceeds storage '{key}'");
                views.Add((vk, key, off, sz));
                return new TorchStorage(vk, dtype, sz);
            }
            return new TorchStorage(key, dtype, numel);
        }
        new Unpickler(fs, end, Scan, new TorchAllowlist([], materialize: false).TryReduce).Load();
        long objectEnd = fs.Position;
        if (new Unpickler(fs, end, null, null).Load() is not List<object?> keys)
            throw CheckpointErrors.Format(path, "storage key list missing after the object pickle");

        var created = new List<Tensor>();
        try
        {
            using var scope = NewDisposeScope();
            var data = new Dictionary<string, TorchStorage>(StringComparer.Ordinal);
            Span<byte> count = stackalloc byte[8];
            foreach (var k in keys)
            {
                if (k is not string key || !roots.TryGetValue(key, out var info))
                    throw CheckpointErrors.Format(path, $"storage {PickleKey.Describe(k)} listed but never referenced");
                if (data.ContainsKey(key)) throw CheckpointErrors.Format(path, $"storage '{key}' stored twice");
                fs.ReadExactly(count);
                long numel = BitConverter.ToInt64(count);
                if (numel != info.numel) throw CheckpointErrors.Format(path, $"storage '{key}' holds {numel} elements, the pickle says {info.numel}");
                long bytes = checked(numel * CheckpointDTypes.ElementSize(info.dtype));
                if (bytes > end - fs.Position) throw CheckpointErrors.Format(path, $"storage '{key}' ({bytes} bytes) runs past the end of the file");
                var t = TensorBytes.Create([numel], info.dtype, span => fs.ReadExactly(span));
                created.Add(t);
                data[key] = new TorchStorage(key, info.dtype, numel) { Data = t };
            }
            foreach (var (vk, rk, off, sz) in views)
            {
                if (!data.TryGetValue(rk, out var root)) continue;
                var v = root.Data!.narrow(0, off, sz);
                created.Add(v);
                data[vk] = new TorchStorage(vk, root.DType, sz) { Data = v };
            }

            // Pass 2: rebuild the object tree with the storages in hand.
            object? Resolve(object? pid)
            {
                var (_, key, _, t) = TorchAllowlist.ParseStoragePid(pid);
                if (t.Count > 5 && t[5] is PickleTuple { Count: 3 } v && v[0] is string vk) key = vk;
                return data.TryGetValue(key, out var s) ? s : throw new InvalidDataException($"storage '{key}' has no data in the file");
            }
            fs.Position = objectStart;
            var rootObj = new Unpickler(fs, objectEnd, Resolve, new TorchAllowlist(created, materialize: true).TryReduce).Load();
            foreach (var t in created) t.DetachFromDisposeScope();
            return new TorchCheckpointContent(rootObj, created);
        }
        catch
        {
            foreach (var t in created) t.Dispose();
            throw;
        }
    }
}
