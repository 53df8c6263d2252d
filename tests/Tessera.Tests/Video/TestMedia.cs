using System.Diagnostics;
using TorchSharp;
using Tessera.Video;
using static TorchSharp.torch;

namespace Tessera.Tests.Video;

/// <summary>Small media files made with ffmpeg for the video tests.</summary>
public static class TestMedia
{
    /// <summary>Runs ffmpeg with the arguments; fails the test with its stderr on error.</summary>
    public static void Ffmpeg(params string[] args)
    {
        var info = new ProcessStartInfo("ffmpeg") { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var a in new[] { "-nostdin", "-hide_banner", "-v", "error", "-y" }.Concat(args)) info.ArgumentList.Add(a);
        using var p = Process.Start(info)!;
        var err = p.StandardError.ReadToEndAsync();
        p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        Assert.True(p.ExitCode == 0, $"ffmpeg {string.Join(' ', args)} failed: {err.Result}");
    }

    /// <summary>A clip whose frame t is filled with the value 8·t (t &lt; 32), so indices survive lossless codecs.</summary>
    public static VideoClip IndexClip(int frames, int height = 16, int width = 16, double fps = 30)
    {
        using var scope = NewDisposeScope();
        var values = arange(frames, ScalarType.Int32).mul(8).to_type(ScalarType.Byte);
        var t = values.view(frames, 1, 1, 1).expand(frames, height, width, 3).contiguous();
        return new VideoClip(t.MoveToOuterDisposeScope(), fps);
    }

    /// <summary>Frame indices recovered from an <see cref="IndexClip"/>-style clip (mean pixel value / 8).</summary>
    public static int[] Indices(VideoClip clip)
    {
        using var scope = NewDisposeScope();
        var means = clip.Frames.to_type(ScalarType.Float32).mean([1, 2, 3]);
        return means.data<float>().Select(m => (int)Math.Round(m / 8)).ToArray();
    }

    /// <summary>A smooth colour pattern [T, H, W, 3] that H.264 compresses well.</summary>
    public static VideoClip SmoothClip(int frames, int height, int width, double fps = 30)
    {
        using var scope = NewDisposeScope();
        var y = arange(height, ScalarType.Float32).view(1, height, 1);
        var x = arange(width, ScalarType.Float32).view(1, 1, width);
        var t = arange(frames, ScalarType.Float32).view(frames, 1, 1);
        var r = (x * (200f / width) + t * 2 + 20).expand(frames, height, width);
        var g = (y * (200f / height) + 20).expand(frames, height, width);
        var b = ((x + y) * (100f / (width + height)) + 80 - t).expand(frames, height, width);
        var clip = stack([r, g, b], 3).round().clamp(0, 255).to_type(ScalarType.Byte).contiguous();
        return new VideoClip(clip.MoveToOuterDisposeScope(), fps);
    }

    public static double Psnr(Tensor a, Tensor b)
    {
        using var scope = NewDisposeScope();
        var mse = (a.to_type(ScalarType.Float64) - b.to_type(ScalarType.Float64)).pow(2).mean().item<double>();
        return mse == 0 ? double.PositiveInfinity : 10 * Math.Log10(255.0 * 255.0 / mse);
    }

    public static bool Equal(Tensor a, Tensor b) => a.shape.SequenceEqual(b.shape) && a.eq(b).all().item<bool>();
}
