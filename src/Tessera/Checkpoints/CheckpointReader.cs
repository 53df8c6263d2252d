using System.Buffers.Binary;

namespace Tessera.Checkpoints;

/// <summary>Reads model weights from any supported file, choosing the format from the content, not the extension.</summary>
internal static class CheckpointReader
{
    public static StateDict Read(string path) => Kind(path) switch
    {
        1 => SafeTensorsFile.Load(path),
        _ => ReadOther(path),
    };

    /// <summary>
    /// <see cref="Read"/>'s asynchronous twin for safetensors files (Tessera model files, converted checkpoints): their
    /// bytes are read with asynchronous reads, cancellable between reads. Other formats (torch pickles, npz) are parsed
    /// synchronously on the calling thread.
    /// </summary>
    public static async Task<StateDict> ReadAsync(string path, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        if (Kind(path) == 1) return await SafeTensorsFile.LoadAsync(path, cancellationToken).ConfigureAwait(false);
        return ReadOther(path);
    }

    /// <summary>Whether <paramref name="path"/> is a safetensors file (by its header, not its extension).</summary>
    public static bool IsSafeTensors(string path) => Kind(path) == 1;

    // 1: safetensors, 2: zip (npz or torch), 3: legacy pickle, 0: other.
    private static byte Kind(string path)
    {
        byte[] head = CheckpointErrors.Guard<byte[]>(path, "file", () =>
        {
            using var fs = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1);
            var b = new byte[9];
            int n = fs.ReadAtLeast(b, b.Length, throwOnEndOfStream: false);
            if (n >= 8 && n < 9) Array.Resize(ref b, n);
            long len = fs.Length;
            if (n >= 9 && BinaryPrimitives.ReadUInt64LittleEndian(b) is var h && h >= 2 && h <= (ulong)(len - 8) && b[8] == (byte)'{')
                return [1];
            return n >= 2 && b[0] == (byte)'P' && b[1] == (byte)'K' ? [2] : n >= 1 && b[0] == 0x80 ? [3] : [0];
        });
        return head[0];
    }

    private static StateDict ReadOther(string path)
    {
        switch (Kind(path))
        {
            case 1: return SafeTensorsFile.Load(path);
            case 2: return IsNpz(path) ? Npy.LoadNpz(path) : TorchCheckpoint.LoadStateDict(path);
            case 3: return TorchCheckpoint.LoadStateDict(path);
        }
        try
        {
            return TorchSharpDat.Load(path);
        }
        catch (CheckpointFormatException e)
        {
            throw new CheckpointFormatException(
                $"checkpoint '{path}': not a recognised weights file (not safetensors, torch zip/legacy pickle or npz; as a TorchSharp .dat: {e.Message})", e);
        }
    }

    private static bool IsNpz(string path) => CheckpointErrors.Guard(path, "zip archive", () =>
    {
        using var zip = System.IO.Compression.ZipFile.OpenRead(path);
        return zip.Entries.Count > 0 && zip.Entries.All(e => e.FullName.EndsWith(".npy", StringComparison.Ordinal));
    });
}
