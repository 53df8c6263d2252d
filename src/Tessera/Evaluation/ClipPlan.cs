using Tessera.Models;

namespace Tessera.Evaluation;

/// <summary>
/// One clip of an evaluated video: frames <see cref="Start"/> … <see cref="Start"/> + <see cref="RealFrames"/> − 1 of the
/// sampled video, followed by <see cref="PaddedFrames"/> repeats of the last of them.
/// </summary>
internal readonly record struct ClipSpan(int Start, int RealFrames, int PaddedFrames)
{
    public int Length => RealFrames + PaddedFrames;

    /// <summary>Source frame index of each clip frame (padding repeats the last real one).</summary>
    public int[] FrameIndices()
    {
        var indices = new int[Length];
        for (var i = 0; i < indices.Length; i++) indices[i] = Start + Math.Min(i, RealFrames - 1);
        return indices;
    }
}

/// <summary>The clip layout of the evaluation protocol (VidTok's <c>VidTokValDataset</c>, <c>inference_evaluate.py</c>).</summary>
internal static class ClipPlan
{
    /// <summary>Default clip length: the model family's own protocol (VidTok: 17 for causal models, chunk 16 + 1; 16 for non-causal ones).</summary>
    public static int DefaultClipFrames(ModelConfig config) => config.Card.EvalClipFrames;

    /// <summary>
    /// Consecutive non-overlapping clips of <paramref name="clipFrames"/>; the tail clip is padded by repeating the
    /// last frame ("repeat" in the reference). Padded frames are evaluated and counted like real ones, as the
    /// reference does.
    /// </summary>
    public static IReadOnlyList<ClipSpan> Clips(int frameCount, int clipFrames)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(frameCount);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(clipFrames);
        var clips = new List<ClipSpan>();
        for (var start = 0; start < frameCount; start += clipFrames)
        {
            var real = Math.Min(clipFrames, frameCount - start);
            clips.Add(new ClipSpan(start, real, clipFrames - real));
        }
        return clips;
    }

    /// <summary>
    /// Frames the long-video mode keeps of <paramref name="frameCount"/>: the reference keeps
    /// <c>chunk·⌊(L−1)/chunk⌋+1</c> (causal) frames; <see cref="LongVideoLength.KeepAll"/> keeps all.
    /// </summary>
    public static int LongVideoFrames(ModelConfig config, int frameCount, int chunk, LongVideoLength rule)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(frameCount);
        if (rule == LongVideoLength.KeepAll) return frameCount;
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(chunk);
        return config.Card.Causal ? chunk * ((frameCount - 1) / chunk) + 1 : chunk * (frameCount / chunk);
    }
}
