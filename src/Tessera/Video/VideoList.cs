using System.Text;

namespace Tessera.Video;

/// <summary>
/// The videos of a data set or an evaluation: every video file below a folder (searched recursively, sorted by path),
/// or the <c>videos</c> column of a CSV manifest (paths relative to the CSV's folder, or absolute), optionally filtered
/// by its <c>split</c> column. Used by <c>tessera eval</c> and by training's data set alike.
/// Listing does not open the videos: a listed file that is missing or unreadable is the reader's error.
/// </summary>
internal static class VideoList
{
    /// <summary>File extensions taken from a folder (case-insensitive).</summary>
    public static readonly IReadOnlySet<string> Extensions = new HashSet<string>(StringComparer.OrdinalIgnoreCase)
    {
        ".mp4", ".avi", ".mov", ".mkv", ".webm", ".ogv", ".mpg", ".mpeg", ".m4v", ".wmv", ".flv",
    };

    /// <summary>
    /// (full path, display name) for each video of <paramref name="source"/>, a folder or a CSV manifest. The name is the
    /// path relative to the folder ('/'-separated) or as the manifest writes it. <paramref name="split"/> keeps the
    /// manifest rows whose <c>split</c> column has that value; a folder has no split.
    /// Errors (nothing listed, no such file, a malformed manifest) are <see cref="InvalidInputException"/>s.
    /// </summary>
    public static IReadOnlyList<(string Path, string Name)> Load(string source, string? split = null)
    {
        ArgumentNullException.ThrowIfNull(source);
        if (Directory.Exists(source))
        {
            if (split is not null) throw new InvalidInputException($"'{source}': a split ('{split}') needs a CSV manifest with a 'split' column, not a folder");
            var root = Path.GetFullPath(source);
            var files = Directory.EnumerateFiles(root, "*", SearchOption.AllDirectories)
                .Where(f => Extensions.Contains(Path.GetExtension(f)))
                .Order(StringComparer.Ordinal)
                .Select(f => (f, Path.GetRelativePath(root, f).Replace('\\', '/'))).ToArray();
            if (files.Length == 0) throw new InvalidInputException($"folder '{source}' holds no video files ({string.Join(" ", Extensions)})");
            return files;
        }
        if (!File.Exists(source)) throw new InvalidInputException($"'{source}' is neither a folder nor a CSV manifest");
        return FromCsv(source, split);
    }

    private static IReadOnlyList<(string, string)> FromCsv(string csv, string? split)
    {
        var lines = File.ReadAllLines(csv, Encoding.UTF8).Select((l, i) => (Line: l, Number: i + 1)).Where(l => l.Line.Trim().Length > 0).ToArray();
        if (lines.Length == 0) throw new InvalidInputException($"manifest '{csv}' is empty");
        var header = SplitRow(lines[0].Line).Select(h => h.Trim()).ToArray();
        var videoColumn = Array.IndexOf(header, "videos");
        if (videoColumn < 0) throw new InvalidInputException($"manifest '{csv}' has no 'videos' column (header: {lines[0].Line})");
        var splitColumn = Array.IndexOf(header, "split");
        if (split is not null && splitColumn < 0) throw new InvalidInputException($"manifest '{csv}' has no 'split' column to select '{split}' from");
        var root = Path.GetDirectoryName(Path.GetFullPath(csv))!;
        var videos = new List<(string, string)>();
        foreach (var (line, number) in lines.Skip(1))
        {
            var row = SplitRow(line);
            if (row.Length <= Math.Max(videoColumn, splitColumn))
                throw new InvalidInputException($"manifest '{csv}' line {number}: expected {header.Length} columns, got {row.Length}");
            if (split is not null && row[splitColumn].Trim() != split) continue;
            var path = row[videoColumn].Trim();
            if (path.Length == 0) throw new InvalidInputException($"manifest '{csv}' line {number}: the 'videos' field is empty");
            videos.Add((Path.IsPathRooted(path) ? path : Path.GetFullPath(Path.Combine(root, path)), path));
        }
        if (videos.Count == 0) throw new InvalidInputException($"manifest '{csv}' lists no videos{(split is null ? "" : $" in split '{split}'")}");
        return videos;
    }

    /// <summary>One row of plain CSV: commas, optional double quotes around a field ("" inside quotes is a quote).</summary>
    internal static string[] SplitRow(string line)
    {
        var fields = new List<string>();
        var field = new StringBuilder();
        var quoted = false;
        for (var i = 0; i < line.Length; i++)
        {
            var c = line[i];
            if (quoted)
            {
                if (c == '"' && i + 1 < line.Length && line[i + 1] == '"') { field.Append('"'); i++; }
                else if (c == '"') quoted = false;
                else field.Append(c);
            }
            else if (c == '"') quoted = true;
            else if (c == ',') { fields.Add(field.ToString()); field.Clear(); }
            else field.Append(c);
        }
        fields.Add(field.ToString());
        return fields.ToArray();
    }
}
