using Tessera.Nn;
using Tessera.Video;
using static TorchSharp.torch;

namespace Tessera.Training.Data;

/// <summary>Decodes a <see cref="ClipRequest"/> into a training clip [3, T, S, S], float32 in [-1, 1].</summary>
internal sealed class ClipDecoder(VideoDataset dataset, ClipSpec spec)
{
    public Tensor Decode(ClipRequest request)
    {
        var source = dataset.Videos[request.Video];
        var shortSide = (int)Math.Round(spec.Size * request.Scale);
        var (h, w) = FrameResize.ShortSideSize(source.Height, source.Width, shortSide);
        var options = new ReadOptions
        {
            Start = request.StartFrame / source.Fps,
            Fps = spec.Fps,
            FrameCount = spec.Frames,
            Size = (h, w),
            ResizeMode = ResizeMode.Exact,
            // Many real files carry a few damaged packets; the frames FFmpeg does decode are fine to train on.
            AllowDecodeErrors = true,
        };
        using var clip = VideoReader.Read(source.Path, options);
        using var scope = NewDisposeScope();
        var top = (int)Math.Round(request.CropY * (clip.Height - spec.Size));
        var left = (int)Math.Round(request.CropX * (clip.Width - spec.Size));
        var frames = clip.Frames.narrow(1, top, spec.Size).narrow(2, left, spec.Size);   // [T, S, S, 3] uint8
        if (request.Flip) frames = frames.flip(2);
        if (frames.shape[0] < spec.Frames)
        {
            // Short videos are padded by repeating their last frame, as VidTok's data set does.
            var last = frames[^1..].expand(spec.Frames - frames.shape[0], -1, -1, -1);
            frames = cat([frames, last], 0);
        }
        var x = frames.permute(3, 0, 1, 2).to_type(ScalarType.Float32).div_(Scalars.Of(127.5)).sub_(Scalars.Of(1.0));
        if (request.Hue is { } angle) x = HueRotation.Apply(x, angle);
        return x.contiguous().MoveToOuterDisposeScope();
    }
}
