using System.Text.RegularExpressions;

namespace Tessera.Checkpoints.Hub;

/// <summary>
/// The cache layout of <c>huggingface_hub</c>: <c>models--owner--name/blobs/&lt;etag&gt;</c> holds each file once,
/// <c>snapshots/&lt;commit&gt;/&lt;path&gt;</c> links to it, <c>refs/&lt;revision&gt;</c> holds the commit a branch or tag
/// pointed at, and <c>.locks/models--owner--name/&lt;etag&gt;.lock</c> is held while a blob is downloaded.
/// </summary>
internal sealed partial class HubCache(string root)
{
    public string Root { get; } = root;

    public string RepoDir(string repo) => Path.Combine(Root, "models--" + repo.Replace("/", "--", StringComparison.Ordinal));

    public string Blob(string repo, string etag) => Path.Combine(RepoDir(repo), "blobs", etag);

    public string Snapshot(string repo, string commit, string path) => Path.Combine(RepoDir(repo), "snapshots", commit, path);

    public string Ref(string repo, string revision) => Path.Combine(RepoDir(repo), "refs", revision);

    public string Lock(string repo, string etag) =>
        Path.Combine(Root, ".locks", Path.GetFileName(RepoDir(repo)), etag + ".lock");

    public static bool IsCommit(string revision) => CommitHash().IsMatch(revision);

    /// <summary>The file as the cache holds it for its revision (a commit, or a branch/tag recorded in refs/), or null.</summary>
    public HubCachedFile? TryFind(HubFile file)
    {
        var commit = IsCommit(file.Revision) ? file.Revision
            : File.Exists(Ref(file.Repo, file.Revision)) ? File.ReadAllText(Ref(file.Repo, file.Revision)).Trim() : null;
        if (commit is null || !IsCommit(commit)) return null;
        var snapshot = Snapshot(file.Repo, commit, file.Path);
        if (!File.Exists(snapshot)) return null;
        // A link names its blob; a copied file (where links are not allowed) is named by its content.
        var etag = new FileInfo(snapshot).LinkTarget is { } target ? Path.GetFileName(target) : Sha256(snapshot);
        return new HubCachedFile(file, snapshot, etag, commit);
    }

    /// <summary>Links the snapshot path to a blob already in place and records the revision's commit.</summary>
    public HubCachedFile Link(HubFile file, string commit, string etag)
    {
        var blob = Blob(file.Repo, etag);
        var snapshot = Snapshot(file.Repo, commit, file.Path);
        Directory.CreateDirectory(Path.GetDirectoryName(snapshot)!);
        if (File.Exists(snapshot) || new FileInfo(snapshot).LinkTarget is not null) File.Delete(snapshot);
        try
        {
            File.CreateSymbolicLink(snapshot, Path.GetRelativePath(Path.GetDirectoryName(snapshot)!, blob));
        }
        catch (IOException)
        {
            AtomicFile.Write(snapshot, s => { using var b = File.OpenRead(blob); b.CopyTo(s); });
        }
        if (file.Revision != commit) AtomicFile.Write(Ref(file.Repo, file.Revision), s => s.Write(System.Text.Encoding.ASCII.GetBytes(commit)));
        return new HubCachedFile(file, snapshot, etag, commit);
    }

    private static string Sha256(string path)
    {
        using var stream = File.OpenRead(path);
        return Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(stream));
    }

    [GeneratedRegex("^[0-9a-f]{40}$")]
    private static partial Regex CommitHash();
}
