using static TorchSharp.torch;

namespace Tessera.Inference;

/// <summary>
/// A causal model that <see cref="EncodeSession"/> and <see cref="DecodeSession"/> can stream: its encoder and decoder
/// run chunk by chunk with a <see cref="Nn.CausalCache"/>, and its bottleneck works frame by frame, so codes made
/// chunk by chunk equal the codes of one call.
/// </summary>
internal interface IStreamingTokenizer : ICausalAutoencoder
{
    /// <summary>
    /// The code of an encoder output [B, z|2z, T', H', W'] made from <paramref name="encodedFrames"/> input frames
    /// (padding included), of which <paramref name="frames"/> are real.
    /// </summary>
    VideoCode CodeFromEncoderOutput(Tensor raw, int frames, int encodedFrames, TokenizerOptions options);

    /// <summary>The decoder's input [B, z, T', H', W'] for a code this model's family made.</summary>
    Tensor DecoderInput(VideoCode code);
}
