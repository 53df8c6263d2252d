using System.CommandLine;
using Tessera.Checkpoints;
using Tessera.Inference;
using Tessera.Models;
using Tessera.Tokens;

namespace Tessera.Cli.Commands;

/// <summary><c>tessera info</c>: what a model file, checkpoint, token file or preset holds.</summary>
internal static class InfoCommand
{
    public static Command Create(CliContext ctx)
    {
        var target = new Argument<string?>("target")
        {
            Description = "Bundled model name, preset name, YAML config, model/token .safetensors, or checkpoint (default: list the bundled models)",
            Arity = ArgumentArity.ZeroOrOne,
        };
        var keys = new Option<bool>("--keys") { Description = "List every state-dict key with its shape" };
        var command = new Command("info", "Show the configuration, parameter count, training record and (with --keys) the weights of a model; without one, list the bundled models") { target, keys };
        command.SetAction(r => ctx.Run(() => r.GetValue(target) is { } t ? Run(ctx, t, r.GetValue(keys)) : ListBundled(ctx)));
        return command;
    }

    public static ExitCode Run(CliContext ctx, string target, bool keys)
    {
        var o = ctx.Out;
        target = BundledModels.ResolveName(target);
        if (File.Exists(target) && target.EndsWith(".safetensors", StringComparison.OrdinalIgnoreCase))
        {
            var header = SafeTensorsFile.ReadHeader(target);
            if (header.Metadata.GetValueOrDefault("format") == TokenFile.Format)
            {
                var (code, info) = TokenFile.Load(target);
                using (code)
                {
                    o.WriteLine($"token file   {target}");
                    o.WriteLine($"model        {code.Card.Name} ({code.Card.Family}: {code.Card.Summary})");
                    o.WriteLine($"code         {EncodeCommand.Describe(code)}");
                    o.WriteLine($"source       {info.Source ?? "?"} at {info.Fps?.ToString("0.###") ?? "?"} fps, start {info.Start ?? 0:0.###} s" +
                                (info.SourceSha256 is { } sh ? $" ({info.SourceBytes:N0} bytes, sha256 {sh})" : ""));
                    if (info.ModelSource is { } ms) o.WriteLine($"encoded with {ms}{(info.ModelSha256 is { } mh ? $" (sha256 {mh})" : "")}");
                    if (info.OriginalSize is { } os) o.WriteLine($"sizes        original {Sizes.Show(os)}, processed {(info.ProcessedSize is { } ps ? Sizes.Show(ps) : "?")} (width x height)");
                    o.WriteLine($"written by   Tessera {info.TesseraVersion}");
                }
                return ExitCode.Ok;
            }
            var config = ModelFamilies.ReadConfig(header.Metadata, target);
            if (config is not null) PrintConfig(o, config);
            static long Elements(SafeTensorsEntry t) => t.Shape.Aggregate(1L, (a, b) => a * b);
            // A training checkpoint also holds losses and optimiser state; a model file is all model (a family may add
            // tensors beside its network, e.g. SweetTok's language codebooks).
            var training = header.Metadata.GetValueOrDefault("format") == "tessera.train/1";
            var weights = header.Tensors.Where(t => !training || t.Name.StartsWith("encoder.", StringComparison.Ordinal) || t.Name.StartsWith("decoder.", StringComparison.Ordinal)).ToList();
            o.WriteLine($"parameters   {weights.Sum(Elements):N0} in {weights.Count} {(training ? "encoder/decoder " : "")}tensors");
            foreach (var (key, value) in ModelAbout.In(header.Metadata)) o.WriteLine($"{key,-16} {value}");
            if (header.Metadata.GetValueOrDefault("format") == "tessera.train/1")
            {
                o.WriteLine($"training     step {header.Metadata.GetValueOrDefault("step")}, data position {header.Metadata.GetValueOrDefault("data_position")} batches");
                foreach (var group in header.Tensors.Except(weights).GroupBy(t => t.Name.Split('.')[0]))
                    o.WriteLine($"  {group.Key}.*: {group.Count()} tensors, {group.Sum(Elements):N0} elements");
            }
            if (keys) foreach (var t in header.Tensors) o.WriteLine($"  {t.Name} [{string.Join(", ", t.Shape)}] {t.DType}");
            return ExitCode.Ok;
        }
        if (File.Exists(target) && !target.EndsWith(".yaml", StringComparison.OrdinalIgnoreCase) && !target.EndsWith(".yml", StringComparison.OrdinalIgnoreCase))
        {
            using var sd = CheckpointReader.Read(target);
            o.WriteLine($"checkpoint   {target}: {sd.Count} tensors, {sd.Values.Sum(t => t.numel()):N0} elements");
            foreach (var group in sd.Keys.GroupBy(k => k.Split('.')[0]))
                o.WriteLine($"  {group.Key}.*: {group.Count()} tensors");
            if (keys) foreach (var (name, t) in sd) o.WriteLine($"  {name} [{string.Join(", ", t.shape)}] {t.dtype}");
            return ExitCode.Ok;
        }

        var (cfg, _) = VideoTokenizer.ResolveModel(target);
        PrintConfig(o, cfg);
        using var model = ModelFamilies.Create(cfg);
        var state = model.state_dict();
        var parts = model.named_parameters().GroupBy(p => p.name.Split('.')[0]).Select(g => $"{g.Key} {g.Sum(p => p.parameter.numel()):N0}");
        o.WriteLine($"parameters   {model.parameters().Sum(p => p.numel()):N0} ({string.Join(", ", parts)}) in {state.Count} tensors");
        if (keys) foreach (var (name, t) in state) o.WriteLine($"  {name} [{string.Join(", ", t.shape)}]");
        return ExitCode.Ok;
    }

    /// <summary>The bundled models beside the tool: name, kind, file size and the held-out figures their metadata records.</summary>
    public static ExitCode ListBundled(CliContext ctx)
    {
        var o = ctx.Out;
        var models = BundledModels.All();
        var folder = Tessera.Models.BundledModelFolder.Path;
        if (models.Count == 0)
        {
            o.WriteLine($"no bundled models in {folder}");
            return ExitCode.Ok;
        }
        var defaultName = File.Exists(Tessera.Models.BundledModelFolder.DefaultPath) ? Tessera.Models.BundledModelFolder.DefaultName : null;
        o.WriteLine($"bundled models in {folder} (* the default, used without --model{(defaultName is null ? "; missing" : "")}):");
        var width = Math.Max(4, models.Max(m => m.Name.Length));
        o.WriteLine($"  {"name".PadRight(width)}  {"kind",-10}  {"size",8}  held-out");
        foreach (var (name, path) in models)
        {
            string kind, heldOut;
            try
            {
                var metadata = SafeTensorsFile.ReadHeader(path).Metadata;
                var config = ModelFamilies.ReadConfig(metadata, path) ?? throw new ConfigException("no model config in its metadata");
                kind = config.Card.IsDiscrete ? "discrete" : "continuous";
                heldOut = ModelAbout.HeldOut(metadata) ?? "not recorded ('tessera annotate' adds it)";
            }
            catch (TesseraException e)
            {
                (kind, heldOut) = ("unreadable", e.Message);
            }
            var size = $"{new FileInfo(path).Length / 1e6:0.0} MB";
            o.WriteLine($"{(name == defaultName ? "*" : " ")} {name.PadRight(width)}  {kind,-10}  {size,8}  {heldOut}");
        }
        return ExitCode.Ok;
    }

    internal static void PrintConfig(TextWriter o, ModelConfig config)
    {
        var c = config.Card;
        o.WriteLine($"model        {c.Name}: {c.Summary}");
        o.WriteLine($"family       {c.Family} {c.Variant}, compression {c.Compression} (time x height x width), frames: {c.Frames.Describe()}");
        var sizes = c.InputSize is { } fixedSize
            ? $"frames of {fixedSize.Width}x{fixedSize.Height}"
            : $"height and width multiples of {c.SpatialMultiple} (others are padded at the edges and cropped back)";
        o.WriteLine($"input        [B, 3, T, H, W] {c.DType} in {c.Range}, {sizes}{(c.Streams ? "; streams long videos in chunks" : "")}");
        if (c.IsDiscrete)
            foreach (var g in c.TokenGroups) o.WriteLine($"token group  {g}");
        else
            o.WriteLine($"latents      {c.LatentChannels} channels");
        foreach (var (label, text) in ModelFamilies.Of(config).Describe(config))
            o.WriteLine($"{label,-12} {text}");
    }
}
