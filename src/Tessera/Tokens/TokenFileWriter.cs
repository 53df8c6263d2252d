using Tessera.Checkpoints;
using Tessera.Inference;
using Tessera.Models;
using static TorchSharp.torch;

namespace Tessera.Tokens;

/// <summary>
/// Writes a token file piece by piece, as a streaming encode pulls codes (see <see cref="EncodeSession"/>), so the
/// code of a long video is never held whole. The file is the one <see cref="TokenFile.Save"/> writes for the joined
/// code, byte for byte: safetensors needs every tensor's shape in the header before the data, so each tensor's data
/// goes to a temporary part file beside the target (one per slice before the time axis: a latent's channels) and
/// <see cref="Complete"/> writes header and parts into the target atomically. A writer disposed before
/// <see cref="Complete"/> leaves the target as it was.
/// </summary>
public sealed class TokenFileWriter : IDisposable
{
    private readonly string path;
    private readonly ModelConfig config;
    private readonly TokenFileInfo info;
    private readonly string[] names;
    private readonly List<FileStream[]> parts = [];
    private readonly List<long[]> shapes = [];
    private bool done;

    /// <summary>Starts a token file at <paramref name="path"/> for one video's code from a model of <paramref name="config"/>.</summary>
    /// <exception cref="InvalidInputException">The model's codes are not laid out on a [.., T', H', W'] grid, so they cannot be joined along time.</exception>
    public TokenFileWriter(string path, ModelConfig config, TokenFileInfo info)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var card = config.Card;
        if (card.IsDiscrete && card.TokenGroups.Any(g => g.Rank != 3))
            throw new InvalidInputException($"model '{config.Name}' makes codes that are not a [T', H', W'] grid; save its code whole with TokenFile.Save");
        this.path = path;
        this.config = config;
        this.info = info;
        names = card.IsDiscrete ? card.TokenGroups.Select(g => g.Name).ToArray() : [TokenFile.LatentsKey];
    }

    /// <summary>Real frames of the pieces appended so far.</summary>
    public int Frames { get; private set; }

    /// <summary>The first piece's leading frames (a causal encoder's front padding).</summary>
    public int LeadingFrames { get; private set; }

    private (int Height, int Width)? frameSize;

    /// <summary>Appends the next piece of the video's code (batch 1); only the first piece may have leading frames.</summary>
    /// <exception cref="InvalidInputException">The piece is from another model, holds a batch, has leading frames after the first piece, or its grid does not match.</exception>
    public void Append(VideoCode code)
    {
        ArgumentNullException.ThrowIfNull(code);
        if (done) throw new InvalidOperationException("the token file is complete");
        if (code.Config.FamilyName != config.FamilyName || code.Card.IsDiscrete != config.Card.IsDiscrete)
            throw new InvalidInputException($"code from model '{code.Config.Name}' cannot go into a token file for model '{config.Name}'");
        if (code.BatchSize != 1) throw new InvalidInputException($"a streamed token file holds one video; this code holds {code.BatchSize}");
        if (shapes.Count > 0 && code.LeadingFrames > 0)
            throw new InvalidInputException($"only the first piece of a stream may have leading frames; this one has {code.LeadingFrames}");
        if (shapes.Count > 0 && code.FrameSize != frameSize)
            throw new InvalidInputException("the pieces of one stream must record one frame size (VideoCode.FrameSize)");
        using var scope = NewDisposeScope();
        var tensors = code switch
        {
            TokenIds ids => names.Select(n => ids[n][0].to_type(ScalarType.Int32).contiguous()).ToArray(),
            Latents l => [l.Values[0].to_type(ScalarType.Float32).contiguous()],
            _ => throw new ArgumentException("unknown code type", nameof(code)),
        };
        if (shapes.Count == 0) Open(tensors);
        for (var i = 0; i < tensors.Length; i++) AppendTensor(i, tensors[i]);
        if (Frames == 0)
        {
            LeadingFrames = code.LeadingFrames;
            frameSize = code.FrameSize;
        }
        Frames += code.Frames;
    }

    /// <summary>Writes the token file: the header, then every part, into a temporary file renamed over the target.</summary>
    /// <exception cref="InvalidInputException">Nothing was appended.</exception>
    public void Complete()
    {
        if (done) return;
        if (shapes.Count == 0) throw new InvalidInputException($"token file '{path}': no code to write");
        var meta = TokenFile.Metadata(config, Frames, LeadingFrames, 1, info, frameSize);
        var dtype = config.Card.IsDiscrete ? ScalarType.Int32 : ScalarType.Float32;
        var header = SafeTensorsFile.BuildHeader(names.Select((n, i) => (n, dtype, shapes[i])), meta);
        AtomicFile.Write(path, stream =>
        {
            Span<byte> length = stackalloc byte[8];
            System.Buffers.Binary.BinaryPrimitives.WriteUInt64LittleEndian(length, (ulong)header.Length);
            stream.Write(length);
            stream.Write(header);
            foreach (var slices in parts)
                foreach (var part in slices)
                {
                    part.Flush();
                    part.Position = 0;
                    part.CopyTo(stream);
                }
        });
        done = true;
        Close();
    }

    /// <summary>Deletes the part files; the target is written only by <see cref="Complete"/>.</summary>
    public void Dispose() => Close();

    // The first piece fixes each tensor's shape but its time axis (the third from last: T' of [T', H', W'] or [C, T', H', W']).
    private void Open(Tensor[] tensors)
    {
        var full = Path.GetFullPath(path);
        var dir = Path.GetDirectoryName(full)!;
        Directory.CreateDirectory(dir);
        foreach (var (t, name) in tensors.Zip(names))
        {
            if (t.dim() < 3) throw new InvalidInputException($"tensor '{name}' [{string.Join(", ", t.shape)}] has no [T', H', W'] grid to join along time");
            var shape = t.shape.ToArray();
            shape[^3] = 0;
            shapes.Add(shape);
            var slices = (int)shape[..^3].Aggregate(1L, (a, b) => a * b);
            parts.Add(Enumerable.Range(0, slices).Select(s => new FileStream(
                Path.Combine(dir, $".{Path.GetFileName(full)}.{Guid.NewGuid():N}.{name}.{s}.part"),
                FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None, 1 << 16, FileOptions.DeleteOnClose)).ToArray());
        }
    }

    private void AppendTensor(int index, Tensor t)
    {
        var shape = shapes[index];
        if (t.dim() != shape.Length || Enumerable.Range(0, shape.Length).Any(d => d != shape.Length - 3 && t.shape[d] != shape[d]))
            throw new InvalidInputException($"tensor '{names[index]}' [{string.Join(", ", t.shape)}] does not continue the stream's grid [{string.Join(", ", shape.Select((d, i) => i == shape.Length - 3 ? "T'" : d.ToString(System.Globalization.CultureInfo.InvariantCulture)))}]");
        var slices = parts[index];
        var flat = t.reshape(slices.Length, -1);
        for (var s = 0; s < slices.Length; s++)
        {
            using var slice = flat[s].contiguous();
            TensorBytes.Read(slice, span => slices[s].Write(span));
        }
        shape[^3] += t.shape[^3];
    }

    private void Close()
    {
        foreach (var slices in parts)
            foreach (var part in slices)
                part.Dispose();
        parts.Clear();
        done = true;
    }
}
