using System.Globalization;
using Tessera.Configs;

namespace Tessera.Cli;

/// <summary>
/// How a model was trained, as a model file's metadata records it: read from an <c>--about</c> file (a JSON object or a
/// YAML mapping of the keys below), written by <c>convert --about</c> and <c>annotate</c>, shown by <c>info</c>, and
/// the held-out PSNR <c>check</c> measures against.
/// </summary>
internal static class ModelAbout
{
    /// <summary>The keys, in the order <c>info</c> shows them, with what each holds.</summary>
    public static readonly IReadOnlyList<(string Key, string Meaning)> Keys =
    [
        ("description", "what the model is, in a line"),
        ("trained_on", "the training data (clips, split, licences)"),
        ("budget", "steps, batch, clip size and compute spent"),
        ("schedule", "optimiser, learning rates, stages"),
        ("heldout_psnr", "held-out PSNR in dB (a number)"),
        ("heldout_ssim", "held-out SSIM (a number)"),
        ("heldout_protocol", "how the held-out figures were measured (needed with them)"),
        ("attribution", "credits the training data asks for"),
        ("license", "the weights' licence"),
    ];

    private const int MaxLength = 4000;

    /// <summary>The metadata an --about file gives, validated; a <see cref="ConfigException"/> naming the file and the problem otherwise.</summary>
    public static IReadOnlyDictionary<string, string> Read(string file)
    {
        if (!File.Exists(file)) throw new ConfigException($"--about file '{file}' does not exist");
        var ext = Path.GetExtension(file).ToLowerInvariant();
        if (ext is not (".json" or ".yaml" or ".yml"))
            throw new ConfigException($"--about file '{file}': expected a .json, .yaml or .yml file");
        // JSON is YAML, so one reader takes both (with line numbers in its errors).
        var root = YamlConfigReader.Parse(File.ReadAllText(file), file);
        var about = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (key, node) in root.Entries)
        {
            if (!Keys.Any(k => k.Key == key))
                throw node.Error($"unknown key '{key}' (known: {string.Join(", ", Keys.Select(k => k.Key))})");
            if (node is not ConfigScalar scalar || scalar.IsNull)
                throw node.Error($"'{key}' must be a single value, got {node.KindName}");
            about[key] = key switch
            {
                "heldout_psnr" => Number(node, key, 0, 100),
                "heldout_ssim" => Number(node, key, -1, 1),
                _ => Text(scalar, key),
            };
        }
        if (about.Count == 0) throw new ConfigException($"--about file '{file}' holds none of the keys {string.Join(", ", Keys.Select(k => k.Key))}");
        if ((about.ContainsKey("heldout_psnr") || about.ContainsKey("heldout_ssim")) && !about.ContainsKey("heldout_protocol"))
            throw new ConfigException($"--about file '{file}': heldout_psnr and heldout_ssim need heldout_protocol (the split, size, frames and rate they were measured on)");
        return about;
    }

    /// <summary>
    /// Writes <paramref name="output"/> (atomically; may be <paramref name="model"/>) as the model file <paramref name="model"/>
    /// with <paramref name="about"/> as its training description (replacing any it had); the weights are copied as they are.
    /// </summary>
    public static void Write(string model, string output, IReadOnlyDictionary<string, string> about)
    {
        var metadata = Checkpoints.SafeTensorsFile.ReadHeader(model).Metadata;
        if (metadata.GetValueOrDefault("format") is "tessera.train/1" or Tokens.TokenFile.Format || Models.ModelFamilies.ReadConfig(metadata, model) is null)
            throw new ConfigException($"'{model}' is not a Tessera model file (a training checkpoint or token file?); convert it first ('tessera convert')");
        var updated = metadata.Where(m => !Keys.Any(k => k.Key == m.Key)).ToDictionary(m => m.Key, m => m.Value, StringComparer.Ordinal);
        foreach (var (k, v) in about) updated[k] = v;
        Checkpoints.SafeTensorsFile.WriteWithMetadata(model, output, updated);
    }

    /// <summary>The about keys a model file's metadata holds, in <see cref="Keys"/> order.</summary>
    public static IEnumerable<(string Key, string Value)> In(IReadOnlyDictionary<string, string> metadata) =>
        Keys.Where(k => metadata.ContainsKey(k.Key)).Select(k => (k.Key, metadata[k.Key]));

    /// <summary>The held-out PSNR and its protocol, when the metadata records them as <see cref="Read"/> writes them.</summary>
    public static (double Psnr, string Protocol)? HeldOutPsnr(IReadOnlyDictionary<string, string> metadata) =>
        metadata.GetValueOrDefault("heldout_psnr") is { } text && double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var psnr)
        && double.IsFinite(psnr) && metadata.GetValueOrDefault("heldout_protocol") is { } protocol
            ? (psnr, protocol)
            : null;

    /// <summary>The held-out figures in a line ("PSNR 19.01 dB, SSIM 0.6029 (protocol)"), or null when none are recorded.</summary>
    public static string? HeldOut(IReadOnlyDictionary<string, string> metadata)
    {
        var parts = new List<string>();
        if (metadata.GetValueOrDefault("heldout_psnr") is { } psnr) parts.Add($"PSNR {psnr} dB");
        if (metadata.GetValueOrDefault("heldout_ssim") is { } ssim) parts.Add($"SSIM {ssim}");
        if (parts.Count == 0) return null;
        return string.Join(", ", parts) + (metadata.GetValueOrDefault("heldout_protocol") is { } protocol ? $" ({protocol})" : "");
    }

    private static string Number(ConfigNode node, string key, double min, double max)
    {
        var v = node.AsDouble();
        if (!double.IsFinite(v) || v < min || v > max) throw node.Error($"'{key}' must be a number from {min} to {max}, got {v.ToString(CultureInfo.InvariantCulture)}");
        return v.ToString("R", CultureInfo.InvariantCulture);
    }

    private static string Text(ConfigScalar scalar, string key)
    {
        var text = scalar.Text.Trim();
        if (text.Length == 0) throw scalar.Error($"'{key}' is empty");
        if (text.Length > MaxLength) throw scalar.Error($"'{key}' is {text.Length:N0} characters long; at most {MaxLength:N0}");
        return text;
    }
}
