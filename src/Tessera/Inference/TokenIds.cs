using Tessera.Models;
using static TorchSharp.torch;

namespace Tessera.Inference;

/// <summary>
/// Discrete codes: one int32 tensor [B, ..axes] per token group of the model's card (VidTok: <c>tokens</c>
/// [B, T', H', W']), each id in [0, that group's codebook size).
/// </summary>
public sealed class TokenIds : VideoCode
{
    private readonly Dictionary<string, Tensor> groups;

    /// <summary>A code of a model with one token group.</summary>
    /// <param name="ids">Int32 ids [B, ..axes] of the card's only token group; the code takes ownership and disposes them with itself.</param>
    /// <param name="config">The model configuration that decodes the ids.</param>
    /// <param name="frames">Video frames the ids stand for; decoding returns exactly this many.</param>
    /// <param name="leadingFrames">Decoder output frames before the video's first frame (see <see cref="VideoCode.LeadingFrames"/>).</param>
    /// <exception cref="InvalidInputException">The model does not have exactly one token group, or the ids' dtype or rank does not match it.</exception>
    public TokenIds(Tensor ids, ModelConfig config, int frames, int leadingFrames = 0)
        : this(new Dictionary<string, Tensor> { [OnlyGroup(config.Card).Name] = ids }, config, frames, leadingFrames)
    {
    }

    /// <summary>
    /// A code of a model with any number of token groups: one int32 tensor [B, ..axes] per group of the card, all with one
    /// batch size. The code takes ownership of the tensors and disposes them with itself.
    /// </summary>
    /// <param name="groups">Ids by token group name (exactly the card's groups).</param>
    /// <param name="config">The model configuration that decodes the ids.</param>
    /// <param name="frames">Video frames the ids stand for; decoding returns exactly this many.</param>
    /// <param name="leadingFrames">Decoder output frames before the video's first frame (see <see cref="VideoCode.LeadingFrames"/>).</param>
    /// <exception cref="InvalidInputException">The model is continuous, the groups or their dtypes/ranks do not match the card, or batch sizes differ.</exception>
    public TokenIds(IReadOnlyDictionary<string, Tensor> groups, ModelConfig config, int frames, int leadingFrames = 0)
        : base(config, frames, leadingFrames)
    {
        var card = config.Card;
        if (!card.IsDiscrete) throw new InvalidInputException($"model '{config.Name}' is continuous; it makes latents, not token ids");
        var names = card.TokenGroups.Select(g => g.Name).ToArray();
        if (groups.Count != names.Length || names.Any(n => !groups.ContainsKey(n)))
            throw new InvalidInputException($"model '{config.Name}' has token groups [{string.Join(", ", names)}], got [{string.Join(", ", groups.Keys)}]");
        foreach (var g in card.TokenGroups)
        {
            var t = groups[g.Name];
            if (t.dim() != g.Rank + 1 || t.dtype != ScalarType.Int32)
                throw new InvalidInputException($"token ids '{g.Name}' must be int32 [B, {string.Join(", ", g.Axes)}], got {t.dtype} [{string.Join(", ", t.shape)}]");
        }
        if (card.TokenGroups.Select(g => groups[g.Name].shape[0]).Distinct().Count() > 1)
            throw new InvalidInputException($"token groups of one code must share the batch size, got [{string.Join(", ", card.TokenGroups.Select(g => groups[g.Name].shape[0]))}]");
        this.groups = card.TokenGroups.ToDictionary(g => g.Name, g => groups[g.Name]);
    }

    /// <summary>The card's token groups, in order.</summary>
    public IReadOnlyList<TokenGroup> TokenGroups => Card.TokenGroups;

    /// <summary>Ids of each group by name.</summary>
    public IReadOnlyDictionary<string, Tensor> Groups => groups;

    /// <summary>The ids of one token group by name, owned by this code.</summary>
    /// <exception cref="KeyNotFoundException">The card has no such group.</exception>
    public Tensor this[string group] => groups[group];

    /// <summary>The ids of a one-group code (VidTok's <c>tokens</c>).</summary>
    public Tensor Ids => groups[OnlyGroup(Card).Name];

    /// <summary>The codebook size of a one-group code.</summary>
    public long CodebookSize => OnlyGroup(Card).CodebookSize;

    /// <summary>Token ids over all groups.</summary>
    public long Count => groups.Values.Sum(t => t.numel());

    /// <summary>Bits to store the code: Σ over groups of ids × log2(codebook size).</summary>
    public double Bits => TokenGroups.Sum(g => groups[g.Name].numel() * g.BitsPerToken);

    /// <inheritdoc/>
    public override long BatchSize => groups.Values.First().shape[0];

    /// <inheritdoc/>
    /// <exception cref="InvalidOperationException">The first group is not laid out on a [T', H', W'] grid.</exception>
    public override (long Time, long Height, long Width) GridSize
    {
        get
        {
            var t = Ids;
            if (t.dim() != 4) throw new InvalidOperationException($"token group '{TokenGroups[0].Name}' is not a [T', H', W'] grid");
            return (t.shape[1], t.shape[2], t.shape[3]);
        }
    }

    internal override void MoveToOuterDisposeScope()
    {
        foreach (var t in groups.Values) t.MoveToOuterDisposeScope();
    }

    /// <summary>Disposes every group's ids.</summary>
    public override void Dispose()
    {
        foreach (var t in groups.Values) t.Dispose();
    }

    private static TokenGroup OnlyGroup(ModelCard card) => card.TokenGroups.Count == 1
        ? card.TokenGroups[0]
        : throw new InvalidOperationException($"model '{card.Name}' has {card.TokenGroups.Count} token groups ([{string.Join(", ", card.TokenGroups.Select(g => g.Name))}]); name one");
}
