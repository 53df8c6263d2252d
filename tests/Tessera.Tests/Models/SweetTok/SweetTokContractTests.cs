using Tessera.Models;
using Tessera.Models.SweetTok;

namespace Tessera.Tests.Models.SweetTok;

/// <summary>
/// SweetTok under the shared contract: a tiny stage-2 model (5 frames of 16², a 2×2 patch grid, 4+4 word queries,
/// random codebooks of 6/7/5/8 words), exact frame count, four token groups.
/// </summary>
[DisposeScopePerTest]
public sealed class SweetTokContractTests : TokenizerContract
{
    internal static readonly SweetTokConfig Tiny = new()
    {
        Name = "sweettok-tiny",
        ImageSize = 16,
        Frames = 5,
        Dim = 32,
        Heads = 2,
        DimHead = 16,
        WindowSize = 2,
        EncBlock = "tw",
        DecBlock = "tt",
        TemporalDepth = 1,
        DecTemporalLayers = [1],
        NumSpatialLatentTokens = 4,
        NumTemporalLatentTokens = 4,
        EDim = 16,
        SpatialPriorDim = 8,
        TemporalPriorDim = 8,
        ProxyCodebookSize = 16,
        ProxyCodeDim = 4,
        PixBlock = "t",
        PixTemporalDepth = 1,
        PixDim = 32,
        PixHeads = 2,
        PixDimHead = 16,
        ProxyEncBlock = "t",
        ProxyTemporalDepth = 1,
        AdjectiveWords = 6,
        NounWords = 7,
        AdverbWords = 5,
        VerbWords = 8,
    };

    protected override ModelConfig Config => Tiny;
}
