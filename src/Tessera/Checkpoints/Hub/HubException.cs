namespace Tessera.Checkpoints.Hub;

/// <summary>A Hub file that cannot be had: not found, not allowed, not in the cache while offline, or not what the Hub says it is.</summary>
public sealed class HubException(string message, Exception? inner = null) : TesseraException(message, inner);

/// <summary>Bytes of one Hub file downloaded so far; <see cref="Total"/> is null when the Hub did not say.</summary>
public readonly record struct HubProgress(string File, long Done, long? Total);

/// <summary>A Hub file in the local cache: its snapshot path, blob hash (ETag) and the commit it came from.</summary>
internal sealed record HubCachedFile(HubFile File, string Path, string Etag, string Commit);
