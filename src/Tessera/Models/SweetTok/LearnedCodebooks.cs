using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Tessera.Models.SweetTok;

/// <summary>
/// The language-codebook ablation: plain learned codebooks with the priors' word counts and e_dim rows, in place of
/// the GCN-refined word embeddings, trained by the same β term. Rows start as unit-scale Gaussians (std e^−½) drawn
/// from the run's seed; the names carry "embedding", so AdamW does not decay them, as the reference's embeddings.
/// </summary>
internal sealed class LearnedCodebooks : nn.Module
{
    public const string Prefix = "learned_codebook.";

    private readonly Parameter embedding_adjective;
    private readonly Parameter embedding_noun;
    private readonly Parameter embedding_adverb;
    private readonly Parameter embedding_verb;

    public LearnedCodebooks(OfficialPrior spatial, OfficialPrior temporal, long eDim, int seed) : base(nameof(LearnedCodebooks))
    {
        using var generator = new Generator((ulong)seed + 5);
        Parameter Rows(int count) => nn.Parameter(randn(count, eDim, generator: generator) / Math.Sqrt(eDim));
        embedding_adjective = Rows(spatial.FirstWords.Count);
        embedding_noun = Rows(spatial.SecondWords.Count);
        embedding_adverb = Rows(temporal.FirstWords.Count);
        embedding_verb = Rows(temporal.SecondWords.Count);
        RegisterComponents();
    }

    public Tensor Adjective => embedding_adjective;
    public Tensor Noun => embedding_noun;
    public Tensor Adverb => embedding_adverb;
    public Tensor Verb => embedding_verb;
}
