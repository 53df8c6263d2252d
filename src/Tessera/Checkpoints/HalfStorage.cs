using static TorchSharp.torch;

namespace Tessera.Checkpoints;

/// <summary>
/// Model files with float16 storage: every float32 tensor of a safetensors file written as float16 (half the bytes),
/// other dtypes and the metadata kept, <c>storage: float16</c> added. Loaders copy weights into float32 modules, so
/// such a file runs in float32 with weights rounded to 11 significant bits (relative error at most 2^-11).
/// </summary>
internal static class HalfStorage
{
    public const string Key = "storage";

    /// <summary>Rewrites <paramref name="source"/> as <paramref name="destination"/> (atomically; the two may be the same file).</summary>
    public static void Rewrite(string source, string destination)
    {
        using var sd = SafeTensorsFile.Load(source);
        using var scope = NewDisposeScope();
        foreach (var (name, t) in sd)
            if (t.dtype == ScalarType.Float32 && t.numel() > 0 && t.abs().max().item<float>() > 65504f)
                throw new CheckpointFormatException($"'{source}': tensor '{name}' holds values beyond float16's range (±65504); keep float32 storage");
        var tensors = sd.Select(kv => (kv.Key, kv.Value.dtype == ScalarType.Float32 ? kv.Value.to_type(ScalarType.Float16) : kv.Value)).ToList();
        var meta = new Dictionary<string, string>(sd.Metadata) { [Key] = "float16" };
        SafeTensorsFile.Save(destination, tensors, meta);
    }
}
