using Tessera.Checkpoints.Hub;

namespace Tessera.Cli;

/// <summary>
/// The one resolver for every --model (and --weights) a command loads: an official preset name without --weights is
/// downloaded from the Hub and converted once, <c>hf:owner/repo[@revision]/path</c> is fetched into the Hugging Face
/// cache, a bundled model's name is its file beside the tool, a local file is taken as it is (see <see cref="PretrainedModels"/>).
/// </summary>
internal static class ModelArgument
{
    private static readonly AsyncLocal<HubSettings?> Override = new();

    /// <summary>The Hub settings a caller gave the command running on this call path (tests); null: the environment's.</summary>
    internal static HubSettings? Current
    {
        get => Override.Value;
        set => Override.Value = value;
    }

    private static HubSettings Settings => Override.Value ?? HubSettings.FromEnvironment();

    public static ResolvedModel Resolve(CliContext ctx, string model, string? weights, bool ema)
    {
        model = BundledModels.ResolveName(model);
        var fromHub = HubFile.IsReference(model) || weights is not null && HubFile.IsReference(weights)
                      || weights is null && !File.Exists(model) && Models.ModelFamilies.OfficialCheckpoint(model) is not null;
        if (!fromHub) return new ResolvedModel(model, weights, ema);
        using var hub = new HubClient(Settings) { Status = ctx.Progress };
        var progress = ctx.ShowsProgress ? new HubProgressLine(ctx.Error) : null;
        return PretrainedModels.ResolveAsync(hub, model, weights, ema, progress, CliCancellation.Current?.Token ?? default).GetAwaiter().GetResult();
    }
}

/// <summary>Download progress on a terminal: one line redrawn at most every 0.2 s, and at the end.</summary>
internal sealed class HubProgressLine(TextWriter writer) : IProgress<HubProgress>
{
    private readonly System.Diagnostics.Stopwatch _watch = System.Diagnostics.Stopwatch.StartNew();
    private TimeSpan? _lastDraw;

    public void Report(HubProgress p)
    {
        var finished = p.Total is { } total && p.Done >= total;
        if (!finished && _lastDraw is { } last && _watch.Elapsed - last < TimeSpan.FromSeconds(0.2)) return;
        _lastDraw = _watch.Elapsed;
        var rate = p.Done / Math.Max(_watch.Elapsed.TotalSeconds, 1e-3) / 1e6;
        var percent = p.Total is { } t && t > 0 ? $" {100.0 * p.Done / t:0}%" : "";
        writer.Write($"\r{p.File}{percent} ({p.Done / 1e6:0.0}{(p.Total is { } all ? $" of {all / 1e6:0.0}" : "")} MB, {rate:0.0} MB/s)   ");
        if (finished) writer.WriteLine();
    }
}
