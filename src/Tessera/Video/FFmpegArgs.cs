using System.Globalization;

namespace Tessera.Video;

internal static class FFmpegArgs
{
    /// <summary>An absolute <c>file:</c> URL so that names with ':' or a leading '-' are never taken as protocols or options.</summary>
    public static string FileUrl(string path) => "file:" + Path.GetFullPath(path);

    public static string Number(double value) => value.ToString("R", CultureInfo.InvariantCulture);

    /// <summary>A frame rate as ffmpeg rational text: exact for integer and NTSC (x/1001) rates.</summary>
    public static string Rate(double fps)
    {
        foreach (var den in new[] { 1, 1001, 1000, 100 })
        {
            var num = Math.Round(fps * den);
            if (num > 0 && Math.Abs(num / den - fps) <= 1e-9 * fps)
                return $"{num.ToString(CultureInfo.InvariantCulture)}/{den}";
        }
        return Number(fps);
    }
}
