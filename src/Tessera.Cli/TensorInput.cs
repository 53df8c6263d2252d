using Tessera.Checkpoints;
using Tessera.Models;
using static TorchSharp.torch;

namespace Tessera.Cli;

/// <summary>
/// A video given as a tensor file (<c>.npy</c>): float32 [3, T, H, W] or [B, 3, T, H, W], already in the model's
/// input range (the model card's: [-1, 1] for VidTok, [-0.5, 0.5] for SweetTok), passed to the model as is.
/// </summary>
internal static class TensorInput
{
    public static bool IsTensorFile(string path) => path.EndsWith(".npy", StringComparison.OrdinalIgnoreCase);

    public static Tensor Load(string path, ModelCard card, Action<string> warn)
    {
        if (!File.Exists(path)) throw new InvalidInputException($"tensor file '{path}' does not exist");
        Tensor raw;
        try
        {
            raw = Npy.Load(path);
        }
        catch (CheckpointFormatException e)
        {
            throw new InvalidInputException($"tensor file '{path}': not a readable .npy array ({e.Message})", e);
        }
        using (raw)
        {
            var shape = $"[{string.Join(", ", raw.shape)}]";
            if (raw.dtype != ScalarType.Float32)
                throw new InvalidInputException($"tensor file '{path}': video must be float32, got {raw.dtype} {shape}");
            if (raw.dim() is not (4 or 5) || raw.shape[^4] != 3)
                throw new InvalidInputException($"tensor file '{path}': video must be [3, T, H, W] or [B, 3, T, H, W], got {shape}");
            if (raw.numel() == 0) throw new InvalidInputException($"tensor file '{path}': video {shape} is empty");
            using (var finite = raw.isfinite().all())
                if (!finite.item<bool>()) throw new InvalidInputException($"tensor file '{path}': video holds NaN or infinite values");
            var (min, max) = (raw.min().item<float>(), raw.max().item<float>());
            var slack = 0.05 * (card.Range.Max - card.Range.Min);
            if (min < card.Range.Min - slack || max > card.Range.Max + slack)
                warn($"warning: tensor file '{path}' holds values in [{min:0.###}, {max:0.###}]; model '{card.Name}' takes {card.Range}");
            return (raw.dim() == 4 ? raw.unsqueeze(0) : raw.alias()).contiguous();
        }
    }
}
