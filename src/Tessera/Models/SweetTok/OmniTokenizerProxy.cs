using Tessera.Checkpoints;
using Tessera.Nn;
using static TorchSharp.torch;

namespace Tessera.Models.SweetTok;

/// <summary>
/// An OmniTokenizer VQGAN checkpoint (the official proxy: <c>imagenet_k600.ckpt</c> and the like) as SweetTok's proxy:
/// the targets are its codes, the proxy codebook its <c>codebook.embeddings</c>, and the pixel decoder its
/// <c>post_vq_conv</c> + <c>decoder</c>. Its sizes are the SweetTok config's <c>pix_*</c>, <c>proxy_*</c> and
/// <c>codebook_size</c> keys; the checkpoint is loaded strictly against them.
/// </summary>
internal sealed class OmniTokenizerProxy : ISweetTokProxy
{
    // What the proxy keeps of the checkpoint; the rest (discriminators, the perceptual model) is training state.
    private static readonly string[] Kept = ["encoder.", "pre_vq_conv.", "codebook.", "decoder.", "post_vq_conv."];

    private readonly ProxyTokenizer tokenizer;
    private readonly int frames;

    private OmniTokenizerProxy(ProxyTokenizer tokenizer, SweetTokConfig config, string path)
    {
        this.tokenizer = tokenizer;
        frames = config.Frames;
        tokenizer.eval();
        foreach (var p in tokenizer.parameters()) p.requires_grad = false;
        PixelDecoder = new DecodingHalf(tokenizer);
        Description = $"OmniTokenizer '{Path.GetFileName(path)}' ({config.ProxyCodebookSize} codes, dim {config.PixDim})";
    }

    /// <summary>Whether <paramref name="path"/> holds an OmniTokenizer VQGAN (its EMA codebook and encoder), not a VidTok model.</summary>
    public static bool IsCheckpoint(string path)
    {
        if (!File.Exists(path)) return false;
        if (CheckpointReader.IsSafeTensors(path)) return IsOmni(SafeTensorsFile.ReadHeader(path).Tensors.Select(e => e.Name).ToList());
        using var sd = CheckpointReader.Read(path);
        return IsOmni(sd.Keys.ToList());
    }

    /// <summary>
    /// The OmniTokenizer at <paramref name="path"/> at <paramref name="config"/>'s proxy sizes, or null when the file is
    /// something else (a VidTok model). A pickled checkpoint is read once (a safetensors file's header decides first).
    /// </summary>
    public static OmniTokenizerProxy? TryLoad(string path, SweetTokConfig config)
    {
        if (CheckpointReader.IsSafeTensors(path) && !IsOmni(SafeTensorsFile.ReadHeader(path).Tensors.Select(e => e.Name).ToList())) return null;
        using var source = CheckpointReader.Read(path);
        return IsOmni(source.Keys.ToList()) ? Load(source, path, config) : null;
    }

    private static bool IsOmni(IReadOnlyCollection<string> keys) =>
        keys.Contains("codebook.embeddings") && keys.Any(k => k.StartsWith("encoder.", StringComparison.Ordinal));

    private static OmniTokenizerProxy Load(StateDict source, string path, SweetTokConfig config)
    {
        var tokenizer = new ProxyTokenizer(config);
        try
        {
            var kept = new StateDict(source.Metadata);
            foreach (var (key, t) in source)
                if (Kept.Any(p => key.StartsWith(p, StringComparison.Ordinal))) kept.Add(key, t.alias());
            using (kept) StateDictLoader.LoadInto(tokenizer, kept, path);
            return new OmniTokenizerProxy(tokenizer, config, path);
        }
        catch
        {
            tokenizer.Dispose();
            throw;
        }
    }

    public string Description { get; }

    public long CodebookSize => tokenizer.Codebook.Embeddings.shape[0];

    public Tensor CodeVectors => tokenizer.Codebook.Embeddings;

    /// <summary><c>post_vq_conv</c> and <c>decoder</c>: what stage 2 fine-tunes.</summary>
    public nn.Module PixelDecoder { get; }

    public Tensor Targets(Tensor clips)
    {
        using var grad = no_grad();
        using var scope = NewDisposeScope();
        return scope.MoveToOuter(tokenizer.Encode(clips * 0.5));
    }

    public Tensor DecodeVectors(Tensor vectors, int frames)
    {
        using var scope = NewDisposeScope();
        var y = tokenizer.DecodeVectors(vectors) * 2.0;
        return scope.MoveToOuter(Trim(y, frames));
    }

    public Tensor Decode(Tensor ids, int frames)
    {
        using var grad = no_grad();
        using var scope = NewDisposeScope();
        var y = tokenizer.Decode(ids) * 2.0;
        return scope.MoveToOuter(Trim(y, frames).clamp(Scalars.Of(-1.0), Scalars.Of(1.0)));
    }

    /// <summary>The decoding half (after any stage-2 fine-tuning) under the model's <c>pixel_*</c> names, as the official stage 2 starts from.</summary>
    public IEnumerable<(string Name, Tensor Value)> PixelPathTensors() =>
        tokenizer.state_dict()
            .SelectMany(kv => SweetTokWeights.OmniPixelPrefixes.Where(p => kv.Key.StartsWith(p.Proxy, StringComparison.Ordinal))
                .Select(p => (p.Model + kv.Key[p.Proxy.Length..], kv.Value)));

    public void Dispose() => tokenizer.Dispose();

    // The decoder always emits the config's clip length; a shorter clip is its last frames, as for the VidTok proxy.
    private Tensor Trim(Tensor y, int wanted)
    {
        if (wanted > y.shape[2]) throw new ArgumentException($"the OmniTokenizer proxy decodes {frames} frames, {wanted} asked for");
        return y[.., .., (int)(y.shape[2] - wanted)..];
    }

    // The trainable decoding half, registered under the proxy's own names (post_vq_conv.*, decoder.*).
    private sealed class DecodingHalf : nn.Module
    {
        public DecodingHalf(ProxyTokenizer tokenizer) : base(nameof(DecodingHalf))
        {
            register_module("post_vq_conv", tokenizer.PostVqConv);
            register_module("decoder", tokenizer.Decoder);
        }

        protected override void RegisterComponents() { }
    }
}
