using Tessera.Tokens;
using Tessera.Video;

namespace Tessera.Cli;

/// <summary>
/// What <c>encode</c> writes into a token file about its input and model: names, sizes and SHA-256 digests, and full local
/// paths only with --record-paths (a token file is shared more often than the machine it was made on).
/// </summary>
internal static class RecordedIdentity
{
    public static TokenFileInfo Describe(VideoClip clip, string input, string model, string? weights, bool recordPaths) =>
        Describe(input, (clip.Height, clip.Width), model, weights, recordPaths) with
        {
            Source = recordPaths ? clip.Source?.Path ?? Path.GetFullPath(input) : Path.GetFileName(Path.TrimEndingDirectorySeparator(input)),
            Fps = clip.Fps,
            Start = clip.Source?.Start,
            OriginalSize = clip.Source is { } s ? (s.Height, s.Width) : null,
        };

    /// <summary>The identity of a video read as a stream: the same fields a clip of it records.</summary>
    public static TokenFileInfo Describe(VideoFrameStream frames, string input, string model, string? weights, bool recordPaths) =>
        Describe(input, (frames.Height, frames.Width), model, weights, recordPaths) with
        {
            Source = recordPaths ? frames.Source.Path : Path.GetFileName(Path.TrimEndingDirectorySeparator(input)),
            Fps = frames.Fps,
            Start = frames.Source.Start,
            OriginalSize = (frames.Source.Height, frames.Source.Width),
        };

    /// <summary>The identity of an input that is not a video (a tensor file) at its processed (height, width).</summary>
    public static TokenFileInfo Describe(string input, (int Height, int Width) processed, string model, string? weights, bool recordPaths)
    {
        var inputIsFile = File.Exists(input) && FileIdentity.IsRegularFile(input);
        return new TokenFileInfo
        {
            Source = recordPaths ? Path.GetFullPath(input) : Path.GetFileName(Path.TrimEndingDirectorySeparator(input)),
            SourceBytes = inputIsFile ? new FileInfo(input).Length : null,
            SourceSha256 = inputIsFile ? FileDigest.Sha256(input) : null,
            ProcessedSize = processed,
            ModelSource = Name(model, recordPaths),
            ModelSha256 = File.Exists(model) ? FileDigest.Sha256(model) : null,
            WeightsSource = weights is null ? null : Name(weights, recordPaths),
            WeightsSha256 = weights is not null && File.Exists(weights) ? FileDigest.Sha256(weights) : null,
        };
    }

    // A preset as is; a bundled model by its name (it lives beside whichever tool decodes); a file by name or full path.
    private static string Name(string model, bool recordPaths)
    {
        if (!File.Exists(model)) return model;
        if (BundledModels.NameOf(model) is { } bundled) return bundled;
        return recordPaths ? Path.GetFullPath(model) : Path.GetFileName(model);
    }
}
