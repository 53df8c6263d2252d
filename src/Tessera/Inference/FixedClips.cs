using Tessera.Models;
using static TorchSharp.torch;

namespace Tessera.Inference;

/// <summary>
/// A video longer than a fixed-length model's clip, cut into consecutive clips of exactly that length (SweetTok takes
/// exactly 17 frames), stacked along the batch axis. Frames after the last whole clip are left out, as the evaluation
/// protocol does; a video shorter than one clip is left for the frame rule to pad or refuse.
/// </summary>
internal static class FixedClips
{
    /// <summary>
    /// The consecutive windows (start frame, frame count) that cover all <paramref name="frames"/> frames of a video for
    /// a model that takes exactly N (the last window shorter when N does not divide the count: the tokenizer pads it and
    /// trims the decoded frames back); a single window for a video of at most N frames or a model of any length.
    /// </summary>
    public static IReadOnlyList<(int Start, int Length)> Windows(int frames, FrameRule rule)
    {
        if (rule.Step != 0 || frames <= rule.First) return [(0, frames)];
        var n = rule.First;
        return Enumerable.Range(0, (frames + n - 1) / n).Select(i => (i * n, Math.Min(n, frames - i * n))).ToList();
    }

    /// <summary>
    /// [B, 3, T, H, W] → [B·k, 3, N, H, W] with k = T / N whole clips (clip-major within each video), when the rule
    /// takes exactly N frames and T &gt; N; otherwise the input itself (<paramref name="clipsPerVideo"/> = 1,
    /// nothing dropped). The caller owns the result (a new tensor or a view of the input).
    /// </summary>
    public static Tensor Split(Tensor video, FrameRule rule, out int clipsPerVideo, out int droppedFrames)
    {
        clipsPerVideo = 1;
        droppedFrames = 0;
        var frames = (int)video.shape[2];
        if (rule.Step != 0 || frames <= rule.First) return video.alias();
        var n = rule.First;
        clipsPerVideo = frames / n;
        droppedFrames = frames - clipsPerVideo * n;
        var (b, c, h, w) = (video.shape[0], video.shape[1], video.shape[3], video.shape[4]);
        using var whole = video[.., .., ..(clipsPerVideo * n)];
        using var grouped = whole.reshape(b, c, clipsPerVideo, n, h, w);
        using var major = grouped.permute(0, 2, 1, 3, 4, 5);
        return major.reshape(b * clipsPerVideo, c, n, h, w);
    }
}
