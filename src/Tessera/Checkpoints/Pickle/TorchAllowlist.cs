using System.Text;
using TorchSharp;
using static TorchSharp.torch;

namespace Tessera.Checkpoints.Pickle;

/// <summary>A storage referenced by a torch pickle's persistent id; <see cref="Data"/> is a 1-D tensor of its elements.</summary>
internal sealed class TorchStorage(string key, ScalarType dtype, long numel)
{
    public string Key { get; } = key;
    public ScalarType DType { get; } = dtype;
    public long Numel { get; } = numel;
    public Tensor? Data { get; set; }
}

/// <summary>
/// The globals a torch checkpoint may call, given safe meanings: tensor/parameter rebuilding, OrderedDict, sets,
/// torch.Size, <c>_codecs.encode</c>. Anything else stays an inert <see cref="PickleObject"/>.
/// </summary>
internal sealed class TorchAllowlist(List<Tensor> created, bool materialize)
{
    public bool TryReduce(PickleGlobal g, PickleTuple args, out object? result)
    {
        result = null;
        switch (g.FullName)
        {
            case "torch._utils._rebuild_tensor_v2":
            case "torch._utils._rebuild_tensor":
                result = RebuildTensor(g, args);
                return true;
            case "torch._utils._rebuild_parameter":
            case "torch._utils._rebuild_parameter_with_state":
                if (args.Count < 1) throw new InvalidDataException($"{g} without data");
                result = args[0];
                return true;
            case "collections.OrderedDict":
            case "builtins.dict":
            case "__builtin__.dict":
            {
                var d = new PickleDict();
                if (args.Count > 0 && args[0] is List<object?> pairs)
                    foreach (var p in pairs)
                        if (p is PickleTuple { Count: 2 } kv) d.Set(kv[0], kv[1]);
                        else if (p is List<object?> { Count: 2 } kl) d.Set(kl[0], kl[1]);
                        else throw new InvalidDataException($"{g} item {PickleKey.Describe(p)} is not a (key, value) pair");
                result = d;
                return true;
            }
            case "builtins.set" or "__builtin__.set" or "builtins.frozenset" or "__builtin__.frozenset":
            {
                var s = new PickleSet(g.Name == "frozenset");
                if (args.Count > 0 && args[0] is List<object?> items) s.Items.AddRange(items);
                result = s;
                return true;
            }
            case "torch.Size":
                result = args.Count > 0 && args[0] is PickleTuple t ? t : new PickleTuple([]);
                return true;
            case "_codecs.encode":
                if (args.Count >= 1 && args[0] is string str)
                {
                    result = Encoding.Latin1.GetBytes(str);
                    return true;
                }
                return false;
            case "builtins.bytearray" or "builtins.bytes":
                if (args.Count >= 1 && args[0] is byte[] b) { result = b; return true; }
                return false;
            default:
                return false;
        }
    }

    private object RebuildTensor(PickleGlobal g, PickleTuple args)
    {
        if (args.Count < 4 || args[0] is not TorchStorage storage)
            throw new InvalidDataException($"{g} called with unexpected arguments {args}");
        long offset = AsLong(args[1], "storage offset");
        var size = AsLongs(args[2], "size");
        var stride = AsLongs(args[3], "stride");
        if (size.Length != stride.Length) throw new InvalidDataException($"tensor size {args[2]} and stride {args[3]} differ in rank");
        if (size.Length > 64) throw new InvalidDataException("tensor rank above 64");
        // Highest element index touched, with overflow checks; empty tensors touch nothing.
        bool empty = size.Any(s => s == 0);
        long last = offset;
        foreach (var (s, st) in size.Zip(stride))
        {
            if (s < 0 || st < 0) throw new InvalidDataException($"negative size or stride in {args[2]} / {args[3]}");
            if (!empty) last = checked(last + (s - 1) * st);
        }
        if (offset < 0 || (!empty && last >= storage.Numel) || offset > storage.Numel)
            throw new InvalidDataException($"tensor view (offset {offset}, size {args[2]}, stride {args[3]}) exceeds storage '{storage.Key}' of {storage.Numel} elements");
        // Stride-0 (overlapping) views can claim far more elements than their storage holds; bound them.
        long count = 1;
        foreach (var s in size)
        {
            if (s != 0 && count > MaxViewElements / s)
                throw new InvalidDataException($"tensor view of size {args[2]} over storage '{storage.Key}' of {storage.Numel} elements has more than {MaxViewElements:N0} elements");
            count *= s;
        }
        if (count > Math.Max(storage.Numel, 1L << 20))
            throw new InvalidDataException($"tensor view of size {args[2]} ({count:N0} elements) repeats storage '{storage.Key}' of {storage.Numel} elements (stride-0 view); refusing it");
        if (!materialize) return new PickleObject(g, args);
        var data = storage.Data ?? throw new InvalidDataException($"storage '{storage.Key}' has no data");
        var t = data.as_strided(size, stride, offset);
        created.Add(t);
        return t;
    }

    /// <summary>Most elements one tensor of a checkpoint may have (16 Gi).</summary>
    public const long MaxViewElements = 1L << 34;

    private static long AsLong(object? o, string what)
        => o is long l ? l : throw new InvalidDataException($"tensor {what} is not an integer: {PickleKey.Describe(o)}");

    private static long[] AsLongs(object? o, string what) => o switch
    {
        PickleTuple t => t.Items.Select(i => AsLong(i, what)).ToArray(),
        List<object?> l => l.Select(i => AsLong(i, what)).ToArray(),
        _ => throw new InvalidDataException($"tensor {what} is not a tuple: {PickleKey.Describe(o)}"),
    };

    /// <summary>Reads a storage description out of a persistent id <c>('storage', type, key, location, numel, ...)</c>.</summary>
    public static (ScalarType dtype, string key, long numel, PickleTuple pid) ParseStoragePid(object? pid)
    {
        if (pid is not PickleTuple t || t.Count < 5 || t[0] is not string tag || tag != "storage")
            throw new InvalidDataException($"unsupported persistent id {PickleKey.Describe(pid)}");
        if (t[1] is not PickleGlobal type || !CheckpointDTypes.TryFromStorageClass(type.Name, out var dtype))
            throw new InvalidDataException($"unsupported storage type {PickleKey.Describe(t[1])}");
        var key = t[2] switch { string s => s, long l => l.ToString(System.Globalization.CultureInfo.InvariantCulture), _ => throw new InvalidDataException("storage key is not a string") };
        if (t[4] is not long numel || numel < 0) throw new InvalidDataException($"storage '{key}' has invalid size {PickleKey.Describe(t[4])}");
        return (dtype, key, numel, t);
    }
}
