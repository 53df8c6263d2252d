using System.Text.RegularExpressions;

namespace Tessera.Cli;

/// <summary>
/// Checks made on an output path before a command does any work: it must not be one of the command's inputs (through
/// relative paths, symbolic or hard links), and stale temporaries that an interrupted Tessera run left in its folder
/// (<c>.&lt;name&gt;.&lt;guid&gt;.tmp…</c>) are removed.
/// </summary>
internal static partial class OutputGuard
{
    /// <summary>A temporary that was not written to for this long belongs to no running Tessera process.</summary>
    public static readonly TimeSpan StaleAfter = TimeSpan.FromMinutes(2);

    [GeneratedRegex(@"^\..+\.[0-9a-f]{32}\.tmp(\.[A-Za-z0-9]+)?$")]
    private static partial Regex TemporaryName();

    [GeneratedRegex(@"(?<=^|[/\\\s'""(])\.(?<name>[^/\\\s'""]+?)\.[0-9a-f]{32}\.tmp(?:\.[A-Za-z0-9]+)?")]
    private static partial Regex TemporaryInText();

    /// <summary>Refuses (usage error, exit 2) an output that is one of <paramref name="inputs"/>; then cleans stale temporaries.</summary>
    public static void Prepare(string output, params string?[] inputs)
    {
        foreach (var input in inputs)
        {
            if (input is null) continue;
            if (FileIdentity.Same(output, input))
                throw new UsageException($"output '{output}' is the input '{input}' (the same file); writing it would destroy the input, choose another output path");
        }
        CleanStaleTemporaries(Path.GetDirectoryName(Path.GetFullPath(output.TrimEnd('/', '\\')))!);
    }

    /// <summary>A fresh hidden temporary beside <paramref name="output"/> with its extension, named so that <see cref="CleanStaleTemporaries"/> knows it.</summary>
    public static string TemporaryFor(string output)
    {
        var full = Path.GetFullPath(output);
        return Path.Combine(Path.GetDirectoryName(full)!, $".{Path.GetFileName(full)}.{Guid.NewGuid():N}.tmp{Path.GetExtension(full)}");
    }

    /// <summary>Deletes Tessera's own temporaries in <paramref name="directory"/> that nothing has written to recently.</summary>
    public static void CleanStaleTemporaries(string directory)
    {
        if (!Directory.Exists(directory)) return;
        var cutoff = DateTime.UtcNow - StaleAfter;
        try
        {
            foreach (var entry in new DirectoryInfo(directory).EnumerateFileSystemInfos(".*.tmp*"))
            {
                if (!TemporaryName().IsMatch(entry.Name) || entry.LastWriteTimeUtc > cutoff) continue;
                try
                {
                    if (entry is DirectoryInfo d) d.Delete(recursive: true);
                    else entry.Delete();
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
    }

    /// <summary>An error message with Tessera's hidden temporary names replaced by the output names they stand for.</summary>
    public static string WithoutTemporaryNames(string message) => TemporaryInText().Replace(message, m => m.Groups["name"].Value);
}
