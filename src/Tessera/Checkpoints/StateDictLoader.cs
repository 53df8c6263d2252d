using System.Text;
using TorchSharp;
using static TorchSharp.torch;

namespace Tessera.Checkpoints;

/// <summary>Copies a <see cref="StateDict"/> into a module, strictly (every key, every shape), and finds EMA weights.</summary>
internal static class StateDictLoader
{
    private const int MaxListed = 20;

    /// <summary>
    /// Loads the entries of <paramref name="source"/> starting with <paramref name="prefix"/> (stripped) into
    /// <paramref name="module"/>, ignoring entries under <paramref name="skipPrefixes"/> (matched before stripping).
    /// Missing/unexpected keys or shape mismatches throw <see cref="CheckpointFormatException"/> naming <paramref name="sourceName"/>.
    /// </summary>
    public static void LoadInto(nn.Module module, StateDict source, string sourceName, string? prefix = null, IReadOnlyCollection<string>? skipPrefixes = null)
    {
        var target = module.state_dict();
        var selected = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (var (key, t) in source)
        {
            if (skipPrefixes is not null && skipPrefixes.Any(p => key.StartsWith(p, StringComparison.Ordinal))) continue;
            if (prefix is not null)
            {
                if (!key.StartsWith(prefix, StringComparison.Ordinal)) continue;
                selected[key[prefix.Length..]] = t;
            }
            else selected[key] = t;
        }

        var missing = target.Keys.Where(k => !selected.ContainsKey(k)).ToList();
        var unexpected = selected.Keys.Where(k => !target.ContainsKey(k)).ToList();
        var mismatched = target.Where(kv => selected.TryGetValue(kv.Key, out var s) && !s.shape.SequenceEqual(kv.Value.shape)).Select(kv => kv.Key).ToList();
        if (missing.Count + unexpected.Count + mismatched.Count > 0)
        {
            var sb = new StringBuilder($"checkpoint '{sourceName}'{(prefix is null ? "" : $" (prefix '{prefix}')")} does not fit {module.GetName()}:");
            void List(string title, List<string> keys, Func<string, string> describe)
            {
                if (keys.Count == 0) return;
                sb.Append($"\n  {keys.Count} {title}:");
                foreach (var k in keys.Take(MaxListed)) sb.Append($"\n    {k} {describe(k)}");
                if (keys.Count > MaxListed) sb.Append($"\n    … and {keys.Count - MaxListed} more");
            }
            List("missing key(s)", missing, k => Shape(target[k]));
            List("unexpected key(s)", unexpected, k => Shape(selected[k]));
            List("shape mismatch(es)", mismatched, k => $"expected {Shape(target[k])}, checkpoint has {Shape(selected[k])}");
            throw new CheckpointFormatException(sb.ToString());
        }

        using var noGrad = no_grad();
        foreach (var (key, dst) in target)
        {
            using var scope = NewDisposeScope();
            dst.copy_(selected[key]);
        }
    }

    /// <summary>
    /// Lightning's LitEma keeps <c>model_ema.&lt;parameter name without dots&gt;</c>; returns those tensors under the real
    /// parameter names when every parameter has one, else null. The result shares storage with <paramref name="source"/>.
    /// </summary>
    public static StateDict? ExtractEma(StateDict source, IEnumerable<string> parameterNames)
    {
        var names = parameterNames.ToList();
        if (names.Any(n => !source.ContainsKey("model_ema." + n.Replace(".", "", StringComparison.Ordinal)))) return null;
        var result = new StateDict(source.Metadata);
        foreach (var n in names) result.Add(n, source["model_ema." + n.Replace(".", "", StringComparison.Ordinal)].alias());
        return result;
    }

    private static string Shape(Tensor t) => "[" + string.Join(", ", t.shape) + "]";
}
