namespace Tessera.Checkpoints.Hub;

/// <summary>A Hub file that cannot be had: not found, not allowed, not in the cache while offline, or not what the Hub says it is.</summary>
/// <param name="message">What cannot be had and why, naming the file and its URL.</param>
/// <param name="inner">The underlying error, if any.</param>
public sealed class HubException(string message, Exception? inner = null) : TesseraException(message, inner);

/// <summary>Bytes of one Hub file downloaded so far; <see cref="Total"/> is null when the Hub did not say.</summary>
/// <param name="File">The file being downloaded, as <c>hf:owner/repo[@revision]/path</c>.</param>
/// <param name="Done">Bytes on disk so far (a resumed download starts above 0).</param>
/// <param name="Total">The file's size in bytes, or null when the Hub did not say.</param>
public readonly record struct HubProgress(string File, long Done, long? Total);

/// <summary>A Hub file in the local cache: its snapshot path, blob hash (ETag) and the commit it came from.</summary>
internal sealed record HubCachedFile(HubFile File, string Path, string Etag, string Commit);
