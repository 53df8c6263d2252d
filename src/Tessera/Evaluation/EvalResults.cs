using System.Text.Json.Serialization;
using Tessera.Metrics;

namespace Tessera.Evaluation;

/// <summary>Metrics of one evaluated frame (padded tail frames included, flagged).</summary>
/// <param name="Frame">Index among the video's evaluated (sampled) frames, padding included.</param>
/// <param name="Clip">Index of the clip the frame was evaluated in.</param>
/// <param name="SourceFrame">The sampled frame it shows (a padded frame repeats its clip's last real frame).</param>
/// <param name="Padded">Whether the frame is padding added to reach a frame count the model takes.</param>
/// <param name="Values">Metric values by metric name.</param>
public sealed record FrameRecord(int Frame, int Clip, int SourceFrame, bool Padded, IReadOnlyDictionary<string, double> Values);

/// <summary>Codebook statistics of one token group of a discrete model.</summary>
/// <param name="CodebookSize">K, the group's codebook size.</param>
/// <param name="Tokens">Ids counted.</param>
/// <param name="UsedCodes">Codes seen at least once.</param>
/// <param name="Utilisation">UsedCodes / K.</param>
/// <param name="Perplexity">2^entropy of the id histogram: the effective number of codes (1 … K).</param>
public sealed record CodebookStats(long CodebookSize, long Tokens, long UsedCodes, double Utilisation, double Perplexity)
{
    /// <summary>The statistics of <paramref name="u"/>; with no tokens (every video failed) 0 codes used and perplexity NaN.</summary>
    public static CodebookStats From(CodebookUsage u)
    {
        if (u.Tokens == 0) return new(u.CodebookSize, 0, 0, 0, double.NaN);
        var r = u.Result();
        return new(r.CodebookSize, r.Tokens, r.UsedCodes, r.Utilisation, r.Perplexity);
    }
}

/// <summary>An RGB frame pair kept for the HTML report: uint8 [H, W, 3] row-major.</summary>
/// <param name="Frame">Index among the video's evaluated frames.</param>
/// <param name="Height">H in pixels.</param>
/// <param name="Width">W in pixels.</param>
/// <param name="Original">The input frame, uint8 RGB [H, W, 3].</param>
/// <param name="Reconstruction">The decoded frame clamped to the range and truncated to uint8 RGB [H, W, 3].</param>
public sealed record SampleFrame(int Frame, int Height, int Width, byte[] Original, byte[] Reconstruction);

/// <summary>The outcome for one video; <see cref="Error"/> is set (and metrics are empty) when it could not be evaluated.</summary>
public sealed class VideoResult
{
    /// <summary>The video's name in reports.</summary>
    public required string Name { get; init; }
    /// <summary>The video file.</summary>
    public required string Path { get; init; }
    /// <summary>Why the video could not be evaluated (one line naming the file); null when it was.</summary>
    public string? Error { get; set; }

    /// <summary>Frames after fps sampling (long mode: after the reference's truncation).</summary>
    public int Frames { get; set; }

    /// <summary>Frames that went through the model and into the metrics, padded tail frames included.</summary>
    public int EvaluatedFrames { get; set; }
    /// <summary>Repeats of a clip's last frame added to reach a frame count the model takes (counted in <see cref="EvaluatedFrames"/>).</summary>
    public int PaddedFrames { get; set; }

    /// <summary>Sampled frames dropped by the long mode's reference truncation.</summary>
    public int DroppedFrames { get; set; }
    /// <summary>Clips the video was evaluated in.</summary>
    public int Clips { get; set; }
    /// <summary>Evaluated frame height in pixels (after resizing).</summary>
    public int Height { get; set; }
    /// <summary>Evaluated frame width in pixels (after resizing).</summary>
    public int Width { get; set; }
    /// <summary>The frame rate the video was sampled at.</summary>
    public double Fps { get; set; }

    /// <summary>Token ids (FSQ) or latent values (KL) produced.</summary>
    public long Tokens { get; set; }
    /// <summary>Wall-clock seconds for the whole video (reading, model, metrics).</summary>
    public double Seconds { get; set; }
    /// <summary>Wall-clock seconds spent in encode and decode.</summary>
    public double ModelSeconds { get; set; }

    /// <summary>Frame-weighted means over every evaluated frame, padding included (the reference's convention); null = not computed.</summary>
    public Dictionary<string, double?> Metrics { get; } = new();

    /// <summary>The same means over real frames only (padding excluded), for comparison.</summary>
    public Dictionary<string, double?> MetricsRealFrames { get; } = new();
    /// <summary>Statistics of a one-group code (VidTok's <c>tokens</c>); null for continuous or multi-group models.</summary>
    public CodebookStats? Codebook => Codebooks.Count == 1 ? Codebooks.Values.First() : null;

    /// <summary>Statistics per token group; empty for continuous models.</summary>
    public Dictionary<string, CodebookStats> Codebooks { get; } = new();
    /// <summary>Problems that did not stop the evaluation (e.g. decode warnings of the source).</summary>
    public List<string> Warnings { get; } = new();
    /// <summary>Metrics of every evaluated frame, in order.</summary>
    public List<FrameRecord> PerFrame { get; } = new();

    /// <summary>Token histograms per token group (not serialised); empty for continuous models.</summary>
    [JsonIgnore] public Dictionary<string, CodebookUsage> Usages { get; } = new();
    /// <summary>The histogram of a one-group code; null otherwise.</summary>
    [JsonIgnore] public CodebookUsage? Usage => Usages.Count == 1 ? Usages.Values.First() : null;
    /// <summary>Frame pairs kept for the HTML report (not serialised).</summary>
    [JsonIgnore] public List<SampleFrame> Samples { get; } = new();
    /// <summary>Whether <see cref="Error"/> is set.</summary>
    [JsonIgnore] public bool Failed => Error is not null;
}

/// <summary>Everything an evaluation run produced.</summary>
public sealed class EvalRun
{
    /// <summary>The model argument as given (preset, file or Hub reference).</summary>
    public required string Model { get; init; }
    /// <summary>The input argument as given (video, folder or list).</summary>
    public required string Input { get; init; }
    /// <summary>The protocol settings.</summary>
    public required EvalSettings Settings { get; init; }
    /// <summary>One result per input video, in input order.</summary>
    public List<VideoResult> Videos { get; } = new();

    /// <summary>Frame-weighted means over every evaluated frame of every successful video; null = not computed.</summary>
    public Dictionary<string, double?> Metrics { get; } = new();
    /// <summary>The same means over real frames only (padding excluded).</summary>
    public Dictionary<string, double?> MetricsRealFrames { get; } = new();

    /// <summary>FVD over all FVD windows (features of originals vs reconstructions); null when not computed.</summary>
    public double? Fvd { get; set; }

    /// <summary>FVD windows per side (<see cref="EvalOptions.FvdClipFrames"/> frames each).</summary>
    public int FvdClips { get; set; }

    /// <summary>The feature extractor's name (e.g. <c>i3d_logits400</c>); FVDs compare only with the same one. Null without FVD.</summary>
    public string? FvdFeatures { get; set; }
    /// <summary>Statistics of a one-group code (VidTok's <c>tokens</c>); null for continuous or multi-group models.</summary>
    public CodebookStats? Codebook => Codebooks.Count == 1 ? Codebooks.Values.First() : null;

    /// <summary>Statistics per token group over all successful videos; empty for continuous models.</summary>
    public Dictionary<string, CodebookStats> Codebooks { get; } = new();
    /// <summary>Token histograms per token group over all successful videos (not serialised).</summary>
    [JsonIgnore] public Dictionary<string, CodebookUsage> Usages { get; } = new();
    /// <summary>The histogram of a one-group code; null otherwise.</summary>
    [JsonIgnore] public CodebookUsage? Usage => Usages.Count == 1 ? Usages.Values.First() : null;
    /// <summary>Problems that did not stop the run.</summary>
    public List<string> Warnings { get; } = new();
    /// <summary>Wall-clock seconds of the run.</summary>
    public double Seconds { get; set; }
    /// <summary>Videos evaluated.</summary>
    public int Succeeded => Videos.Count(v => !v.Failed);
    /// <summary>Videos that could not be evaluated.</summary>
    public int Failed => Videos.Count(v => v.Failed);
    /// <summary>Frames that went through the model over all successful videos, padded tail frames included.</summary>
    public long Frames => Videos.Where(v => !v.Failed).Sum(v => (long)v.EvaluatedFrames);

    /// <summary>The padded tail frames among <see cref="Frames"/>: repeats of a last frame, not frames of the videos.</summary>
    public long PaddedFrames => Videos.Where(v => !v.Failed).Sum(v => (long)v.PaddedFrames);
    /// <summary>Token ids (or latent values) produced over all successful videos.</summary>
    public long Tokens => Videos.Where(v => !v.Failed).Sum(v => v.Tokens);
}

/// <summary>The protocol settings recorded with the results.</summary>
/// <param name="Fps">Rate videos are sampled at.</param>
/// <param name="Height">Evaluated frame height.</param>
/// <param name="Width">Evaluated frame width.</param>
/// <param name="ClipFrames">Frames per clip.</param>
/// <param name="LongVideo">Whether each video went through the model whole (chunked) rather than in clips.</param>
/// <param name="LongVideoLength">The <see cref="Evaluation.LongVideoLength"/> rule, by name.</param>
/// <param name="TemporalChunk">The tokenizer's temporal chunk (0: none).</param>
/// <param name="ModelFamily">Family and variant of the model.</param>
/// <param name="Metrics">Metric columns in report order.</param>
/// <param name="PaddingConvention">How padded frames count, in words.</param>
/// <param name="FvdClipFrames">Frames per FVD window.</param>
public sealed record EvalSettings(double Fps, int Height, int Width, int ClipFrames, bool LongVideo, string LongVideoLength,
    int TemporalChunk, string ModelFamily, IReadOnlyList<string> Metrics, string PaddingConvention, int FvdClipFrames);

/// <summary>Progress over videos and the clips of the current video.</summary>
/// <param name="Video">Videos finished (1-based, with <paramref name="Videos"/>) when a video completes; 0 for reports within a video.</param>
/// <param name="Videos">Videos in the run; 0 for reports within a video.</param>
/// <param name="Name">The current video's name.</param>
/// <param name="Clip">Clips of the current video done.</param>
/// <param name="Clips">Clips of the current video.</param>
public readonly record struct EvalProgress(int Video, int Videos, string Name, int Clip, int Clips);
