using Tessera.Inference;
using static TorchSharp.torch;

namespace Tessera.Cli;

/// <summary>
/// A whole code (a token file's) cut along latent time into pieces a <see cref="DecodeSession"/> takes one at a time,
/// so that only a chunk of it is turned into decoder input and decoded at once. The pieces' frames add up to the
/// code's: each latent stands for the card's temporal factor of frames, the first piece's leading frames excepted.
/// </summary>
internal static class CodePieces
{
    /// <summary>Whether the pieces can carry the code's frames: every latent but the last holds real frames (true of any code an encoder made).</summary>
    public static bool CanSplit(VideoCode code) =>
        code.BatchSize == 1 && code.Frames + code.LeadingFrames > code.Card.Compression.Time * (code.GridSize.Time - 1);

    public static IEnumerable<VideoCode> Split(VideoCode code, int latentsPerPiece)
    {
        var factor = code.Card.Compression.Time;
        var latents = (int)code.GridSize.Time;
        var claimed = 0;
        for (var start = 0; start < latents; start += latentsPerPiece)
        {
            var end = Math.Min(latents, start + latentsPerPiece);
            var leading = start == 0 ? code.LeadingFrames : 0;
            var frames = end == latents ? code.Frames - claimed : Math.Min(code.Frames - claimed, factor * (end - start) - leading);
            claimed += frames;
            yield return Slice(code, start, end, frames, leading);
        }
    }

    private static VideoCode Slice(VideoCode code, int start, int end, int frames, int leading) => code switch
    {
        TokenIds ids => new TokenIds(ids.Groups.ToDictionary(g => g.Key, g => g.Value[.., start..end]), code.Config, frames, leading),
        Latents l => new Latents(l.Values[.., .., start..end], code.Config, frames, leading),
        _ => throw new ArgumentException("unknown code type", nameof(code)),
    };
}

/// <summary>What <c>encode</c> and <c>reconstruct</c> say about a code pulled in pieces: its frames, ids or values, and grid.</summary>
internal sealed class CodeTally
{
    private readonly Dictionary<string, long[]> shapes = [];
    private int frames;
    private int clips;

    public long Count { get; private set; }
    public double Bits { get; private set; }
    public bool IsDiscrete { get; private set; }

    public void Add(VideoCode code)
    {
        frames += code.Frames;
        clips++;
        switch (code)
        {
            case TokenIds ids:
                IsDiscrete = true;
                Count += ids.Count;
                Bits += ids.Bits;
                foreach (var g in ids.TokenGroups) Grow(g.Name, ids[g.Name]);
                break;
            case Latents l:
                Count += l.Values.numel();
                Grow(Tokens.TokenFile.LatentsKey, l.Values);
                break;
        }
    }

    /// <summary>As <see cref="Commands.EncodeCommand.Describe"/> says it of the joined code.</summary>
    public string Describe(VideoTokenizer tokenizer) => IsDiscrete
        ? $"{frames} frames{(Clipwise ? $" in {clips} clips" : "")} -> {Count:N0} tokens{(Clipwise ? $" ({Count / clips:N0} per clip)" : "")}: " +
          string.Join(", ", tokenizer.Card.TokenGroups.Select(g => $"{g.Name} [{Shape(g.Name)}] from a {g.CodebookSize:N0}-entry codebook"))
        : $"{frames} frames -> latents [{Shape(Tokens.TokenFile.LatentsKey)}]";

    // Codes of a fixed-length model (query tokens, no grid) are separate clips; the shapes are per clip.
    private bool Clipwise => clips > 1 && shapes.Values.Any(s => s.Length < 4);

    private string Shape(string name) => string.Join("x", shapes[name].Skip(1));

    // Pieces of a grid join along its time axis, the third from last; query tokens (fewer axes) do not join.
    private void Grow(string name, Tensor t)
    {
        if (!shapes.TryGetValue(name, out var shape))
        {
            shapes[name] = t.shape.ToArray();
            return;
        }
        if (shape.Length >= 4) shape[^3] += t.shape[^3];
    }
}
