namespace Tessera.Video;

/// <summary>Decodes one still image to rgb24 with ffmpeg (as a PPM over stdout, whose header carries the size).</summary>
internal static class ImageDecoder
{
    public static readonly string[] Extensions = [".png", ".jpg", ".jpeg", ".bmp", ".webp"];

    public static bool IsImage(string path) =>
        Extensions.Contains(Path.GetExtension(path).ToLowerInvariant());

    public static (int Height, int Width, byte[] Rgb) Decode(string path)
    {
        string[] args =
        [
            "-nostdin", "-hide_banner", "-v", "error",
            "-f", "image2", "-pattern_type", "none", "-i", FFmpegArgs.FileUrl(path),
            "-frames:v", "1", "-pix_fmt", "rgb24", "-c:v", "ppm", "-f", "image2pipe", "pipe:1",
        ];
        var (code, stdout, stderr) = FFmpegProcess.Run(FFmpegProcess.FfmpegExecutable, args, path);
        if (code != 0 || stdout.Length == 0)
            throw new InvalidVideoException($"{path}: not a decodable image (ffmpeg: {FFmpegProcess.Tail(stderr)})");
        return ParsePpm(path, stdout);
    }

    private static (int, int, byte[]) ParsePpm(string path, byte[] data)
    {
        var pos = 0;
        string Token()
        {
            while (pos < data.Length && char.IsWhiteSpace((char)data[pos])) pos++;
            var start = pos;
            while (pos < data.Length && !char.IsWhiteSpace((char)data[pos])) pos++;
            return System.Text.Encoding.ASCII.GetString(data, start, pos - start);
        }
        var magic = Token();
        if (magic != "P6" || !int.TryParse(Token(), out var w) || !int.TryParse(Token(), out var h)
            || !int.TryParse(Token(), out var max) || max != 255 || w <= 0 || h <= 0)
            throw new InvalidVideoException($"{path}: unexpected image data from ffmpeg");
        pos++; // single whitespace after maxval
        var n = checked(w * h * 3);
        if (data.Length - pos < n)
            throw new InvalidVideoException($"{path}: image decoded to fewer bytes than its size {w}x{h} needs");
        return (h, w, data.AsSpan(pos, n).ToArray());
    }
}
