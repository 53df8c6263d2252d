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
        var target = new Argument<string>("target") { Description = "Preset name, YAML config, model/token .safetensors, or checkpoint" };
        var keys = new Option<bool>("--keys") { Description = "List every state-dict key with its shape" };
        var command = new Command("info", "Show the configuration, parameter count and (with --keys) the weights of a model") { target, keys };
        command.SetAction(r => ctx.Run(() => Run(ctx, r.GetValue(target)!, r.GetValue(keys))));
        return command;
    }

    public static ExitCode Run(CliContext ctx, string target, bool keys)
    {
        var o = ctx.Out;
        target = BundledModel.ResolveName(target);
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

    internal static void PrintConfig(TextWriter o, ModelConfig config)
    {
        var c = config.Card;
        o.WriteLine($"model        {c.Name}: {c.Summary}");
        o.WriteLine($"family       {c.Family} {c.Variant}, compression {c.Compression} (time x height x width), frames: {c.Frames.Describe()}");
        o.WriteLine($"input        [B, 3, T, H, W] {c.DType} in {c.Range}, height and width multiples of {c.SpatialMultiple}{(c.Streams ? "; streams long videos in chunks" : "")}");
        if (c.IsDiscrete)
            foreach (var g in c.TokenGroups) o.WriteLine($"token group  {g}");
        else
            o.WriteLine($"latents      {c.LatentChannels} channels");
        foreach (var (label, text) in ModelFamilies.Of(config).Describe(config))
            o.WriteLine($"{label,-12} {text}");
    }
}
