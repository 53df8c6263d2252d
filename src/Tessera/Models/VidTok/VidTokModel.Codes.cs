using Tessera.Inference;
using Tessera.Nn;
using static TorchSharp.torch;

namespace Tessera.Models.VidTok;

// Pixels to codes and back: v1.1's leading frames, the causal models' long-video chunking, the FSQ or KL bottleneck.
internal sealed partial class VidTokModel
{
    // v1.1 chunks as the reference's long-video path does; v1.0 (which the reference never chunks) chunks with exact
    // caches and no look-ahead, so its chunked codes and frames equal one whole-clip pass within float rounding.
    public override bool UsesChunking(int frames, TokenizerOptions options) =>
        Config.IsCausal && options.TemporalChunk > 0 && frames > 1 + options.TemporalChunk;

    public override VideoCode Encode(Tensor video, int frames, TokenizerOptions options)
    {
        var x = video;
        var chunked = UsesChunking((int)x.shape[2], options);
        if (chunked) x = FrameRules.PadTo(x, TemporalChunker.PaddedLength((int)x.shape[2], Config.TimeDownsampleFactor));
        var encodedFrames = (int)x.shape[2];
        var net = Tiling.For(this, options, Card);
        var raw = chunked
            ? TemporalChunker.Encode(net, x, options.TemporalChunk, options.Progress)
            : net.EncodeRaw(x, WholeClip("encode", encoder.Steps, options));
        return CodeFromEncoderOutput(raw, frames, encodedFrames, options);
    }

    public VideoCode CodeFromEncoderOutput(Tensor raw, int frames, int encodedFrames, TokenizerOptions options)
    {
        var leading = LeadingFrames(encodedFrames, (int)raw.shape[2]);
        if (Fsq is { } fsq)
        {
            var (_, ids) = fsq.Quantize(raw);
            return new TokenIds(ids, Config, frames, leading);
        }
        var gaussian = Gaussian!;
        var (mean, logVar) = gaussian.Split(raw);
        var z = options.Latent == LatentMode.Mean
            ? mean
            : gaussian.Sample(mean, logVar, new Generator((ulong)options.Seed));
        return new Latents(z, Config, frames, leading, logVar);
    }

    public override Tensor Decode(VideoCode code, TokenizerOptions options)
    {
        var latent = DecoderInput(code);
        var latentFrames = (int)latent.shape[2];
        var chunkLatents = options.TemporalChunk / Config.TimeDownsampleFactor;
        var net = Tiling.For(this, options, Card);
        return Config.IsCausal && options.TemporalChunk > 0 && latentFrames > 1 + chunkLatents
            ? TemporalChunker.Decode(net, latent, chunkLatents, options.Progress)
            : net.DecodeRaw(latent, WholeClip("decode", decoder.Steps, options));
    }

    public Tensor DecoderInput(VideoCode code)
    {
        if (code.Config is VidTokConfig from && from.ZChannels != Config.ZChannels)
            throw new InvalidInputException($"code from model '{from.Name}' has {from.ZChannels} latent channels; this tokenizer ('{Config.Name}') takes {Config.ZChannels}");
        return code switch
        {
            TokenIds ids => CodesFromIds(ids),
            Latents l => CheckLatent(l.Values),
            _ => throw new ArgumentException("unknown code type", nameof(code)),
        };
    }

    private static CausalCache WholeClip(string stage, int steps, TokenizerOptions options)
    {
        var cache = CausalCache.None();
        new StepProgress(options.Progress, stage, steps, 1).Attach(cache, 0);
        return cache;
    }

    // v1.1 decoders return the frames the causal encoder's front padding made; v1.0 decoders drop them themselves.
    private int LeadingFrames(int encodedFrames, int latentFrames) => Config.Family switch
    {
        VidTokFamily.CausalV1_1 => Config.TimeDownsampleFactor * latentFrames - encodedFrames,
        _ => 0,
    };

    private Tensor CodesFromIds(TokenIds ids)
    {
        var fsq = Fsq ?? throw new InvalidInputException($"model '{Config.Name}' is continuous (KL) and cannot decode token ids");
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
        if (Fsq is not null)
            throw new InvalidInputException($"model '{Config.Name}' is discrete (FSQ); decode token ids, not latents");
        if (z.shape[1] != Config.ZChannels)
            throw new InvalidInputException($"model '{Config.Name}' decodes {Config.ZChannels}-channel latents, got {z.shape[1]}");
        return z.to_type(ScalarType.Float32);
    }
}
