namespace Tessera.Models;

/// <summary>
/// The frame counts a model takes: <see cref="First"/> + <see cref="Step"/>·k for k ≥ 0, or exactly
/// <see cref="First"/> when <see cref="Step"/> is 0. A causal model with temporal factor 4 takes 1 + 4k
/// (its first frame is encoded alone); a non-causal one a multiple of 4; a streaming one any count.
/// </summary>
/// <param name="First">The smallest count taken.</param>
/// <param name="Step">The spacing of further counts; 0 when only <paramref name="First"/> is taken.</param>
public sealed record FrameRule(int First, int Step)
{
    /// <summary>Any frame count ≥ 1.</summary>
    public static FrameRule Any { get; } = new(1, 1);

    /// <summary>1 + <paramref name="step"/>·k frames (a causal model's first frame is encoded alone).</summary>
    public static FrameRule OnePlusMultipleOf(int step) => new(1, step);

    /// <summary>A positive multiple of <paramref name="step"/> frames.</summary>
    public static FrameRule MultipleOf(int step) => new(step, step);

    /// <summary>Exactly <paramref name="frames"/> frames.</summary>
    public static FrameRule Exactly(int frames) => new(frames, 0);

    /// <summary>Whether the model takes <paramref name="frames"/> frames as they are.</summary>
    public bool Accepts(int frames) =>
        frames >= Math.Max(1, First) && (Step == 0 ? frames == First : (frames - First) % Step == 0);

    /// <summary>The smallest count ≥ <paramref name="frames"/> the model takes, or null when there is none.</summary>
    public int? NextAccepted(int frames)
    {
        var n = Math.Max(Math.Max(1, First), frames);
        if (Step == 0) return n == First ? n : null;
        return First + (n - First + Step - 1) / Step * Step;
    }

    /// <summary>The rule in words for messages, e.g. "1 + 4k frames (1, 5, 9, …)".</summary>
    public string Describe() => this switch
    {
        (1, 1) => "any number of frames",
        (var f, 0) => $"exactly {f} frames",
        (1, var s) => $"1 + {s}k frames (1, {1 + s}, {1 + 2 * s}, …)",
        var (f, s) when f == s => $"a multiple of {s} frames",
        var (f, s) => $"{f} + {s}k frames",
    };
}
