namespace Tessera.Models;

/// <summary>Compression factors of a model: input frames/height/width per latent position.</summary>
public readonly record struct Compression(int Time, int Height, int Width)
{
    public override string ToString() => $"{Time}x{Height}x{Width}";
}
