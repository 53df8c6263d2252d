namespace Tessera.Checkpoints.Hub;

/// <summary>
/// Where Hub files come from and where they are kept, read from the environment variables <c>huggingface_hub</c> uses:
/// <c>HF_ENDPOINT</c>, <c>HF_HOME</c> / <c>HF_HUB_CACHE</c>, <c>HF_TOKEN</c> (else the token file <c>huggingface-cli login</c>
/// writes), <c>HF_HUB_OFFLINE</c> and <c>HF_HUB_DOWNLOAD_TIMEOUT</c>. Sharing its cache means a file downloaded from Python is found here and the other way round.
/// </summary>
public sealed record HubSettings
{
    /// <summary>The Hub's address when <c>HF_ENDPOINT</c> is not set.</summary>
    public const string DefaultEndpoint = "https://huggingface.co";

    /// <summary>The Hub's base address (<c>HF_ENDPOINT</c>).</summary>
    public string Endpoint { get; init; } = DefaultEndpoint;

    /// <summary>The hub cache folder (<c>models--owner--name/…</c> inside).</summary>
    public required string CacheDir { get; init; }

    /// <summary>Sent as <c>Authorization: Bearer</c> to the endpoint only (never to the CDN it redirects to).</summary>
    public string? Token { get; init; }

    /// <summary>Use the cache only: a file that is not there is an error, not a download.</summary>
    public bool Offline { get; init; }

    /// <summary>How long the Hub may stay silent (an answer to a request, the next bytes of a transfer) before the attempt counts as broken.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>The settings the process environment gives.</summary>
    public static HubSettings FromEnvironment() => FromEnvironment(Environment.GetEnvironmentVariable);

    /// <summary>The settings <paramref name="env"/> gives (a variable's value or null).</summary>
    public static HubSettings FromEnvironment(Func<string, string?> env)
    {
        var home = NonEmpty(env("HF_HOME")) ?? System.IO.Path.Combine(
            NonEmpty(env("XDG_CACHE_HOME")) ?? System.IO.Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache"),
            "huggingface");
        var tokenFile = NonEmpty(env("HF_TOKEN_PATH")) ?? System.IO.Path.Combine(home, "token");
        return new HubSettings
        {
            Endpoint = (NonEmpty(env("HF_ENDPOINT")) ?? DefaultEndpoint).TrimEnd('/'),
            CacheDir = NonEmpty(env("HF_HUB_CACHE")) ?? NonEmpty(env("HUGGINGFACE_HUB_CACHE")) ?? System.IO.Path.Combine(home, "hub"),
            Token = NonEmpty(env("HF_TOKEN")) ?? (File.Exists(tokenFile) ? NonEmpty(File.ReadAllText(tokenFile).Trim()) : null),
            Offline = IsTrue(env("HF_HUB_OFFLINE")),
            Timeout = TimeSpan.FromSeconds(double.TryParse(env("HF_HUB_DOWNLOAD_TIMEOUT"), System.Globalization.NumberStyles.Float,
                System.Globalization.CultureInfo.InvariantCulture, out var seconds) && seconds > 0 ? seconds : 10),
        };
    }

    // huggingface_hub's reading of boolean variables.
    private static bool IsTrue(string? value) => value?.Trim().ToUpperInvariant() is "1" or "ON" or "YES" or "TRUE";

    private static string? NonEmpty(string? value) => string.IsNullOrWhiteSpace(value) ? null : value;
}
