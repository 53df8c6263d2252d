using System.Diagnostics.CodeAnalysis;

namespace Tessera.Checkpoints.Hub;

/// <summary>
/// One file of a Hugging Face Hub model repository at a revision (a branch, tag or commit), written
/// <c>hf:&lt;owner&gt;/&lt;repo&gt;[@revision]/&lt;path&gt;</c>; the revision defaults to <c>main</c>.
/// </summary>
internal sealed record HubFile(string Repo, string Revision, string Path)
{
    public const string Scheme = "hf:";
    public const string DefaultRevision = "main";

    public static bool IsReference(string text) => text.StartsWith(Scheme, StringComparison.Ordinal);

    /// <summary>Parses <c>hf:owner/repo[@revision]/path</c>; a malformed reference raises a <see cref="ConfigException"/>.</summary>
    public static HubFile Parse(string text) =>
        TryParse(text, out var file) ? file
            : throw new ConfigException($"model '{text}': a Hub reference is written hf:<owner>/<repo>[@revision]/<path>, e.g. hf:microsoft/VidTok/checkpoints/vidtok_kl_causal_488_4chn.ckpt");

    public static bool TryParse(string text, [NotNullWhen(true)] out HubFile? file)
    {
        file = null;
        if (!IsReference(text)) return false;
        var parts = text[Scheme.Length..].Split('/', 3);
        if (parts.Length < 3 || parts[0].Length == 0 || parts[2].Length == 0 || parts[2].EndsWith('/')) return false;
        var (name, revision) = parts[1].IndexOf('@') is var at and >= 0
            ? (parts[1][..at], Uri.UnescapeDataString(parts[1][(at + 1)..]))
            : (parts[1], DefaultRevision);
        if (name.Length == 0 || revision.Length == 0) return false;
        var path = parts[2];
        if (path.Split('/').Any(s => s is "" or "." or "..")) return false;
        file = new HubFile($"{parts[0]}/{name}", revision, path);
        return true;
    }

    /// <summary>The file's name in the Hub's public URL scheme: <c>{endpoint}/{repo}/resolve/{revision}/{path}</c>.</summary>
    public Uri Url(string endpoint) =>
        new($"{endpoint.TrimEnd('/')}/{Repo}/resolve/{Uri.EscapeDataString(Revision)}/{string.Join('/', Path.Split('/').Select(Uri.EscapeDataString))}");

    public override string ToString() => $"{Scheme}{Repo}{(Revision == DefaultRevision ? "" : "@" + Revision)}/{Path}";
}
