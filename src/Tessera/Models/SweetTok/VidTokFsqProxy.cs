using Tessera.Checkpoints;
using Tessera.Models.VidTok;
using Tessera.Nn;
using Tessera.Quantizers;
using static TorchSharp.torch;

namespace Tessera.Models.SweetTok;

/// <summary>
/// A Tessera VidTok-FSQ model as SweetTok's proxy, so the curriculum runs offline: the targets are its FSQ token
/// ids, the proxy codebook is its FSQ code vectors (every level combination, in id order) and the pixel decoder is
/// its decoder. Its latent grid (T' = 1 + (T − 1)/4 for the causal 4×8×8 models, H/8 × W/8) must be the SweetTok
/// decoder's.
/// </summary>
internal sealed class VidTokFsqProxy : ISweetTokProxy
{
    private readonly VidTokModel model;
    private readonly Fsq fsq;
    private readonly Tensor codeVectors;

    public VidTokFsqProxy(VidTokModel model, string source)
    {
        fsq = model.Fsq ?? throw new ConfigException($"proxy '{source}' is a KL (continuous) VidTok model; SweetTok's stage 1 needs discrete codes: use a VidTok-FSQ model");
        this.model = model;
        model.eval();
        foreach (var p in model.parameters()) p.requires_grad = false;
        using (var ids = arange(Scalars.Of(fsq.CodebookSize), ScalarType.Int64).reshape(1, -1, 1, 1))
        using (var codes = fsq.IndicesToCodes(ids))
            codeVectors = codes.reshape(fsq.Dim, -1).t().contiguous();
        Description = $"VidTok-FSQ '{model.Config.Name}' ({source}, {fsq.CodebookSize} codes)";
    }

    /// <summary>Loads a Tessera VidTok-FSQ model file (or any model argument naming one).</summary>
    public static VidTokFsqProxy Load(string path)
    {
        if (!File.Exists(path)) throw new ConfigException($"proxy model '{path}' does not exist");
        var (config, weights) = ModelFamilies.Resolve(path);
        if (config is not VidTokConfig vidtok)
            throw new ConfigException($"proxy '{path}' is a {config.FamilyName} model; the SweetTok proxy is a VidTok-FSQ model file or an OmniTokenizer checkpoint");
        var model = (VidTokModel)ModelFamilies.Load(vidtok, weights ?? path);
        try
        {
            return new VidTokFsqProxy(model, path);
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    /// <summary>
    /// The proxy a SweetTok model file carries as its pixel path: the VidTok-FSQ config recorded in the metadata under
    /// <paramref name="prefix"/> and the weights whose names start with it.
    /// </summary>
    public static VidTokFsqProxy FromModelFile(StateDict source, string prefix, string path)
    {
        var meta = source.Metadata.Where(kv => kv.Key.StartsWith(prefix, StringComparison.Ordinal))
            .ToDictionary(kv => kv.Key[prefix.Length..], kv => kv.Value, StringComparer.Ordinal);
        var config = ModelFamilies.ReadConfig(meta, path) as VidTokConfig
            ?? throw new CheckpointFormatException($"model file '{path}' has '{prefix}*' weights but records no VidTok proxy config (metadata '{prefix}{ModelFamilies.ConfigKey}')");
        var model = new VidTokModel(config);
        try
        {
            StateDictLoader.LoadInto(model, source, path, prefix: prefix);
            return new VidTokFsqProxy(model, $"{Path.GetFileName(path)}:{prefix}*");
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    /// <summary>The proxy's weights with names under <paramref name="prefix"/> (see <see cref="FromModelFile"/>).</summary>
    public IEnumerable<(string Name, Tensor Value)> StateTensors(string prefix) =>
        model.state_dict().Select(kv => (prefix + kv.Key, kv.Value.contiguous()));

    /// <summary>Records the proxy's config in <paramref name="metadata"/> under <paramref name="prefix"/>.</summary>
    public void WriteConfig(IDictionary<string, string> metadata, string prefix)
    {
        var own = new Dictionary<string, string>(StringComparer.Ordinal);
        ModelFamilies.WriteConfig(own, model.Config);
        foreach (var (k, v) in own) metadata[prefix + k] = v;
    }

    public string Description { get; }

    public long CodebookSize => fsq.CodebookSize;

    public Tensor CodeVectors => codeVectors;

    public nn.Module PixelDecoder => model.Decoder;

    public Tensor DecodeVectors(Tensor vectors, int frames)
    {
        using var scope = NewDisposeScope();
        var y = model.DecodeRaw(vectors, CausalCache.None());
        return scope.MoveToOuter(y[.., .., (int)(y.shape[2] - frames)..]);
    }

    public Tensor Targets(Tensor clips)
    {
        using var grad = no_grad();
        using var scope = NewDisposeScope();
        var (_, ids) = fsq.Quantize(model.EncodeRaw(clips, CausalCache.None()));
        return scope.MoveToOuter(ids.to_type(ScalarType.Int64));
    }

    public Tensor Decode(Tensor ids, int frames)
    {
        using var grad = no_grad();
        using var scope = NewDisposeScope();
        var y = model.DecodeRaw(fsq.IndicesToCodes(ids), CausalCache.None());
        return scope.MoveToOuter(y[.., .., (int)(y.shape[2] - frames)..].clamp(Scalars.Of(-1.0), Scalars.Of(1.0)));
    }

    public void Dispose()
    {
        codeVectors.Dispose();
        model.Dispose();
    }
}
