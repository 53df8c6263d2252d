using static TorchSharp.torch;

namespace Tessera.Evaluation;

/// <summary>
/// Token histogram of a discrete (FSQ) model: how many codes were used and how evenly.
/// Minimal accumulator for the evaluation report; replace with the shared <c>CodebookUsage</c> once it lands.
/// </summary>
public sealed class CodebookUsage
{
    private readonly long[] counts;

    public CodebookUsage(long codebookSize)
    {
        if (codebookSize is <= 0 or > int.MaxValue) throw new ArgumentOutOfRangeException(nameof(codebookSize));
        counts = new long[codebookSize];
    }

    public long CodebookSize => counts.Length;
    public long Tokens { get; private set; }
    public IReadOnlyList<long> Counts => counts;

    /// <summary>Adds token ids of any shape (values in [0, codebook size)).</summary>
    public void Add(Tensor ids)
    {
        using var scope = NewDisposeScope();
        var flat = ids.flatten().to_type(ScalarType.Int64);
        if (flat.numel() == 0) return;
        var hist = flat.bincount(null, counts.Length);
        if (hist.shape[0] != counts.Length)
            throw new InvalidInputException($"token ids exceed the codebook size {counts.Length}");
        var h = hist.data<long>().ToArray();
        for (var i = 0; i < h.Length; i++) counts[i] += h[i];
        Tokens += flat.numel();
    }

    public void Add(CodebookUsage other)
    {
        if (other.CodebookSize != CodebookSize) throw new ArgumentException("codebook sizes differ", nameof(other));
        for (var i = 0; i < counts.Length; i++) counts[i] += other.counts[i];
        Tokens += other.Tokens;
    }

    /// <summary>Distinct codes seen.</summary>
    public long UsedCodes => counts.LongCount(c => c > 0);

    /// <summary>Used codes / codebook size.</summary>
    public double Utilisation => (double)UsedCodes / counts.Length;

    /// <summary>exp(entropy) of the token distribution in nats: the effective number of codes (1 … codebook size).</summary>
    public double Perplexity
    {
        get
        {
            if (Tokens == 0) return double.NaN;
            var h = 0.0;
            foreach (var c in counts)
                if (c > 0)
                {
                    var p = (double)c / Tokens;
                    h -= p * Math.Log(p);
                }
            return Math.Exp(h);
        }
    }

    /// <summary>Token counts summed into <paramref name="bins"/> equal ranges of code ids (for plots).</summary>
    public long[] Binned(int bins)
    {
        bins = Math.Clamp(bins, 1, counts.Length);
        var result = new long[bins];
        for (var i = 0; i < counts.Length; i++) result[(long)i * bins / counts.Length] += counts[i];
        return result;
    }
}
