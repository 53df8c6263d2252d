using System.Text;

namespace Tessera.Training.Data;

/// <summary>The videos of a data set: every video file below a folder, or the <c>videos</c> column of a CSV manifest.</summary>
public static class VideoList
{
    private static readonly HashSet<string> Extensions = new(StringComparer.OrdinalIgnoreCase)
    {
        ".mp4", ".avi", ".mov", ".mkv", ".webm", ".ogv", ".mpg", ".mpeg", ".m4v", ".wmv", ".flv",
    };

    /// <summary>
    /// Lists <paramref name="source"/>: a folder (searched recursively, sorted by path) or a CSV with a <c>videos</c>
    /// column (paths relative to the CSV's folder) and an optional <c>split</c> column filtered by <paramref name="split"/>.
    /// </summary>
    public static IReadOnlyList<string> Load(string source, string? split = null)
    {
        if (Directory.Exists(source))
        {
            if (split is not null) throw new ConfigException($"data '{source}': a split ('{split}') needs a CSV manifest with a 'split' column");
            var files = Directory.EnumerateFiles(source, "*", SearchOption.AllDirectories)
                .Where(f => Extensions.Contains(Path.GetExtension(f)))
                .Order(StringComparer.Ordinal).ToArray();
            if (files.Length == 0) throw new InvalidVideoException($"data folder '{source}' holds no video files");
            return files;
        }
        if (!File.Exists(source)) throw new InvalidVideoException($"data '{source}' is neither a folder nor a CSV file");
        return FromCsv(source, split);
    }

    private static IReadOnlyList<string> FromCsv(string csv, string? split)
    {
        var lines = File.ReadAllLines(csv, Encoding.UTF8).Where(l => l.Trim().Length > 0).ToArray();
        if (lines.Length == 0) throw new InvalidVideoException($"manifest '{csv}' is empty");
        var header = SplitRow(lines[0]);
        var videoColumn = Array.FindIndex(header, h => h.Trim() == "videos");
        if (videoColumn < 0) throw new InvalidVideoException($"manifest '{csv}' has no 'videos' column (header: {lines[0]})");
        var splitColumn = Array.FindIndex(header, h => h.Trim() == "split");
        if (split is not null && splitColumn < 0) throw new InvalidVideoException($"manifest '{csv}' has no 'split' column to select '{split}' from");
        var root = Path.GetDirectoryName(Path.GetFullPath(csv))!;
        var videos = new List<string>();
        for (var i = 1; i < lines.Length; i++)
        {
            var row = SplitRow(lines[i]);
            if (row.Length <= Math.Max(videoColumn, splitColumn))
                throw new InvalidVideoException($"manifest '{csv}' line {i + 1}: expected {header.Length} columns, got {row.Length}");
            if (split is not null && row[splitColumn].Trim() != split) continue;
            var path = row[videoColumn].Trim();
            videos.Add(Path.IsPathRooted(path) ? path : Path.GetFullPath(Path.Combine(root, path)));
        }
        if (videos.Count == 0) throw new InvalidVideoException($"manifest '{csv}' lists no videos{(split is null ? "" : $" in split '{split}'")}");
        return videos;
    }

    // Plain CSV: commas, optional double quotes around a field.
    private static string[] SplitRow(string line)
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
