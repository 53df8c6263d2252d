using static TorchSharp.torch;

namespace Tessera.Inference;

/// <summary>
/// Frames [B, C, n, H, W] waiting along the time axis in the pieces they arrived in: whole chunks are read off the
/// front without copying the pieces into one tensor first. Owns its pieces (detached from every dispose scope).
/// </summary>
internal sealed class FrameQueue : IDisposable
{
    private readonly List<Tensor> pieces = [];

    public int Count { get; private set; }

    /// <summary>Appends <paramref name="frames"/>; a copy when the caller may reuse its buffer, else a view.</summary>
    public void Add(Tensor frames, bool copy)
    {
        var n = (int)frames.shape[2];
        if (n == 0) return;
        pieces.Add((copy ? frames.clone() : frames.alias()).DetachFromDisposeScope());
        Count += n;
    }

    /// <summary>The first <paramref name="n"/> frames (1 ≤ n ≤ <see cref="Count"/>), a new tensor in the caller's dispose scope.</summary>
    public Tensor Peek(int n)
    {
        if (n < 1 || n > Count) throw new ArgumentOutOfRangeException(nameof(n), $"{n} frames asked of {Count}");
        var taken = new List<Tensor>();
        var need = n;
        foreach (var piece in pieces)
        {
            if (need == 0) break;
            var length = (int)piece.shape[2];
            taken.Add(length <= need ? piece.alias() : piece[.., .., ..need]);
            need -= Math.Min(length, need);
        }
        if (taken.Count == 1) return taken[0];
        var joined = cat(taken, 2);
        foreach (var t in taken) t.Dispose();
        return joined;
    }

    /// <summary>The last frame [B, C, 1, H, W] in the caller's dispose scope.</summary>
    public Tensor Last()
    {
        var piece = pieces[^1];
        var length = (int)piece.shape[2];
        return piece[.., .., (length - 1)..length];
    }

    /// <summary>Removes the first <paramref name="n"/> frames (at most <see cref="Count"/>).</summary>
    public void Drop(int n)
    {
        n = Math.Min(n, Count);
        while (n > 0)
        {
            var piece = pieces[0];
            var length = (int)piece.shape[2];
            if (length <= n)
            {
                pieces.RemoveAt(0);
                n -= length;
                Count -= length;
            }
            else
            {
                pieces[0] = piece[.., .., n..].DetachFromDisposeScope();
                Count -= n;
                n = 0;
            }
            piece.Dispose();
        }
    }

    public void Dispose()
    {
        foreach (var p in pieces) p.Dispose();
        pieces.Clear();
        Count = 0;
    }
}
