using Tessera.Models.VidTok;
using static TorchSharp.torch;

namespace Tessera.Inference;

/// <summary>
/// Loads a VidTok model once and turns videos into <see cref="VideoCode"/>s and back.
/// Videos are float32 [B, 3, T, H, W] (or [3, T, H, W]) in [-1, 1]; decoding returns exactly the encoded
/// frame count, clamped to [-1, 1]. Each call runs under no_grad in its own dispose scope.
/// </summary>
public sealed partial class VideoTokenizer : IDisposable
{
    private readonly VidTokModel model;

    public VideoTokenizer(VidTokModel model, TokenizerOptions? options = null)
    {
        this.model = model;
        Options = options ?? new TokenizerOptions();
        if (Options.TemporalChunk < 0 || (Options.TemporalChunk > 0 && Options.TemporalChunk % model.Config.TimeDownsampleFactor != 0))
            throw new ConfigException($"temporal chunk must be a positive multiple of the temporal factor {model.Config.TimeDownsampleFactor} (or 0 to disable), got {Options.TemporalChunk}");
        model.eval();
    }

    public VidTokConfig Config => model.Config;
    public TokenizerOptions Options { get; }
    public VidTokModel Model => model;

    /// <summary>Whether a clip of this many frames goes through the chunked (long-video) path.</summary>
    public bool UsesChunking(int frames) =>
        Config.Family == VidTokFamily.CausalV1_1 && Options.TemporalChunk > 0 && frames > 1 + Options.TemporalChunk;

    public VideoCode Encode(Tensor video)
    {
        using var grad = no_grad();
        using var scope = NewDisposeScope();
        var x = CheckVideo(video);
        var frames = (int)x.shape[2];
        var chunked = UsesChunking(frames);
        var encodeFrames = chunked ? ChunkedLength(frames) : FramesToEncode(frames);
        if (encodeFrames != frames)
            x = cat([x, x[.., .., ^1..].expand(-1, -1, encodeFrames - frames, -1, -1)], 2);

        var raw = chunked
            ? TemporalChunker.Encode(model, x, Options.TemporalChunk, Options.Progress)
            : model.EncodeRaw(x, Nn.CausalCache.None());
        var leading = LeadingFrames(encodeFrames, (int)raw.shape[2]);

        VideoCode code;
        if (model.Fsq is { } fsq)
        {
            var (_, ids) = fsq.Quantize(raw);
            code = new TokenIds(ids.MoveToOuterDisposeScope(), Config, frames, leading);
        }
        else
        {
            var gaussian = model.Gaussian!;
            var (mean, logVar) = gaussian.Split(raw);
            var z = Options.Latent == LatentMode.Mean
                ? mean
                : gaussian.Sample(mean, logVar, new Generator((ulong)Options.Seed));
            code = new Latents(z.MoveToOuterDisposeScope(), Config, frames, leading, logVar.MoveToOuterDisposeScope());
        }
        return code;
    }

    /// <summary>
    /// Reconstruction [B, 3, T, H, W] float32 with T = <see cref="VideoCode.Frames"/>: the decoder's output exactly as
    /// the reference's <c>decode</c> returns it, nominally in [-1, 1] but not clamped (a trained decoder overshoots
    /// slightly). Video writers and metrics clamp; callers comparing tensors get the unclamped values.
    /// </summary>
    public Tensor Decode(VideoCode code)
    {
        if (code.Config.ZChannels != Config.ZChannels)
            throw new InvalidInputException($"code from model '{code.Config.Name}' has {code.Config.ZChannels} latent channels; this tokenizer ('{Config.Name}') takes {Config.ZChannels}");
        using var grad = no_grad();
        using var scope = NewDisposeScope();
        var latent = code switch
        {
            TokenIds ids => CodesFromIds(ids),
            Latents l => CheckLatent(l.Values),
            _ => throw new ArgumentException("unknown code type", nameof(code)),
        };
        var latentFrames = (int)latent.shape[2];
        var chunkLatents = Options.TemporalChunk / Config.TimeDownsampleFactor;
        var output = Config.Family == VidTokFamily.CausalV1_1 && Options.TemporalChunk > 0 && latentFrames > 1 + chunkLatents
            ? TemporalChunker.Decode(model, latent, chunkLatents, Options.Progress)
            : model.DecodeRaw(latent, Nn.CausalCache.None());
        var available = (int)output.shape[2] - code.LeadingFrames;
        if (available < code.Frames)
            throw new InvalidInputException($"{latentFrames} latent frames decode to {available} video frames, fewer than the {code.Frames} the code claims");
        var video = output[.., .., code.LeadingFrames..(code.LeadingFrames + code.Frames)].contiguous();
        return video.MoveToOuterDisposeScope();
    }

    public void Dispose() => model.Dispose();

    private int FramesToEncode(int frames)
    {
        if (FrameRules.Accepts(Config, frames)) return frames;
        if (Options.Frames == FramePolicy.Refuse)
            throw new InvalidInputException($"model '{Config.Name}' takes {FrameRules.Describe(Config)}; got {frames} (use the pad policy to repeat the last frame up to {FrameRules.NextAccepted(Config, frames)} and trim the output back)");
        return FrameRules.NextAccepted(Config, frames);
    }

    // Chunks after the first hold a multiple of the temporal factor, so a tail is padded to 1 + k·tdf.
    private int ChunkedLength(int frames)
    {
        var tdf = Config.TimeDownsampleFactor;
        return 1 + (frames - 1 + tdf - 1) / tdf * tdf;
    }

    private int LeadingFrames(int encodedFrames, int latentFrames) => Config.Family switch
    {
        VidTokFamily.CausalV1_1 => Config.TimeDownsampleFactor * latentFrames - encodedFrames,
        _ => 0,
    };

    private Tensor CheckVideo(Tensor video)
    {
        var x = video.dim() == 4 ? video.unsqueeze(0) : video;
        if (x.dim() != 5 || x.shape[1] != 3)
            throw new InvalidInputException($"video must be [B, 3, T, H, W] or [3, T, H, W], got [{string.Join(", ", video.shape)}]");
        var c = Config.Compression;
        if (x.shape[3] % c.Height != 0 || x.shape[4] % c.Width != 0)
            throw new InvalidInputException($"model '{Config.Name}' ({c}) needs height and width divisible by {c.Height}, got {x.shape[3]}x{x.shape[4]}; resize or crop the video (e.g. --size)");
        if (x.shape[2] < 1) throw new InvalidInputException("video has no frames");
        return x.to_type(ScalarType.Float32);
    }

    private Tensor CodesFromIds(TokenIds ids)
    {
        var fsq = model.Fsq ?? throw new InvalidInputException($"model '{Config.Name}' is continuous (KL) and cannot decode token ids");
        var t = ids.Ids;
        if (t.numel() > 0)
        {
            var min = t.min().item<int>();
            var max = t.max().item<int>();
            if (min < 0 || max >= fsq.CodebookSize)
                throw new InvalidInputException($"token ids must lie in [0, {fsq.CodebookSize}), found values in [{min}, {max}]");
        }
        return fsq.IndicesToCodes(t);
    }

    private Tensor CheckLatent(Tensor z)
    {
        if (model.Fsq is not null)
            throw new InvalidInputException($"model '{Config.Name}' is discrete (FSQ); decode token ids, not latents");
        if (z.shape[1] != Config.ZChannels)
            throw new InvalidInputException($"model '{Config.Name}' decodes {Config.ZChannels}-channel latents, got {z.shape[1]}");
        return z.to_type(ScalarType.Float32);
    }
}
