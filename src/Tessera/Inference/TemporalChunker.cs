using static TorchSharp.torch;

namespace Tessera.Inference;

/// <summary>
/// Streams a long video through a causal model in temporal chunks, carrying each causal layer's
/// past frames across chunk borders in a <see cref="Nn.CausalCache"/> (as VidTok v1.1's tile_encode/tile_decode
/// with overlap). The first chunk is frame 0 alone (latent 0); each later encoder chunk holds
/// <c>framesPerChunk</c> frames, a multiple of the temporal factor, so it needs no padding and the
/// latents equal whole-clip encoding. Decoding gives every chunk but the last the model's look-ahead (one extra latent
/// where trilinear temporal upsampling blends each latent with the next, none for a decoder causal in latent time);
/// its frames are dropped.
/// Whole tensors in, whole tensors out: the chunking itself is <see cref="ChunkedEncoder"/>'s and <see cref="ChunkedDecoder"/>'s,
/// which <see cref="EncodeSession"/> and <see cref="DecodeSession"/> feed piece by piece.
/// </summary>
internal static class TemporalChunker
{
    /// <summary>[start, end) ranges: [0,1], [1,1+step], [1+step,1+2·step], …, the last clipped to <paramref name="length"/>.</summary>
    public static IReadOnlyList<(int Start, int End)> Chunks(int length, int step)
    {
        if (step <= 0) throw new ArgumentOutOfRangeException(nameof(step), "chunk step must be positive");
        var chunks = new List<(int, int)> { (0, Math.Min(1, length)) };
        for (var start = 1; start < length; start += step)
            chunks.Add((start, Math.Min(length, start + step)));
        return chunks;
    }

    /// <summary>Frames a clip of <paramref name="frames"/> is padded to: chunks after the first hold a multiple of the temporal factor.</summary>
    public static int PaddedLength(int frames, int temporalFactor) =>
        1 + (frames - 1 + temporalFactor - 1) / temporalFactor * temporalFactor;

    /// <summary>Encoder output [B, z|2z, T', H', W'] for video [B, 3, T, H, W], chunk by chunk.</summary>
    public static Tensor Encode(ICausalAutoencoder model, Tensor video, int framesPerChunk, IProgress<ChunkProgress>? progress = null)
    {
        var chunks = Chunks((int)video.shape[2], framesPerChunk).Count;
        using var encoder = new ChunkedEncoder(model, framesPerChunk, copyInput: false, progress, chunks);
        var parts = encoder.Push(video);
        try
        {
            if (encoder.Complete() is { } tail) parts.Add(tail);
            return cat(parts, 2);
        }
        finally
        {
            foreach (var p in parts) p.Dispose();
        }
    }

    /// <summary>Decoder output [B, 3, tdf·T', H, W] for latent [B, z, T', H', W'], chunk by chunk with the model's look-ahead.</summary>
    public static Tensor Decode(ICausalAutoencoder model, Tensor latent, int latentsPerChunk, IProgress<ChunkProgress>? progress = null)
    {
        var chunks = Chunks((int)latent.shape[2], latentsPerChunk).Count;
        using var decoder = new ChunkedDecoder(model, latentsPerChunk, copyInput: false, progress, chunks);
        var parts = decoder.Push(latent);
        try
        {
            if (decoder.Complete() is { } tail) parts.Add(tail);
            return cat(parts, 2);
        }
        finally
        {
            foreach (var p in parts) p.Dispose();
        }
    }
}
