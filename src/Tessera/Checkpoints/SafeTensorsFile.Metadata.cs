namespace Tessera.Checkpoints;

internal static partial class SafeTensorsFile
{
    /// <summary>
    /// Writes <paramref name="output"/> (atomically; it may be <paramref name="source"/> itself) as <paramref name="source"/>
    /// with its metadata replaced by <paramref name="metadata"/>: the tensors' bytes are copied as they are, without loading them.
    /// </summary>
    public static void WriteWithMetadata(string source, string output, IReadOnlyDictionary<string, string> metadata)
    {
        var header = ReadHeader(source);
        // The reader checked that the tensors tile the data buffer, so in offset order they rebuild the same offsets.
        var headerBytes = BuildHeader(header.Tensors.OrderBy(e => e.Begin).ThenBy(e => e.End).Select(e => (e.Name, e.DType, e.Shape)), metadata);
        var dataBytes = header.Tensors.Count == 0 ? 0 : header.Tensors.Max(e => e.End);
        using var input = new FileStream(source, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20);
        if (input.Length != header.DataStart + dataBytes)
            throw CheckpointErrors.Format(source, "the file changed while its metadata was being rewritten");
        AtomicFile.Write(output, stream =>
        {
            Span<byte> length = stackalloc byte[8];
            System.Buffers.Binary.BinaryPrimitives.WriteUInt64LittleEndian(length, (ulong)headerBytes.Length);
            stream.Write(length);
            stream.Write(headerBytes);
            input.Seek(header.DataStart, SeekOrigin.Begin);
            input.CopyTo(stream);
        });
    }
}
