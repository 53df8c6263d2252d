using System.Globalization;
using System.Text.RegularExpressions;
using Tessera.Checkpoints;
using static TorchSharp.torch;

namespace Tessera.Training;

/// <summary>
/// Training checkpoints in a run directory: <c>checkpoints/step-00001234.safetensors</c>, each written
/// atomically (temporary file, then rename) so a run killed at any moment leaves only whole files; older
/// ones are pruned to the last <c>keep</c>.
/// </summary>
internal sealed partial class CheckpointStore(string runDirectory, int keep = 3)
{
    public string Directory { get; } = Path.Combine(runDirectory, "checkpoints");

    public string PathFor(long step) => Path.Combine(Directory, $"step-{step.ToString("D8", CultureInfo.InvariantCulture)}.safetensors");

    /// <summary>The newest complete checkpoint, or null.</summary>
    public string? Latest() => List().LastOrDefault().Path;

    public IReadOnlyList<(long Step, string Path)> List()
    {
        if (!System.IO.Directory.Exists(Directory)) return [];
        return System.IO.Directory.EnumerateFiles(Directory, "step-*.safetensors")
            .Select(p => (Match: StepName().Match(Path.GetFileName(p)), Path: p))
            .Where(x => x.Match.Success)
            .Select(x => (long.Parse(x.Match.Groups[1].Value, CultureInfo.InvariantCulture), x.Path))
            .OrderBy(x => x.Item1).ToArray();
    }

    public string Save(long step, IEnumerable<(string Name, Tensor Tensor)> tensors, IReadOnlyDictionary<string, string> metadata)
    {
        var path = PathFor(step);
        SafeTensorsFile.Save(path, tensors, metadata);
        foreach (var (_, old) in List().SkipLast(Math.Max(1, keep))) File.Delete(old);
        return path;
    }

    [GeneratedRegex(@"^step-(\d+)\.safetensors$")]
    private static partial Regex StepName();
}
