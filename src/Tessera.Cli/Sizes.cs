namespace Tessera.Cli;

/// <summary>Frame sizes as the command line prints them: width x height, the way video tools write them (1280x720).</summary>
internal static class Sizes
{
    public static string Show((int Height, int Width) size) => $"{size.Width}x{size.Height}";

    public static string Show(long height, long width) => $"{width}x{height}";
}
