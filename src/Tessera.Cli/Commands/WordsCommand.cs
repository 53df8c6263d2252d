using System.CommandLine;
using System.Text.Json;
using Tessera.Checkpoints;
using Tessera.Inference;
using Tessera.Models;
using Tessera.Tokens;
using Tessera.Video;

namespace Tessera.Cli.Commands;

/// <summary>
/// <c>tessera words</c>: the words a word-token model (SweetTok) reads in a video or token file, per clip and per
/// query, e.g. spatial "adjective adjective noun" and temporal "adverb adverb verb". The word lists come from the
/// model file's metadata.
/// </summary>
internal static class WordsCommand
{
    public static Command Create(CliContext ctx)
    {
        var video = new VideoCommandOptions();
        var json = new Option<bool>("--json") { Description = "Print JSON: per clip, per group, each position with its words" };
        var command = new Command("words", "Print the words behind a word-token model's tokens (video, .npy tensor or token file)") { json };
        video.AddTo(command);
        video.Input.Description = "Token file written by 'tessera encode', video file, directory of frames, image, or .npy tensor";
        video.Model.Description = "Tessera model file whose metadata holds the words (default: the token file's model; for a video, the bundled word-token model)";
        command.SetAction(r => ctx.Run(r.GetValue(video.Quiet), () => Run(ctx, r.GetValue(video.Input)!, r.GetValue(video.Model), r.GetValue(video.Weights),
            r.GetValue(json), video.Read(r), video.Tokenizer(ctx, r))));
        return command;
    }

    public static ExitCode Run(CliContext ctx, string input, string? model, string? weights, bool json, ReadOptions read, TokenizerOptions options)
    {
        if (IsTokenFile(input))
        {
            var info = TokenFile.ReadInfo(input);
            var modelFile = (model is null ? null : BundledModels.ResolveName(model)) ?? MetadataPaths.Resolve(input, "model", info.ModelSource, info.ModelSha256)
                ?? throw new TokenFileFormatException($"token file '{input}' does not record its model; pass --model <model.safetensors>");
            var (config, _) = ModelFamilies.Resolve(modelFile);
            var (code, _) = TokenFile.Load(input, config);
            using (code) return Print(ctx, code, modelFile, json);
        }
        var resolved = model is not null ? BundledModels.ResolveName(model)
            : BundledModels.WordModel() ?? throw new UsageException("words of a video need a word-token model: --model <model.safetensors> (no bundled model has words)");
        VideoInputs.AnnounceSize(read, ctx);
        using var tokenizer = EncodeCommand.LoadTokenizer(ctx, resolved, weights, options, false);
        ctx.Progress($"reading {input}");
        using var video = LoadVideo(input, tokenizer, read, ctx);
        using var x = FixedClips.Split(video, tokenizer.Card.Frames, out var clips, out var dropped);
        if (clips > 1 || dropped > 0)
            ctx.Progress($"{clips} clip{(clips == 1 ? "" : "s")} of {x.shape[2]} frames{(dropped > 0 ? $" ({dropped} trailing frames left out)" : "")}");
        using var encoded = tokenizer.Encode(x);
        return Print(ctx, encoded, resolved, json);
    }

    private static TorchSharp.torch.Tensor LoadVideo(string input, VideoTokenizer tokenizer, ReadOptions read, CliContext ctx)
    {
        if (TensorInput.IsTensorFile(input)) return TensorInput.Load(input, tokenizer.Card, ctx.Progress);
        using var clip = VideoReader.Read(input, VideoInputs.ForModel(read, tokenizer.Card, ctx));
        using var signed = clip.ToModelInput();
        return tokenizer.Card.Range.FromSigned(signed);
    }

    private static ExitCode Print(CliContext ctx, VideoCode code, string modelFile, bool json)
    {
        var family = ModelFamilies.Of(code.Config);
        if (code is not TokenIds ids)
            throw new InvalidInputException($"model '{code.Config.Name}' ({family.Name}) makes latents, not word tokens");
        if (!File.Exists(modelFile) || !modelFile.EndsWith(".safetensors", StringComparison.OrdinalIgnoreCase))
            throw new ConfigException($"model '{modelFile}': words come from a Tessera model file's metadata; pass --model <model.safetensors> (tessera convert writes one)");
        var metadata = SafeTensorsFile.ReadHeader(modelFile).Metadata;
        var clips = Enumerable.Range(0, (int)ids.BatchSize)
            .Select(c => family.Words(ids, c, metadata, modelFile)
                ?? throw new InvalidInputException($"model '{code.Config.Name}' is a {family.Name} model; its tokens are not words"))
            .ToArray();
        if (json)
        {
            var doc = new
            {
                model = code.Config.Name,
                family = family.Name,
                clips = clips.Select((groups, c) => new
                {
                    clip = c,
                    groups = groups.ToDictionary(g => g.Name, g => new
                    {
                        pattern = g.Pattern,
                        phrases = g.Phrases.Select(p => new { position = p.Position, words = p.Words }),
                    }),
                }),
            };
            ctx.Out.WriteLine(JsonSerializer.Serialize(doc, new JsonSerializerOptions { WriteIndented = true }));
            return ExitCode.Ok;
        }
        for (var c = 0; c < clips.Length; c++)
        {
            ctx.Out.WriteLine($"clip {c}");
            foreach (var g in clips[c])
            {
                ctx.Out.WriteLine($"  {g.Name} ({g.Pattern}):");
                foreach (var p in g.Phrases) ctx.Out.WriteLine($"    {p.Position,4}: {string.Join(' ', p.Words)}");
            }
        }
        return ExitCode.Ok;
    }

    // Token files are safetensors with the token-file format in their metadata; anything else is a video or tensor.
    private static bool IsTokenFile(string path)
    {
        if (!path.EndsWith(".safetensors", StringComparison.OrdinalIgnoreCase)) return false;
        if (!File.Exists(path)) throw new TokenFileFormatException($"token file '{path}' does not exist");
        try
        {
            return SafeTensorsFile.ReadHeader(path).Metadata.GetValueOrDefault("format") == TokenFile.Format;
        }
        catch (CheckpointFormatException e)
        {
            throw new TokenFileFormatException($"token file '{path}': {e.Message}", e);
        }
    }
}
