namespace Tessera.Models;

/// <summary>Compression factors of a model: input frames/height/width per latent position.</summary>
/// <param name="Time">Input frames per latent frame (after a causal model's first frame).</param>
/// <param name="Height">Input rows per latent row.</param>
/// <param name="Width">Input columns per latent column.</param>
public readonly record struct Compression(int Time, int Height, int Width)
{
    /// <summary>"TxHxW", e.g. "4x8x8".</summary>
    public override string ToString() => $"{Time}x{Height}x{Width}";
}
