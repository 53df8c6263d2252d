using Tessera.Models;
using Tessera.Models.VidTok;
using Tessera.Tests.Inference;

namespace Tessera.Tests.Models.VidTok;

/// <summary>VidTok under the shared contract: a tiny causal v1.0 FSQ model (frame rule 1 + 4k, one group <c>tokens</c>).</summary>
[DisposeScopePerTest]
public sealed class VidTokContractTests : TokenizerContract
{
    protected override ModelConfig Config => TinyModels.Config(VidTokFamily.CausalV1_0);
}

/// <summary>The streaming, continuous side of VidTok under the same contract: a tiny causal v1.1 KL model.</summary>
[DisposeScopePerTest]
public sealed class VidTokKlContractTests : TokenizerContract
{
    protected override ModelConfig Config => TinyModels.Config(VidTokFamily.CausalV1_1, fsq: false);
}
