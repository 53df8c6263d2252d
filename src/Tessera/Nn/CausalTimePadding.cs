using static TorchSharp.torch;

namespace Tessera.Nn;

/// <summary>How a causal layer fills the frames before the first one.</summary>
internal enum CausalPadding
{
    /// <summary>VidTok v1.0: zero frames on the first chunk, the previous chunk's last frames after it.</summary>
    Zeros,
    /// <summary>VidTok v1.1: copies of the first frame on the first chunk, the previous chunk's last frames after it.</summary>
    ReplicateOrCache,
}

internal static class CausalTimePadding
{
    /// <summary>
    /// Prepends <paramref name="pad"/> frames to [B, C, T, H, W] and records the padded input (less the layer's cache
    /// offset) as the layer's cache for the next chunk.
    /// </summary>
    public static Tensor Prepend(nn.Module layer, Tensor x, int pad, CausalPadding mode, CausalCache cache)
    {
        // A kernel of one frame needs no past: nothing to pad, nothing to remember.
        if (pad == 0)
            return x.alias();

        Tensor padded;
        if (cache.IsFirstChunk && mode == CausalPadding.Zeros)
            padded = nn.functional.pad(x, [0, 0, 0, 0, pad, 0]);
        else
        {
            Tensor front;
            if (cache.IsFirstChunk)
            {
                // Views hold their base's storage: an undisposed slice would keep the whole activation alive.
                using var first = x[.., .., ..1];
                front = first.expand(-1, -1, pad, -1, -1);
            }
            else
            {
                var previous = cache.Get(layer)
                    ?? throw new InvalidOperationException("a later chunk reached a causal layer with no cached frames; start with IsFirstChunk = true");
                front = previous[.., .., (int)Math.Max(0, previous.shape[2] - pad)..];
            }
            using (front) padded = cat([front, x], 2);
        }
        if (cache.Keeps)
        {
            // Only the last `pad` frames of the cache are ever read back, so only those are kept.
            var keepEnd = padded.shape[2] - cache.OffsetOf(layer);
            using var tail = padded[.., .., (int)Math.Max(0, keepEnd - pad)..(int)keepEnd];
            cache.Set(layer, tail);
        }
        return padded;
    }
}
