using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;

namespace Tessera.Tests.Checkpoints.Hub;

/// <summary>
/// A Hugging Face Hub imitation on 127.0.0.1 (no network): <c>HEAD/GET /{repo}/resolve/{revision}/{path}</c> answers
/// 302 to <c>/cdn/{sha256}</c> with <c>X-Repo-Commit</c>, <c>X-Linked-Etag</c> and <c>X-Linked-Size</c>, as the Hub does for
/// LFS files (the CDN named <c>localhost</c>, a host other than the Hub's); the CDN honours Range requests. Faults on demand: a status for a path, transfers cut short, wrong bytes, a slow
/// transfer. Every request is recorded.
/// </summary>
internal sealed class LoopbackHub : IDisposable
{
    public const string Commit = "0123456789abcdef0123456789abcdef01234567";
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly Dictionary<string, byte[]> _files = [];
    private readonly CancellationTokenSource _stop = new();

    public LoopbackHub()
    {
        _listener.Start();
        _ = Task.Run(AcceptLoop);
    }

    public string Endpoint => $"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}";

    public ConcurrentQueue<(string Method, string Path, string? Range, string? Authorization)> Requests { get; } = new();

    /// <summary>Status to answer for a resolve path, with its X-Error-Code.</summary>
    public Dictionary<string, (int Status, string? ErrorCode)> Faults { get; } = [];

    /// <summary>How many CDN transfers to cut off, and after how many bytes of the transfer.</summary>
    public int TruncateTransfers { get; set; }
    public int TruncateAfter { get; set; } = 1000;

    /// <summary>Serve these bytes instead of the file's (its ETag stays the true SHA-256).</summary>
    public byte[]? Corrupt { get; set; }

    /// <summary>Pause between 4 KB pieces of a transfer, so two downloads overlap.</summary>
    public TimeSpan Pace { get; set; }

    public string? RequiredToken { get; set; }

    /// <summary>Send a transfer's headers and then nothing, holding the connection open until the client gives up.</summary>
    public bool Stall { get; set; }

    public void Add(string repo, string path, byte[] content) => _files[$"/{repo}/resolve/main/{path}"] = content;

    public static string Sha256(byte[] content) => Convert.ToHexStringLower(SHA256.HashData(content));

    public int Count(string method, string pathPrefix) => Requests.Count(r => r.Method == method && r.Path.StartsWith(pathPrefix, StringComparison.Ordinal));

    public void Dispose()
    {
        _stop.Cancel();
        _listener.Stop();
    }

    private async Task AcceptLoop()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try { client = await _listener.AcceptTcpClientAsync(_stop.Token); }
            catch (Exception) { return; }
            _ = Task.Run(() => Serve(client));
        }
    }

    private async Task Serve(TcpClient client)
    {
        using (client)
        {
            try
            {
                var stream = client.GetStream();
                var head = await ReadHead(stream);
                var lines = head.Split("\r\n");
                var parts = lines[0].Split(' ');
                var headers = lines.Skip(1).Where(l => l.Contains(':')).ToDictionary(l => l[..l.IndexOf(':')].Trim().ToLowerInvariant(), l => l[(l.IndexOf(':') + 1)..].Trim());
                var (method, path) = (parts[0], Uri.UnescapeDataString(parts[1]));
                Requests.Enqueue((method, path, headers.GetValueOrDefault("range"), headers.GetValueOrDefault("authorization")));
                await Answer(stream, method, path, headers);
            }
            catch (IOException) { }
        }
    }

    private async Task Answer(NetworkStream stream, string method, string path, Dictionary<string, string> headers)
    {
        if (path.StartsWith("/cdn/", StringComparison.Ordinal))
        {
            var content = _files.Values.First(f => Sha256(f) == path["/cdn/".Length..]);
            await Transfer(stream, method, Corrupt ?? content, headers.GetValueOrDefault("range"));
            return;
        }
        if (Faults.TryGetValue(path, out var fault))
        {
            await Write(stream, fault.Status, fault.ErrorCode is { } e ? [("X-Error-Code", e)] : []);
            return;
        }
        if (RequiredToken is { } token && headers.GetValueOrDefault("authorization") != $"Bearer {token}")
        {
            await Write(stream, 401, []);
            return;
        }
        if (!_files.TryGetValue(path, out var file))
        {
            await Write(stream, 404, [("X-Error-Code", "EntryNotFound")]);
            return;
        }
        var sha = Sha256(file);
        // The CDN by another host name than the Hub's, as on huggingface.co: the token must not follow the redirect.
        await Write(stream, 302, [("Location", $"http://localhost:{((IPEndPoint)_listener.LocalEndpoint).Port}/cdn/{sha}"), ("X-Repo-Commit", Commit), ("X-Linked-Etag", $"\"{sha}\""),
            ("X-Linked-Size", file.Length.ToString()), ("ETag", "\"0000000000000000000000000000000000000000\"")]);
    }

    private async Task Transfer(NetworkStream stream, string method, byte[] content, string? range)
    {
        var from = range is not null && range.StartsWith("bytes=", StringComparison.Ordinal) ? long.Parse(range[6..].TrimEnd('-')) : 0;
        var body = content.AsMemory((int)from);
        var status = from > 0 ? 206 : 200;
        List<(string, string)> extra = from > 0 ? [("Content-Range", $"bytes {from}-{content.Length - 1}/{content.Length}")] : [];
        await Write(stream, status, extra, body.Length);
        if (method == "HEAD") return;
        if (Stall)
        {
            try { await Task.Delay(TimeSpan.FromSeconds(30), _stop.Token); } catch (OperationCanceledException) { }
            return;
        }
        var cut = TruncateTransfers > 0;
        if (cut) TruncateTransfers--;
        var limit = cut ? Math.Min(TruncateAfter, body.Length) : body.Length;
        for (var at = 0; at < limit; at += 4096)
        {
            await stream.WriteAsync(body.Slice(at, Math.Min(4096, limit - at)));
            if (Pace > TimeSpan.Zero) await Task.Delay(Pace);
        }
        await stream.FlushAsync();
    }

    private static async Task Write(NetworkStream stream, int status, IEnumerable<(string Name, string Value)> headers, long length = 0)
    {
        var text = new StringBuilder($"HTTP/1.1 {status} {(status is 200 or 206 ? "OK" : "X")}\r\nContent-Length: {length}\r\nConnection: close\r\n");
        foreach (var (name, value) in headers) text.Append($"{name}: {value}\r\n");
        await stream.WriteAsync(Encoding.ASCII.GetBytes(text.Append("\r\n").ToString()));
    }

    private static async Task<string> ReadHead(NetworkStream stream)
    {
        var bytes = new List<byte>();
        var one = new byte[1];
        while (!(bytes.Count >= 4 && bytes[^4] == '\r' && bytes[^3] == '\n' && bytes[^2] == '\r' && bytes[^1] == '\n'))
        {
            if (await stream.ReadAsync(one) == 0) break;
            bytes.Add(one[0]);
        }
        return Encoding.ASCII.GetString(bytes.ToArray());
    }
}
