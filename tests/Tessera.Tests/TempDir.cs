namespace Tessera.Tests;

/// <summary>A scratch directory deleted when disposed.</summary>
public sealed class TempDir : IDisposable
{
    public string Path { get; } = Directory.CreateTempSubdirectory("tessera-test-").FullName;

    public string File(string name) => System.IO.Path.Combine(Path, name);

    /// <summary>Names of all entries in the directory (including hidden temporaries).</summary>
    public string[] Entries() => Directory.EnumerateFileSystemEntries(Path).Select(System.IO.Path.GetFileName).ToArray()!;

    public void Dispose()
    {
        try { Directory.Delete(Path, recursive: true); } catch (IOException) { }
    }
}
