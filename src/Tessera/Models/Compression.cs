namespace Tessera.Models;

/// <summary>Compression factors of a model: input frames/height/width per latent position.</summary>
public readonly record struct Compression(int Time, int Height, int Width)
{
    /// <summary>"TxHxW", e.g. "4x8x8".</summary>
    public override string ToString() => $"{Time}x{Height}x{Width}";
}
