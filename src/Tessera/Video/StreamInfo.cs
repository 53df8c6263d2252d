using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Tessera.Video;

/// <summary>What ffprobe says about the first video stream of a file.</summary>
internal sealed record StreamInfo(int Index, int Width, int Height, double Fps, long? FrameCount, double? Duration)
{
    /// <summary>Probes <paramref name="path"/> with ffprobe (JSON output).</summary>
    public static StreamInfo Probe(string path)
    {
        string[] args =
        [
            "-v", "error", "-hide_banner",
            "-show_entries",
            "stream=index,codec_type,width,height,r_frame_rate,avg_frame_rate,nb_frames,duration:stream_disposition=attached_pic:stream_tags=rotate:stream_side_data=rotation:format=duration",
            "-of", "json", FFmpegArgs.FileUrl(path),
        ];
        var (code, stdout, stderr) = FFmpegProcess.Run(FFmpegProcess.FfprobeExecutable, args, path);
        if (code != 0)
            throw new InvalidVideoException($"{path}: not a readable video or image (ffprobe: {FFmpegProcess.Tail(stderr)})");
        return Parse(path, Encoding.UTF8.GetString(stdout));
    }

    internal static StreamInfo Parse(string path, string json)
    {
        using var doc = JsonDocument.Parse(json);
        var root = doc.RootElement;
        double? formatDuration = root.TryGetProperty("format", out var fmt) ? ParseDouble(fmt, "duration") : null;
        if (root.TryGetProperty("streams", out var streams))
        {
            foreach (var s in streams.EnumerateArray())
            {
                if (Str(s, "codec_type") != "video") continue;
                if (s.TryGetProperty("disposition", out var disp) && disp.TryGetProperty("attached_pic", out var ap) && ap.GetInt32() == 1)
                    continue; // cover art, not a video
                var width = s.TryGetProperty("width", out var w) && w.TryGetInt32(out var wv) ? wv : 0;
                var height = s.TryGetProperty("height", out var h) && h.TryGetInt32(out var hv) ? hv : 0;
                if (width <= 0 || height <= 0)
                    throw new InvalidVideoException($"{path}: video stream has no frame size (unsupported or corrupt codec data)");
                if (Math.Abs((long)Rotation(s)) % 180 == 90) (width, height) = (height, width); // ffmpeg autorotates when decoding
                var fps = ParseRate(Str(s, "avg_frame_rate")) ?? ParseRate(Str(s, "r_frame_rate"));
                long? frames = long.TryParse(Str(s, "nb_frames"), NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) && n > 0 ? n : null;
                var duration = ParseDouble(s, "duration") ?? formatDuration;
                return new StreamInfo(s.GetProperty("index").GetInt32(), width, height, fps ?? 0, frames, duration);
            }
        }
        throw new InvalidVideoException($"{path}: contains no video stream");
    }

    private static int Rotation(JsonElement s)
    {
        if (s.TryGetProperty("side_data_list", out var sd))
            foreach (var d in sd.EnumerateArray())
                if (d.TryGetProperty("rotation", out var r) && r.TryGetDouble(out var rot)) return (int)Math.Round(rot);
        if (s.TryGetProperty("tags", out var tags) && int.TryParse(Str(tags, "rotate"), NumberStyles.Integer, CultureInfo.InvariantCulture, out var t))
            return t;
        return 0;
    }

    private static string? Str(JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) ? v.ValueKind == JsonValueKind.String ? v.GetString() : v.GetRawText() : null;

    private static double? ParseDouble(JsonElement e, string name) =>
        double.TryParse(Str(e, name), NumberStyles.Float, CultureInfo.InvariantCulture, out var d) && double.IsFinite(d) ? d : null;

    /// <summary>Parses "30000/1001"; null for "0/0" and other unusable rates.</summary>
    internal static double? ParseRate(string? rate)
    {
        if (string.IsNullOrEmpty(rate)) return null;
        var parts = rate.Split('/');
        if (parts.Length == 2
            && double.TryParse(parts[0], NumberStyles.Float, CultureInfo.InvariantCulture, out var num)
            && double.TryParse(parts[1], NumberStyles.Float, CultureInfo.InvariantCulture, out var den)
            && num > 0 && den > 0)
            return num / den;
        if (parts.Length == 1 && double.TryParse(rate, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) && v > 0)
            return v;
        return null;
    }
}
