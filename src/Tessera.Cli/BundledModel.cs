namespace Tessera.Cli;

/// <summary>
/// The small model Tessera trained itself and ships beside the tool (models/ in the repository, copied next to
/// the binaries): what <c>encode</c> and <c>reconstruct</c> use when no --model is given, and what its name
/// (<see cref="Name"/>, the file name without extension) stands for wherever a model is named.
/// </summary>
internal static class BundledModel
{
    public const string FileName = "tessera_small_fsq_causal_488_4096.safetensors";

    public static string Name => System.IO.Path.GetFileNameWithoutExtension(FileName);

    public static string Path => System.IO.Path.Combine(AppContext.BaseDirectory, "models", FileName);

    /// <summary>The held-out PSNR the README reports for the bundled weights (eval split, 256x256, 8 fps), for <c>tessera check</c>.</summary>
    public static (double Psnr, string Source) HeldOutPsnr => (17.75, "README, held-out eval split at 256x256");

    public static string Resolve(string? model)
    {
        if (model is not null) return ResolveName(model);
        if (!File.Exists(Path))
            throw new ConfigException($"no --model given and the bundled model is missing ({Path}); pass --model <preset|model file>");
        return Path;
    }

    /// <summary>The bundled model's name (not shadowed by a file of that name) as its file beside the tool; anything else as is.</summary>
    public static string ResolveName(string model) =>
        string.Equals(model, Name, StringComparison.Ordinal) && !File.Exists(model) && File.Exists(Path) ? Path : model;
}
