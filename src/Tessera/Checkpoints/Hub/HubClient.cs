using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;

namespace Tessera.Checkpoints.Hub;

/// <summary>
/// Fetches files from a Hugging Face Hub into the shared cache as <c>huggingface_hub</c> does: a HEAD on the file's
/// public URL gives the commit (<c>X-Repo-Commit</c>), the blob hash (<c>X-Linked-Etag</c>, the SHA-256 of an LFS file,
/// else <c>ETag</c>), the size and the CDN location; the blob is downloaded under a lock into <c>&lt;blob&gt;.incomplete</c>
/// (resumed with a Range request after a broken transfer), checked against the hash and size, and renamed into place.
/// A file already in the cache for its revision is used without any request.
/// </summary>
internal sealed class HubClient : IDisposable
{
    private const int Attempts = 3;
    private const int MaxRedirects = 10;
    private readonly HttpClient _http;
    private readonly Uri _endpoint;

    public HubClient(HubSettings settings, HttpMessageHandler? handler = null)
    {
        Settings = settings;
        Cache = new HubCache(settings.CacheDir);
        _endpoint = new Uri(settings.Endpoint);
        // Redirects are followed by hand: a relative one stays on the Hub (with the token), an absolute one leads to the CDN (without it).
        _http = new HttpClient(handler ?? new SocketsHttpHandler { AllowAutoRedirect = false, AutomaticDecompression = DecompressionMethods.None })
        {
            Timeout = Timeout.InfiniteTimeSpan,
        };
        _http.DefaultRequestHeaders.UserAgent.ParseAdd($"tessera/{TesseraInfo.Version}");
    }

    public HubSettings Settings { get; }

    public HubCache Cache { get; }

    /// <summary>Status lines (downloading, waiting for another process's download); null for none.</summary>
    public Action<string>? Status { get; init; }

    /// <summary>
    /// The file in the local cache, downloaded first when it is not there. Offline, a file not in the cache is a
    /// <see cref="HubException"/> naming it, its URL and how to place it by hand. A cancelled download keeps its
    /// <c>.incomplete</c> file for the next run to resume; nothing reaches the blob or snapshot paths unverified.
    /// </summary>
    public async Task<HubCachedFile> GetAsync(HubFile file, IProgress<HubProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        if (Cache.TryFind(file) is { } cached) return cached;
        var url = file.Url(Settings.Endpoint);
        if (Settings.Offline)
            throw new HubException($"{file} is not in the Hugging Face cache ({Cache.RepoDir(file.Repo)}) and HF_HUB_OFFLINE is set, so it is not downloaded from {url}; {HowByHand(file, url)}");
        var meta = await HeadAsync(file, url, cancellationToken).ConfigureAwait(false);
        var blob = Cache.Blob(file.Repo, meta.Etag);
        if (!File.Exists(blob))
        {
            using var held = await LockAsync(file, meta.Etag, cancellationToken).ConfigureAwait(false);
            if (!File.Exists(blob)) await DownloadAsync(file, meta, blob, progress, cancellationToken).ConfigureAwait(false);
        }
        return Cache.Link(file, meta.Commit, meta.Etag);
    }

    public void Dispose() => _http.Dispose();

    /// <summary>How to get a file without Tessera downloading it.</summary>
    public static string HowByHand(HubFile file, Uri url) =>
        $"download it yourself (from {url}, or 'huggingface-cli download {file.Repo} {file.Path}' on a machine that is online, then copy the cache) " +
        $"and pass the downloaded file with --weights, or unset HF_HUB_OFFLINE";

    private sealed record Metadata(string Commit, string Etag, long? Size, Uri Location);

    private async Task<Metadata> HeadAsync(HubFile file, Uri url, CancellationToken ct)
    {
        var at = url;
        for (var hop = 0; ; hop++)
        {
            using var response = await SendAsync(HttpMethod.Head, at, null, file, ct).ConfigureAwait(false);
            var location = response.Headers.Location is { } l ? new Uri(at, l) : null;
            // As huggingface_hub: a relative redirect (a renamed repository) is followed; an absolute one is where the bytes are.
            if (IsRedirect(response.StatusCode) && location is not null && !response.Headers.Location!.IsAbsoluteUri)
            {
                if (hop >= MaxRedirects) throw new HubException($"{file}: too many redirects from {url}");
                at = location;
                continue;
            }
            if (!IsRedirect(response.StatusCode)) ThrowIfFailed(response, file, at);
            var commit = Header(response, "X-Repo-Commit");
            var etag = Normalise(Header(response, "X-Linked-Etag") ?? response.Headers.ETag?.Tag ?? Header(response, "ETag"));
            if (commit is null || etag is null)
                throw new HubException($"{file}: the server at {Settings.Endpoint} did not say which commit and blob {url} is (no X-Repo-Commit/ETag headers); is HF_ENDPOINT a Hugging Face Hub?");
            var size = long.TryParse(Header(response, "X-Linked-Size"), out var linked) ? linked : response.Content.Headers.ContentLength;
            return new Metadata(commit, etag, size, IsRedirect(response.StatusCode) && location is not null ? location : at);
        }
    }

    private async Task DownloadAsync(HubFile file, Metadata meta, string blob, IProgress<HubProgress>? progress, CancellationToken ct)
    {
        var partial = blob + ".incomplete";
        Directory.CreateDirectory(Path.GetDirectoryName(blob)!);
        Status?.Invoke($"downloading {file}{(meta.Size is { } s ? $" ({s / 1e6:0.#} MB)" : "")}{(File.Exists(partial) ? $", resuming after {new FileInfo(partial).Length / 1e6:0.#} MB" : "")}");
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                if (await TransferAsync(file, meta, partial, progress, ct).ConfigureAwait(false)) break;
            }
            catch (Exception e) when (e is IOException or HttpRequestException && !ct.IsCancellationRequested)
            {
                var have = File.Exists(partial) ? new FileInfo(partial).Length : 0;
                if (attempt < Attempts) continue;
                throw new IOException($"download of {file} from {meta.Location} broke off after {have:N0} of {meta.Size?.ToString("N0") ?? "?"} bytes " +
                                      $"({e.Message}); run the command again to resume from {partial}", e);
            }
        }
        Verify(file, meta, partial);
        File.Move(partial, blob, overwrite: true);
    }

    // One GET (resumed when part of the file is there); true when the whole file is in `partial`.
    private async Task<bool> TransferAsync(HubFile file, Metadata meta, string partial, IProgress<HubProgress>? progress, CancellationToken ct)
    {
        var have = File.Exists(partial) ? new FileInfo(partial).Length : 0;
        if (meta.Size is { } size && have > size) { File.Delete(partial); have = 0; }
        var at = meta.Location;
        for (var hop = 0; ; hop++)
        {
            using var response = await SendAsync(HttpMethod.Get, at, have > 0 ? have : null, file, ct).ConfigureAwait(false);
            if (IsRedirect(response.StatusCode) && response.Headers.Location is { } next)
            {
                if (hop >= MaxRedirects) throw new HubException($"{file}: too many redirects from {meta.Location}");
                at = new Uri(at, next);
                continue;
            }
            if (response.StatusCode == HttpStatusCode.RequestedRangeNotSatisfiable && have > 0)
            {
                if (have == meta.Size) return true;
                File.Delete(partial);
                return false;
            }
            ThrowIfFailed(response, file, at);
            var resumed = response.StatusCode == HttpStatusCode.PartialContent && response.Content.Headers.ContentRange?.From == have;
            await using var output = new FileStream(partial, resumed ? FileMode.Append : FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20);
            var done = resumed ? have : 0;
            var expected = response.Content.Headers.ContentLength is { } length ? done + length : meta.Size;
            await using var input = await response.Content.ReadAsStreamAsync(ct).ConfigureAwait(false);
            var buffer = new byte[1 << 20];
            int read;
            while ((read = await ReadAsync(input, buffer, ct).ConfigureAwait(false)) > 0)
            {
                await output.WriteAsync(buffer.AsMemory(0, read), ct).ConfigureAwait(false);
                done += read;
                progress?.Report(new HubProgress(file.ToString(), done, meta.Size));
            }
            if (expected is { } e && done < e)
                throw new IOException($"the transfer ended after {done:N0} of {e:N0} bytes");
            return true;
        }
    }

    // A read that waits at most Settings.Timeout for the next bytes: a stalled transfer is a broken one (resumed, or reported).
    private async Task<int> ReadAsync(Stream input, byte[] buffer, CancellationToken ct)
    {
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(ct);
        limit.CancelAfter(Settings.Timeout);
        try
        {
            return await input.ReadAsync(buffer, limit.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            throw new IOException($"no data for {Settings.Timeout.TotalSeconds:0.#} s");
        }
    }

    private static void Verify(HubFile file, Metadata meta, string partial)
    {
        var length = new FileInfo(partial).Length;
        string? problem = null;
        if (meta.Size is { } size && length != size) problem = $"is {length:N0} bytes, but the Hub says {size:N0}";
        else if (meta.Etag.Length == 64 && Sha256(partial) is var sha && sha != meta.Etag) problem = $"has SHA-256 {sha}, but the Hub says {meta.Etag}";
        else if (meta.Etag.Length == 40 && GitBlobSha1(partial) is var oid && oid != meta.Etag) problem = $"has git blob id {oid}, but the Hub says {meta.Etag}";
        if (problem is null) return;
        File.Delete(partial);
        throw new HubException($"{file} as downloaded from {meta.Location} {problem}; the download was discarded (run again to retry)");
    }

    private async Task<IDisposable> LockAsync(HubFile file, string etag, CancellationToken ct)
    {
        var path = Cache.Lock(file.Repo, etag);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var told = false;
        while (true)
        {
            try
            {
                // FileShare.None takes an exclusive flock on Unix: the same lock Python's filelock takes on this file.
                return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            }
            catch (IOException) when (!ct.IsCancellationRequested)
            {
                if (!told) Status?.Invoke($"waiting for another download of {file} to finish (lock {path})");
                told = true;
                await Task.Delay(100, ct).ConfigureAwait(false);
            }
        }
    }

    private async Task<HttpResponseMessage> SendAsync(HttpMethod method, Uri url, long? from, HubFile file, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(method, url);
        if (Settings.Token is { } token && OnHub(url)) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        request.Headers.AcceptEncoding.Add(new StringWithQualityHeaderValue("identity"));
        if (from is { } f) request.Headers.Range = new RangeHeaderValue(f, null);
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(ct);
        limit.CancelAfter(Settings.Timeout);
        try
        {
            return await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, limit.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            throw new IOException($"the Hub did not answer {file} at {url} within {Settings.Timeout.TotalSeconds:0.#} s (HF_HUB_DOWNLOAD_TIMEOUT); check the network or HF_ENDPOINT, or set HF_HUB_OFFLINE=1 to use the cache only");
        }
        catch (HttpRequestException e)
        {
            throw new IOException($"cannot reach the Hub for {file} at {url}: {e.Message}; check the network or HF_ENDPOINT, or set HF_HUB_OFFLINE=1 to use the cache only", e);
        }
    }

    private void ThrowIfFailed(HttpResponseMessage response, HubFile file, Uri url)
    {
        if (response.IsSuccessStatusCode) return;
        var code = (int)response.StatusCode;
        var error = Header(response, "X-Error-Code");
        var token = Settings.Token is null ? "set HF_TOKEN to a token that can read it" : "the token in HF_TOKEN cannot read it";
        throw new HubException(response.StatusCode switch
        {
            HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden when error == "GatedRepo" =>
                $"{file}: {file.Repo} is gated (HTTP {code} from {url}); accept its conditions on the Hub and {token}",
            HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden =>
                $"{file}: the Hub refused access (HTTP {code} from {url}); if {file.Repo} is private or gated, {token}",
            HttpStatusCode.NotFound when error == "RepoNotFound" => $"{file}: no repository {file.Repo} on {Settings.Endpoint} (HTTP 404 from {url})",
            HttpStatusCode.NotFound when error == "RevisionNotFound" => $"{file}: {file.Repo} has no revision '{file.Revision}' (HTTP 404 from {url})",
            HttpStatusCode.NotFound => $"{file}: {file.Repo} has no file '{file.Path}' at revision '{file.Revision}' (HTTP 404 from {url})",
            _ => $"{file}: HTTP {code} {response.ReasonPhrase} from {url}",
        });
    }

    private bool OnHub(Uri url) => Uri.Compare(url, _endpoint, UriComponents.SchemeAndServer, UriFormat.Unescaped, StringComparison.OrdinalIgnoreCase) == 0;

    private static bool IsRedirect(HttpStatusCode code) => (int)code is >= 300 and < 400;

    private static string? Header(HttpResponseMessage response, string name) =>
        response.Headers.TryGetValues(name, out var values) || response.Content.Headers.TryGetValues(name, out values) ? values.FirstOrDefault() : null;

    private static string? Normalise(string? etag) => etag is null ? null : (etag.StartsWith("W/", StringComparison.Ordinal) ? etag[2..] : etag).Trim('"');

    private static string Sha256(string path)
    {
        using var stream = File.OpenRead(path);
        return Convert.ToHexStringLower(SHA256.HashData(stream));
    }

    // The id git gives a blob (SHA-1 of "blob <size>\0" and the content): the ETag of a file the Hub keeps outside LFS.
    private static string GitBlobSha1(string path)
    {
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA1);
        sha.AppendData(System.Text.Encoding.ASCII.GetBytes($"blob {new FileInfo(path).Length}\0"));
        using var stream = File.OpenRead(path);
        var buffer = new byte[1 << 20];
        int read;
        while ((read = stream.Read(buffer)) > 0) sha.AppendData(buffer, 0, read);
        return Convert.ToHexStringLower(sha.GetHashAndReset());
    }
}
