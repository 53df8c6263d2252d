using TorchSharp;
using static TorchSharp.torch;

namespace Tessera.Metrics;

/// <summary>Codebook statistics of a token histogram.</summary>
/// <param name="CodebookSize">K.</param>
/// <param name="Tokens">Tokens counted.</param>
/// <param name="UsedCodes">Codes seen at least once.</param>
/// <param name="Utilisation">UsedCodes / K.</param>
/// <param name="EntropyBits">−Σ p log₂ p of the empirical code distribution (0 ≤ H ≤ log₂ K).</param>
/// <param name="Perplexity">exp of the entropy in nats = 2^EntropyBits: the effective number of codes (1 … K).</param>
public sealed record CodebookUsageResult(int CodebookSize, long Tokens, int UsedCodes, double Utilisation, double EntropyBits, double Perplexity)
{
    /// <summary>EntropyBits / log₂ K (1 for a uniform histogram; 0 when K = 1).</summary>
    public double NormalisedEntropy => CodebookSize > 1 ? EntropyBits / Math.Log2(CodebookSize) : 0;
}

/// <summary>
/// Accumulates a histogram of token ids in [0, K) over any number of videos and reports utilisation, entropy
/// and perplexity (<see cref="CodebookUsageResult"/>). Ids may be any integer tensor of any shape.
/// </summary>
public sealed class CodebookUsage
{
    private readonly long[] _counts;

    /// <summary>An empty histogram over ids [0, <paramref name="codebookSize"/>).</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="codebookSize"/> is less than 1.</exception>
    public CodebookUsage(int codebookSize)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(codebookSize, 1);
        _counts = new long[codebookSize];
    }

    /// <summary>K, the number of codes counted.</summary>
    public int CodebookSize => _counts.Length;

    /// <summary>Tokens added so far.</summary>
    public long Tokens { get; private set; }

    /// <summary>A copy of the counts per code (index = id), for plotting.</summary>
    public long[] Histogram => (long[])_counts.Clone();

    /// <summary>Counts every element of <paramref name="ids"/>; throws (and counts nothing) when one is outside [0, K) or the tensor is not integral.</summary>
    public void Add(Tensor ids)
    {
        if (ids.dtype is ScalarType.Float16 or ScalarType.BFloat16 or ScalarType.Float32 or ScalarType.Float64
            or ScalarType.ComplexFloat32 or ScalarType.ComplexFloat64 or ScalarType.Bool)
            throw new InvalidInputException($"token ids must be an integer tensor, got {ids.dtype}");
        if (ids.numel() == 0) return;
        using var scope = NewDisposeScope();
        var flat = ids.flatten().to_type(ScalarType.Int64).cpu();
        long min = flat.min().item<long>(), max = flat.max().item<long>();
        if (min < 0 || max >= _counts.Length)
            throw new InvalidInputException($"token ids must lie in [0, {_counts.Length}), got values from {min} to {max}");
        var counts = bincount(flat, minlength: _counts.Length).data<long>().ToArray();
        for (int i = 0; i < _counts.Length; i++) _counts[i] += counts[i];
        Tokens += flat.numel();
    }

    /// <summary>Adds another accumulator's counts (e.g. one video's into the whole run's); the codebook sizes must agree.</summary>
    public void Add(CodebookUsage other)
    {
        ArgumentNullException.ThrowIfNull(other);
        if (other.CodebookSize != CodebookSize)
            throw new ArgumentException($"codebook sizes differ: {other.CodebookSize} added to {CodebookSize}", nameof(other));
        for (int i = 0; i < _counts.Length; i++) _counts[i] += other._counts[i];
        Tokens += other.Tokens;
    }

    /// <summary>The statistics of everything added; throws when nothing was.</summary>
    public CodebookUsageResult Result()
    {
        if (Tokens == 0) throw new InvalidOperationException("no tokens were added");
        int used = 0;
        double entropyNats = 0;
        foreach (var c in _counts)
        {
            if (c == 0) continue;
            used++;
            double p = (double)c / Tokens;
            entropyNats -= p * Math.Log(p);
        }
        entropyNats = Math.Max(entropyNats, 0);
        return new CodebookUsageResult(_counts.Length, Tokens, used, (double)used / _counts.Length, entropyNats / Math.Log(2), Math.Exp(entropyNats));
    }

    /// <summary>Statistics of one tensor of ids.</summary>
    public static CodebookUsageResult Compute(Tensor ids, int codebookSize)
    {
        var acc = new CodebookUsage(codebookSize);
        acc.Add(ids);
        return acc.Result();
    }
}
