using System.CommandLine;
using System.Globalization;
using Tessera.Inference;
using Tessera.Video;

namespace Tessera.Cli;

/// <summary>Options shared by several commands, and their conversion into library settings.</summary>
internal static class CommonOptions
{
    public static Option<string> Model(bool required) => new("--model", "-m")
    {
        Description = "Tessera model file (.safetensors), bundled model name (see 'tessera info'), preset name (see 'tessera presets'; an official one without --weights is downloaded from the Hugging Face Hub and converted once), hf:<owner>/<repo>[@revision]/<path>, or official VidTok YAML config",
        Required = required,
    };

    public static Option<string> About(bool required) => new("--about")
    {
        Description = "How the model was trained, recorded in its metadata: a JSON or YAML file with description, trained_on, budget, schedule, " +
                      "heldout_psnr, heldout_ssim, heldout_protocol, attribution, license (docs/bundled-training.md)",
        Required = required,
    };

    public static Option<string> Weights() => new("--weights", "-w")
    {
        Description = "Weights for a preset or YAML model: official Lightning .ckpt or Tessera .safetensors, local or hf:<owner>/<repo>[@revision]/<path>",
    };

    public static Option<bool> Ema() => new("--ema") { Description = "Use the EMA weights stored in the checkpoint" };

    public static Option<int> Chunk() => new("--chunk")
    {
        Description = "Causal models: frames per temporal chunk for long videos (0 = whole clip at once)",
        DefaultValueFactory = _ => 16,
    };

    public static Option<bool> StrictFrames() => new("--strict-frames")
    {
        Description = "Refuse clips whose frame count the model cannot take, instead of padding with the last frame",
    };

    public static Option<bool> Quiet() => new("--quiet", "-q") { Description = "No status or progress text on stderr (results and errors still appear)" };

    public static Option<int> Threads() => new("--threads") { Description = "CPU threads for tensor work (default: all cores)" };

    public static Option<string> Tile() => new("--tile")
    {
        Description = "Spatial tiling for frames larger than a tile: N or WxH pixels, multiples of the model's spatial factor; bounds memory by the tile instead of the frame",
    };

    public static Option<int?> TileOverlap() => new("--tile-overlap")
    {
        Description = "Pixels neighbouring tiles share and blend across (default: a quarter of the tile's short side, a multiple of 8)",
    };

    public static Option<string> DType() => new("--dtype")
    {
        Description = "Encoder/decoder number format: float32 (default), bfloat16 (codes and video stay float32; fast only on CPUs with AVX512-BF16 or AMX), or auto (bfloat16 where the CPU has it)",
        DefaultValueFactory = _ => "float32",
    };

    /// <summary>--dtype as the tokenizer takes it.</summary>
    public static ComputePrecision ParseDType(string? text) => text?.ToLowerInvariant() switch
    {
        null or "float32" or "fp32" => ComputePrecision.Float32,
        "bfloat16" or "bf16" => ComputePrecision.BFloat16,
        "auto" => ComputePrecision.Auto,
        _ => throw new UsageException($"--dtype must be float32, bfloat16 or auto, got '{text}'"),
    };

    /// <summary>--tile / --tile-overlap as the tokenizer takes them; null without --tile.</summary>
    public static TileSize? ParseTile(string? tile, int? overlap)
    {
        if (ParseSize(tile, "--tile") is not { } size)
            return overlap is null ? null : throw new UsageException("--tile-overlap needs --tile");
        var o = overlap ?? Math.Max(8, Math.Min(size.Height, size.Width) / 4 / 8 * 8);
        if (o < 0) throw new UsageException($"--tile-overlap must not be negative, got {o}");
        return new TileSize(size.Width, size.Height, o);
    }

    public static Option<double?> Fps() => new("--fps") { Description = "Sample the video at this frame rate (every round(src/fps)-th frame)" };
    public static Option<string> Size() => new("--size") { Description = "Frame size: N (short side to N, centre crop NxN) or WxH, width first as in 1280x720 (short side, centre crop)" };
    public static Option<bool> ExactResize() => new("--exact-resize") { Description = "Resize to --size exactly instead of short side + centre crop" };
    public static Option<int?> Frames() => new("--frames") { Description = "Take at most this many frames (after fps sampling)" };
    public static Option<double> Start() => new("--start") { Description = "Start this many seconds into the video", DefaultValueFactory = _ => 0.0 };

    /// <summary>--size: N (square N x N) or WxH, width first as video tools write it (1280x720).</summary>
    public static (int Height, int Width)? ParseSize(string? text, string option = "--size")
    {
        if (string.IsNullOrWhiteSpace(text)) return null;
        var parts = text.ToLowerInvariant().Split('x');
        if (parts.Length == 1 && int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n > 0)
            return (n, n);
        if (parts.Length == 2 && int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var w) &&
            int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var h) && h > 0 && w > 0)
            return (h, w);
        throw new UsageException($"{option} must be N or WxH (width x height, e.g. 1280x720) with positive integers, got '{text}'");
    }

    /// <summary>
    /// The size as the command understood it, for its first line: --size once meant HxW, so a user upgrading sees at once
    /// which way round it was read.
    /// </summary>
    public static string DescribeSize((int Height, int Width)? size, bool exact) => size switch
    {
        null => "frames at their own size",
        { } s when exact => $"resizing to {Sizes.Show(s)} (width x height) exactly",
        { } s when s.Height == s.Width => $"resizing the short side to {s.Width}, centre crop {Sizes.Show(s)} (width x height)",
        { } s => $"resizing to {Sizes.Show(s)} (width x height): short side, then centre crop",
    };

    public static TokenizerOptions Tokenizer(CliContext ctx, int chunk, bool strictFrames, int threads) => new()
    {
        Progress = CliCancellation.Checking(ctx.InferenceProgress()),
        TemporalChunk = chunk,
        Frames = strictFrames ? FramePolicy.Refuse : FramePolicy.PadLastFrame,
        Threads = threads,
    };

    public static ReadOptions Read(double? fps, string? size, bool exact, int? frames, double start)
    {
        if (fps is <= 0) throw new UsageException($"--fps must be positive, got {fps}");
        if (frames is <= 0) throw new UsageException($"--frames must be positive, got {frames}");
        if (start < 0) throw new UsageException($"--start must not be negative, got {start}");
        return new ReadOptions
        {
            Fps = fps,
            Size = ParseSize(size),
            ResizeMode = exact ? ResizeMode.Exact : ResizeMode.ShortSideCenterCrop,
            FrameCount = frames,
            Start = start,
        };
    }
}
