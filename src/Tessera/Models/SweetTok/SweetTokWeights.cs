using Tessera.Checkpoints;
using static TorchSharp.torch;

namespace Tessera.Models.SweetTok;

/// <summary>
/// SweetTok weights: reads the official <c>torch.save</c> state dict (or safetensors / TorchSharp .dat with the same
/// keys) and Tessera model files, which add the GCN-refined language codebooks (<c>language_codebook.adjective</c>,
/// ...) and the word lists, so inference needs no prior pickle.
/// </summary>
internal static class SweetTokWeights
{
    public const string Format = "tessera.model/1";
    public const string CodebookPrefix = "language_codebook.";

    /// <summary>Tensors and config metadata of the VidTok-FSQ proxy a model trained against (its pixel path).</summary>
    public const string ProxyPrefix = "proxy.";

    /// <summary>Metadata: how the proxy decodes the logits (<c>soft</c>: stage 2; <c>argmax</c>: stage 1).</summary>
    public const string PixelPathKey = "sweettok_pixel_path";
    public const string SoftPixelPath = "soft";
    public const string ArgmaxPixelPath = "argmax";

    /// <summary>Keys of an OmniTokenizer checkpoint that become the stage-2 pixel path (its encoder and pre-VQ are not used).</summary>
    internal static readonly (string Proxy, string Model)[] OmniPixelPrefixes =
        [("decoder.", "pixel_decoder."), ("codebook.", "pixel_codebook."), ("post_vq_conv.", "pixel_post_vq_conv.")];

    private static readonly string[] Groups = [SweetTokCard.Adjective, SweetTokCard.Noun, SweetTokCard.Adverb, SweetTokCard.Verb];

    /// <summary>
    /// Loads the network strictly into <paramref name="model"/>; a model file's language codebooks are loaded too
    /// (an official checkpoint has none: convert it with its priors).
    /// </summary>
    public static void Load(SweetTokModel model, string path, bool useEma = false)
    {
        if (useEma) throw new ConfigException($"weights '{path}': SweetTok checkpoints keep no EMA copy inside; pass the EMA weights file itself");
        if (!File.Exists(path)) throw new CheckpointFormatException($"weights file '{path}' does not exist");
        using var source = CheckpointReader.Read(path);
        Load(model, source, path, useEma);
    }

    /// <summary>As <see cref="Load(SweetTokModel, string, bool)"/>, from weights already read from <paramref name="path"/> (still the caller's).</summary>
    public static void Load(SweetTokModel model, StateDict source, string path, bool useEma = false)
    {
        if (useEma) throw new ConfigException($"weights '{path}': SweetTok checkpoints keep no EMA copy inside; pass the EMA weights file itself");
        var books = TakeCodebooks(source, path);
        try
        {
            StateDictLoader.LoadInto(model, source, path, skipPrefixes: [ProxyPrefix]);
            if (source.Keys.Any(k => k.StartsWith(ProxyPrefix, StringComparison.Ordinal)))
                model.AttachProxy(VidTokFsqProxy.FromModelFile(source, ProxyPrefix, path), source.Metadata.GetValueOrDefault(PixelPathKey) == SoftPixelPath);
            if (books is null) return;
            var c = model.Config;
            foreach (var (group, rows) in Groups.Zip(new[] { c.AdjectiveWords, c.NounWords, c.AdverbWords, c.VerbWords }))
                if (books[group].dim() != 2 || books[group].shape[0] != rows || books[group].shape[1] != c.EDim)
                    throw new CheckpointFormatException($"model file '{path}': '{CodebookPrefix}{group}' is [{string.Join(", ", books[group].shape)}], the config needs [{rows}, {c.EDim}]");
            model.SetCodebooks(new MlcCodebooks(books[SweetTokCard.Adjective], books[SweetTokCard.Noun]),
                new MlcCodebooks(books[SweetTokCard.Adverb], books[SweetTokCard.Verb]));
            books = null;
        }
        finally
        {
            if (books is not null) foreach (var t in books.Values) t.Dispose();
        }
    }

    /// <summary>Writes the network, its language codebooks and the words behind them, with the config as metadata (atomic).</summary>
    public static void Save(string path, SweetTokModel model, SweetTokVocabulary words, IReadOnlyDictionary<string, string>? extraMetadata = null)
    {
        if (model.PixelProxy is not null && model.PixelProxy is not VidTokFsqProxy)
            throw new InvalidOperationException($"cannot save the pixel path of proxy {model.PixelProxy.Description}");
        var spatial = model.SpatialCodebooks ?? throw new InvalidOperationException("the model has no language codebooks to save");
        var temporal = model.TemporalCodebooks!;
        words.Check(model.Config, path);
        var meta = new Dictionary<string, string> { ["format"] = Format, ["tessera_version"] = TesseraInfo.Version };
        ModelFamilies.WriteConfig(meta, model.Config);
        words.WriteTo(meta);
        if (extraMetadata is not null)
            foreach (var (k, v) in extraMetadata) meta[k] = v;
        using var scope = NewDisposeScope();
        var tensors = model.state_dict().Select(kv => (kv.Key, kv.Value.contiguous())).ToList();
        foreach (var (group, t) in Groups.Zip(new[] { spatial.First, spatial.Second, temporal.First, temporal.Second }))
            tensors.Add((CodebookPrefix + group, t.contiguous()));
        if (model.PixelProxy is VidTokFsqProxy proxy)
        {
            tensors.AddRange(proxy.StateTensors(ProxyPrefix));
            proxy.WriteConfig(meta, ProxyPrefix);
            meta[PixelPathKey] = model.SoftProxyCodesDecoded ? SoftPixelPath : ArgmaxPixelPath;
        }
        SafeTensorsFile.Save(path, tensors, meta);
    }

    /// <summary>
    /// Adds an OmniTokenizer checkpoint's decoder, codebook and post-VQ entries to a stage-1 state dict as the
    /// stage-2 pixel path (<c>pixel_decoder.*</c>, <c>pixel_codebook.*</c>, <c>pixel_post_vq_conv.*</c>), as the official
    /// stage-2 initialisation does.
    /// </summary>
    public static void AddProxy(StateDict target, string checkpoint, string proxyPath)
    {
        if (target.Keys.Any(k => k.StartsWith("pixel_", StringComparison.Ordinal)))
            throw new ConfigException($"checkpoint '{checkpoint}' already holds the pixel decoder (stage 2); --proxy is only for stage-1 checkpoints");
        if (!File.Exists(proxyPath)) throw new CheckpointFormatException($"proxy checkpoint '{proxyPath}' does not exist");
        using var proxy = CheckpointReader.Read(proxyPath);
        var added = 0;
        foreach (var key in proxy.Keys.ToArray())
            foreach (var (from, to) in OmniPixelPrefixes)
                if (key.StartsWith(from, StringComparison.Ordinal) && proxy.Remove(key, out var t))
                {
                    target.Add(to + key[from.Length..], t);
                    added++;
                }
        if (added == 0)
            throw new CheckpointFormatException($"proxy checkpoint '{proxyPath}' has no decoder.*, codebook.* or post_vq_conv.* entries (not an OmniTokenizer checkpoint?)");
    }

    private static Dictionary<string, Tensor>? TakeCodebooks(StateDict source, string path)
    {
        var present = Groups.Where(g => source.ContainsKey(CodebookPrefix + g)).ToArray();
        if (present.Length == 0) return null;
        if (present.Length != Groups.Length)
            throw new CheckpointFormatException($"model file '{path}': has {string.Join(", ", present.Select(g => CodebookPrefix + g))} but not all four language codebooks");
        var books = new Dictionary<string, Tensor>();
        foreach (var g in Groups)
        {
            source.Remove(CodebookPrefix + g, out var t);
            books[g] = t!;
        }
        foreach (var g in Groups)
        {
            var t = books[g];
            if (!is_floating_point(t)) throw new CheckpointFormatException($"model file '{path}': '{CodebookPrefix}{g}' is {t.dtype}, not floating point");
            books[g] = t.to_type(ScalarType.Float32).DetachFromDisposeScope();
            if (!ReferenceEquals(books[g], t)) t.Dispose();
        }
        return books;
    }
}
