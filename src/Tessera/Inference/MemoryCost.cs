namespace Tessera.Inference;

/// <summary>Which pass of a <c>tessera</c> process a memory estimate is for.</summary>
internal enum MemoryPass
{
    Encode,
    Decode,
    /// <summary>Encode and decode in one process (reconstruct): both sessions, one after the other per chunk.</summary>
    Reconstruct,
}

/// <summary>
/// What sets a model's memory, as its family reports it (<see cref="VideoTokenizer.Footprint"/>): the bytes of its
/// weights, and the channels its encoder and decoder carry at full frame resolution, where activations are largest.
/// </summary>
internal sealed record ModelFootprint(long ParameterBytes, int EncoderWidth, int DecoderWidth);

/// <summary>
/// Peak resident memory of a <c>tessera</c> process running one pass, as a sum of terms whose coefficients were measured
/// on this project's machine (VmHWM of a fresh process per point, bundled model and a random-weight preset; the table
/// and the fit are in docs/performance.md, "Memory cost model"):
/// <list type="bullet">
/// <item>a fixed part: the .NET runtime, libtorch and its thread pools, FFmpeg pipes;</item>
/// <item>the weights, with their load-time copy;</item>
/// <item>one tile's activations for one pass: bytes per (pixel of the tile x frame of the pass x full-resolution channel);</item>
/// <item>frame-sized buffers of one pass: bytes per pixel of the frame x frame of the pass. The input stays 8-bit
/// until the encoder converts each tile (<see cref="ByteFrames"/>), so what is left is mostly the decoder's blended
/// float output (a pass's frames) with its trimmed copy, and the 8-bit frames read.</item>
/// </list>
/// A pass holds <c>chunk + temporal factor</c> frames: a chunk plus the causal front padding when encoding, a chunk plus
/// one latent of look-ahead when decoding (v1.1); a whole clip of 1 + chunk frames holds the same.
/// </summary>
internal static class MemoryCost
{
    // Fitted on the bundled model, Release build, 2 threads: 17 frames (20 per pass) of whole 64, 128 and 256-pixel
    // frames and 256-pixel frames in 128-pixel tiles, reconstruct on 128 whole and 256 in 128 tiles, and 5 frames (8 per
    // pass) of 1920x1080 in 256-pixel tiles for each pass (docs/performance.md, "Memory cost model").
    internal const double FixedBytes = 281e6;
    internal const double WeightCopies = 2.0;
    internal const double EncodeActivationBytes = 25.6;   // per tile pixel, pass frame and encoder channel
    internal const double DecodeActivationBytes = 18.0;   // per tile pixel, pass frame and decoder channel
    internal const double EncodeFrameBytes = 13.2;        // per frame pixel and pass frame
    internal const double DecodeFrameBytes = 29.5;
    internal const double ReconstructFrameBytes = 38.3;   // encode and decode in one process, and the metrics
    internal const double ReconstructExtraBytes = 82.9e6; // both passes' fixed buffers (what glibc keeps of the encoder's)

    /// <summary>
    /// The share of a budget the planner fills: the fit is within 8% on the large frames it plans for (1920x1080 in
    /// 512-pixel tiles, a point it was not fitted on: +3%), but underestimated a short decode of 5 frames in chunks of 4
    /// by 24% and 256-pixel frames in 128-pixel tiles by up to 22% (docs/performance.md).
    /// </summary>
    internal const double Headroom = 0.85;

    /// <summary>
    /// Predicted peak bytes of <paramref name="pass"/> on frames of <paramref name="frame"/> pixels, run in tiles of
    /// <paramref name="tile"/> pixels (the frame itself when untiled), <paramref name="passFrames"/> frames per pass and
    /// <paramref name="batch"/> clips at once.
    /// </summary>
    public static long Predict(MemoryPass pass, ModelFootprint model, (int Height, int Width) frame, (int Height, int Width) tile,
        int passFrames, int batch = 1)
    {
        double tilePixels = (double)Math.Min(tile.Height, frame.Height) * Math.Min(tile.Width, frame.Width);
        double framePixels = (double)frame.Height * frame.Width;
        double perFrame(double activation, int width, double frameBytes) => activation * width * tilePixels + frameBytes * framePixels;
        var work = pass switch
        {
            MemoryPass.Encode => perFrame(EncodeActivationBytes, model.EncoderWidth, EncodeFrameBytes),
            MemoryPass.Decode => perFrame(DecodeActivationBytes, model.DecoderWidth, DecodeFrameBytes),
            _ => Math.Max(EncodeActivationBytes * model.EncoderWidth, DecodeActivationBytes * model.DecoderWidth) * tilePixels
                 + ReconstructFrameBytes * framePixels,
        };
        var extra = pass == MemoryPass.Reconstruct ? ReconstructExtraBytes : 0;
        return (long)(FixedBytes + extra + WeightCopies * model.ParameterBytes + (double)batch * passFrames * work);
    }
}
