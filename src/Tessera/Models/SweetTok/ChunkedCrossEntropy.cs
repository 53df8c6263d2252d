using static TorchSharp.torch;

namespace Tessera.Models.SweetTok;

/// <summary>
/// Mean cross-entropy of logits [B, K, ...] against class ids [B, ...], with the log-partition taken over the K
/// classes a chunk at a time (logsumexp per chunk, then over the chunks), so besides the logits and their gradient
/// no temporary holds more than one chunk of classes: at the official 8,192 proxy codes × 5,120 positions the
/// logits alone are 168 MB per clip.
/// </summary>
internal static class ChunkedCrossEntropy
{
    /// <param name="chunk">Classes per chunk (≥ 1).</param>
    /// <param name="logits">Logits [B, K, ...].</param>
    /// <param name="targets">Class ids [B, ...] in [0, K).</param>
    public static Tensor Compute(Tensor logits, Tensor targets, int chunk)
    {
        if (chunk <= 0) throw new ArgumentOutOfRangeException(nameof(chunk), chunk, "chunk must be positive");
        if (logits.dim() < 2 || targets.dim() != logits.dim() - 1 || targets.shape[0] != logits.shape[0] ||
            !targets.shape.Skip(1).SequenceEqual(logits.shape.Skip(2)))
            throw new InvalidInputException($"cross-entropy takes logits [B, K, ...] and targets [B, ...] on the same grid, got [{string.Join(", ", logits.shape)}] and [{string.Join(", ", targets.shape)}]");
        using var scope = NewDisposeScope();
        long b = logits.shape[0], k = logits.shape[1];
        var flat = logits.reshape(b, k, -1);
        var ids = targets.reshape(b, 1, -1).to_type(ScalarType.Int64);
        var parts = new List<Tensor>();
        for (long start = 0; start < k; start += chunk)
            parts.Add(flat.narrow(1, start, Math.Min(chunk, k - start)).to_type(ScalarType.Float32).logsumexp(1));
        var logPartition = parts.Count == 1 ? parts[0] : stack(parts, 0).logsumexp(0);
        var picked = flat.gather(1, ids).squeeze(1).to_type(ScalarType.Float32);
        return scope.MoveToOuter((logPartition - picked).mean());
    }
}
