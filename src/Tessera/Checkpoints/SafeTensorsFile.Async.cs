using System.Buffers;
using static TorchSharp.torch;

namespace Tessera.Checkpoints;

internal static partial class SafeTensorsFile
{
    private const int AsyncChunkBytes = 4 << 20;

    /// <summary>
    /// <see cref="Load"/>'s asynchronous twin: the header and every tensor's bytes are read with asynchronous file reads,
    /// 4 MiB at a time straight into the tensors (CPU), so memory holds one copy of the weights plus one buffer.
    /// <paramref name="cancellationToken"/> is checked between reads; a cancelled load frees the tensors read so far and
    /// throws <see cref="OperationCanceledException"/>. The caller owns the returned state dict.
    /// </summary>
    /// <exception cref="CheckpointFormatException">The file is missing, unreadable or not a valid safetensors file.</exception>
    public static async Task<StateDict> LoadAsync(string path, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        Microsoft.Win32.SafeHandles.SafeFileHandle handle;
        try
        {
            handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.Read, FileOptions.Asynchronous);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw CheckpointErrors.Format(path, e is FileNotFoundException ? "file not found" : e is DirectoryNotFoundException ? "directory not found" : $"cannot read safetensors file: {e.Message}", e);
        }
        using (handle)
        {
            var length = RandomAccess.GetLength(handle);
            if (length < 8) throw CheckpointErrors.Format(path, $"file is {length} bytes, too short for a safetensors header length");
            var lengthBytes = new byte[8];
            await ReadFullyAsync(handle, lengthBytes, 0, path, cancellationToken).ConfigureAwait(false);
            var n = System.Buffers.Binary.BinaryPrimitives.ReadUInt64LittleEndian(lengthBytes);
            if (n > (ulong)(length - 8))
                throw CheckpointErrors.Format(path, $"safetensors header length {n} runs past the end of the {length}-byte file");
            if (n > MaxHeaderBytes) throw CheckpointErrors.Format(path, $"safetensors header length {n} exceeds the {MaxHeaderBytes}-byte limit");
            var json = new byte[(int)n];
            await ReadFullyAsync(handle, json, 8, path, cancellationToken).ConfigureAwait(false);
            var header = ParseHeader(path, json, length);

            var dict = new StateDict(header.Metadata);
            var buffer = ArrayPool<byte>.Shared.Rent(AsyncChunkBytes);
            try
            {
                foreach (var e in header.Tensors)
                {
                    // Detached at once: continuations run on pool threads, whose dispose scopes are not ours.
                    var t = empty(e.Shape, e.DType).DetachFromDisposeScope();
                    dict.Add(e.Name, t);
                    var elem = CheckpointDTypes.ElementSize(e.DType);
                    var chunk = AsyncChunkBytes / elem * elem;
                    for (long done = 0; done < e.End - e.Begin; done += chunk)
                    {
                        var count = (int)Math.Min(chunk, e.End - e.Begin - done);
                        await ReadFullyAsync(handle, buffer.AsMemory(0, count), header.DataStart + e.Begin + done, path, cancellationToken).ConfigureAwait(false);
                        CopyInto(t, done / elem, buffer.AsSpan(0, count));
                    }
                }
                return dict;
            }
            catch
            {
                dict.Dispose();
                throw;
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
        }
    }

    /// <summary>
    /// <see cref="Save(string, IEnumerable{ValueTuple{string, Tensor}}, IReadOnlyDictionary{string, string}?)"/>'s
    /// asynchronous twin: the file is laid out in memory (synchronously: it is a copy of the tensors), then written with
    /// asynchronous writes to a temporary file that is renamed into place only when complete. On cancellation
    /// (<see cref="OperationCanceledException"/>) or failure the temporary is deleted and an existing file is left intact.
    /// Meant for files that fit in memory twice (token files, not multi-gigabyte checkpoints).
    /// </summary>
    public static async Task SaveAsync(string path, IEnumerable<(string name, Tensor t)> tensors, IReadOnlyDictionary<string, string>? metadata = null,
        CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var list = CheckNames(tensors);
        using var memory = new MemoryStream();
        WriteTo(memory, list, metadata);
        var bytes = memory.GetBuffer().AsMemory(0, (int)memory.Length);
        await AtomicFile.WriteAsync(path, async (stream, ct) =>
        {
            for (var start = 0; start < bytes.Length; start += AsyncChunkBytes)
                await stream.WriteAsync(bytes.Slice(start, Math.Min(AsyncChunkBytes, bytes.Length - start)), ct).ConfigureAwait(false);
        }, cancellationToken).ConfigureAwait(false);
    }

    private static void CopyInto(Tensor t, long elementOffset, ReadOnlySpan<byte> source)
    {
        var elem = CheckpointDTypes.ElementSize(t.dtype);
        using var flat = t.view(-1);
        using var part = flat.narrow(0, elementOffset, source.Length / elem);
        source.CopyTo(part.bytes);
    }

    private static async Task ReadFullyAsync(Microsoft.Win32.SafeHandles.SafeFileHandle handle, Memory<byte> destination, long offset, string path,
        CancellationToken cancellationToken)
    {
        var done = 0;
        while (done < destination.Length)
        {
            int n;
            try
            {
                n = await RandomAccess.ReadAsync(handle, destination[done..], offset + done, cancellationToken).ConfigureAwait(false);
            }
            catch (IOException e)
            {
                throw CheckpointErrors.Format(path, $"cannot read safetensors file: {e.Message}", e);
            }
            if (n <= 0) throw CheckpointErrors.Format(path, $"unexpected end of file at byte {offset + done}");
            done += n;
        }
    }
}
