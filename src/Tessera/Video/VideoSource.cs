namespace Tessera.Video;

/// <summary>Where a clip came from, before any sampling, seeking or resizing.</summary>
/// <param name="Path">The file, image or frame directory that was read.</param>
/// <param name="Width">Original frame width in pixels.</param>
/// <param name="Height">Original frame height in pixels.</param>
/// <param name="Fps">Original frame rate (for images and frame directories: <see cref="ReadOptions.SourceFps"/>).</param>
/// <param name="FrameCount">Original number of frames when the container states it (or the file count of a frame directory), else null.</param>
/// <param name="Start">Seconds into the source at which reading started.</param>
public sealed record VideoSource(string Path, int Width, int Height, double Fps, long? FrameCount, double Start);
