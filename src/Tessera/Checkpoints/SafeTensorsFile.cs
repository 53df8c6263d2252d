using System.Text;
using System.Text.Json;
using TorchSharp;
using static TorchSharp.torch;

namespace Tessera.Checkpoints;

/// <summary>One tensor as described by a safetensors header; offsets are relative to the data buffer.</summary>
internal sealed record SafeTensorsEntry(string Name, ScalarType DType, long[] Shape, long Begin, long End);

/// <summary>A parsed and validated safetensors header.</summary>
internal sealed record SafeTensorsHeader(IReadOnlyList<SafeTensorsEntry> Tensors, IReadOnlyDictionary<string, string> Metadata, long DataStart);

/// <summary>Reader and writer for the safetensors format (8-byte LE header length, JSON header, raw buffer).</summary>
internal static partial class SafeTensorsFile
{
    /// <summary>Largest header accepted (the reference implementation's limit).</summary>
    public const long MaxHeaderBytes = 100_000_000;

    public static SafeTensorsHeader ReadHeader(string path) =>
        CheckpointErrors.Guard(path, "safetensors header", () =>
        {
            using var fs = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1);
            return ReadHeader(path, fs);
        });

    public static StateDict Load(string path) =>
        CheckpointErrors.Guard(path, "safetensors file", () =>
        {
            using var fs = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1);
            var header = ReadHeader(path, fs);
            var dict = new StateDict(header.Metadata);
            try
            {
                using var scope = NewDisposeScope();
                foreach (var e in header.Tensors)
                {
                    long pos = header.DataStart + e.Begin;
                    var t = TensorBytes.Create(e.Shape, e.DType, span =>
                    {
                        ReadExtensions.ReadFully(fs.SafeFileHandle, span, pos, path);
                        pos += span.Length;
                    });
                    dict.Add(e.Name, t);
                }
                return dict;
            }
            catch
            {
                dict.Dispose();
                throw;
            }
        });

    public static void Save(string path, StateDict tensors, IReadOnlyDictionary<string, string>? metadata = null)
        => Save(path, tensors.Select(kv => (kv.Key, kv.Value)), metadata ?? (tensors.Metadata.Count > 0 ? tensors.Metadata : null));

    /// <summary>Writes tensors in the given order (contiguous, CPU, little-endian) atomically.</summary>
    public static void Save(string path, IEnumerable<(string name, Tensor t)> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        var list = CheckNames(tensors);
        AtomicFile.Write(path, stream => WriteTo(stream, list, metadata));
    }

    private static List<(string name, Tensor t)> CheckNames(IEnumerable<(string name, Tensor t)> tensors)
    {
        var list = tensors.ToList();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (name, t) in list)
        {
            if (name == "__metadata__") throw new ArgumentException("'__metadata__' cannot be a tensor name", nameof(tensors));
            if (!seen.Add(name)) throw new ArgumentException($"duplicate tensor name '{name}'", nameof(tensors));
            CheckpointDTypes.ToSafetensors(t.dtype);
        }
        return list;
    }

    private static void WriteTo(Stream stream, List<(string name, Tensor t)> list, IReadOnlyDictionary<string, string>? metadata)
    {
        var headerBytes = BuildHeader(list, metadata);
        Span<byte> len = stackalloc byte[8];
        System.Buffers.Binary.BinaryPrimitives.WriteUInt64LittleEndian(len, (ulong)headerBytes.Length);
        stream.Write(len);
        stream.Write(headerBytes);
        foreach (var (_, t) in list)
        {
            using var scope = NewDisposeScope();
            var c = t.device_type == DeviceType.CPU ? t : t.cpu();
            if (!c.is_contiguous()) c = c.contiguous();
            TensorBytes.Read(c, span => stream.Write(span));
        }
    }

    private static byte[] BuildHeader(List<(string name, Tensor t)> list, IReadOnlyDictionary<string, string>? metadata) =>
        BuildHeader(list.Select(e => (e.name, e.t.dtype, e.t.shape)), metadata);

    /// <summary>
    /// The header (JSON padded to 8 bytes, without the length in front) of a file holding tensors of these dtypes and
    /// shapes in this order: what a writer that streams the data itself puts before it.
    /// </summary>
    internal static byte[] BuildHeader(IEnumerable<(string Name, ScalarType DType, long[] Shape)> entries, IReadOnlyDictionary<string, string>? metadata)
    {
        var list = entries.ToList();
        using var ms = new MemoryStream();
        using (var w = new Utf8JsonWriter(ms))
        {
            w.WriteStartObject();
            if (metadata is { Count: > 0 })
            {
                w.WriteStartObject("__metadata__");
                foreach (var (k, v) in metadata) w.WriteString(k, v);
                w.WriteEndObject();
            }
            long offset = 0;
            foreach (var (name, dtype, shape) in list)
            {
                long size = CheckpointDTypes.ByteSize(shape, dtype);
                w.WriteStartObject(name);
                w.WriteString("dtype", CheckpointDTypes.ToSafetensors(dtype));
                w.WriteStartArray("shape");
                foreach (var d in shape) w.WriteNumberValue(d);
                w.WriteEndArray();
                w.WriteStartArray("data_offsets");
                w.WriteNumberValue(offset);
                w.WriteNumberValue(offset + size);
                w.WriteEndArray();
                w.WriteEndObject();
                offset += size;
            }
            w.WriteEndObject();
        }
        var json = ms.ToArray();
        int padded = (json.Length + 7) / 8 * 8;
        var result = new byte[padded];
        json.CopyTo(result, 0);
        result.AsSpan(json.Length).Fill((byte)' ');
        return result;
    }

    private static SafeTensorsHeader ReadHeader(string path, FileStream fs)
    {
        long fileLength = fs.Length;
        if (fileLength < 8) throw CheckpointErrors.Format(path, $"file is {fileLength} bytes, too short for a safetensors header length");
        Span<byte> lenBytes = stackalloc byte[8];
        fs.ReadExactly(lenBytes);
        ulong n = System.Buffers.Binary.BinaryPrimitives.ReadUInt64LittleEndian(lenBytes);
        if (n > (ulong)(fileLength - 8))
            throw CheckpointErrors.Format(path, $"safetensors header length {n} runs past the end of the {fileLength}-byte file");
        if (n > MaxHeaderBytes) throw CheckpointErrors.Format(path, $"safetensors header length {n} exceeds the {MaxHeaderBytes}-byte limit");
        var json = new byte[(int)n];
        fs.ReadExactly(json);
        return ParseHeader(path, json, fileLength);
    }

    /// <summary>Parses and validates header JSON <paramref name="json"/> of a file of <paramref name="fileLength"/> bytes.</summary>
    private static SafeTensorsHeader ParseHeader(string path, byte[] json, long fileLength)
    {
        long dataStart = 8 + (long)json.Length;
        long bufferLength = fileLength - dataStart;

        JsonDocument doc;
        try { doc = JsonDocument.Parse(json, new JsonDocumentOptions { MaxDepth = 16 }); }
        catch (JsonException e) { throw CheckpointErrors.Format(path, $"safetensors header is not valid JSON: {e.Message}", e); }
        using (doc)
        {
            if (doc.RootElement.ValueKind != JsonValueKind.Object)
                throw CheckpointErrors.Format(path, "safetensors header is not a JSON object");
            var names = new HashSet<string>(StringComparer.Ordinal);
            var entries = new List<SafeTensorsEntry>();
            var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
            bool sawMetadata = false;
            foreach (var prop in doc.RootElement.EnumerateObject())
            {
                if (prop.Name == "__metadata__")
                {
                    if (sawMetadata) throw CheckpointErrors.Format(path, "duplicate '__metadata__' in safetensors header");
                    sawMetadata = true;
                    if (prop.Value.ValueKind != JsonValueKind.Object)
                        throw CheckpointErrors.Format(path, "'__metadata__' is not an object");
                    foreach (var m in prop.Value.EnumerateObject())
                    {
                        if (m.Value.ValueKind != JsonValueKind.String)
                            throw CheckpointErrors.Format(path, $"metadata value '{m.Name}' is not a string");
                        metadata[m.Name] = m.Value.GetString()!;
                    }
                    continue;
                }
                if (!names.Add(prop.Name)) throw CheckpointErrors.Format(path, $"duplicate tensor '{prop.Name}' in safetensors header");
                entries.Add(ParseEntry(path, prop, bufferLength));
            }
            CheckCoverage(path, entries, bufferLength);
            return new SafeTensorsHeader(entries, metadata, dataStart);
        }
    }

    private static SafeTensorsEntry ParseEntry(string path, JsonProperty prop, long bufferLength)
    {
        string name = prop.Name;
        var v = prop.Value;
        if (v.ValueKind != JsonValueKind.Object) throw CheckpointErrors.Format(path, $"tensor '{name}': header entry is not an object");
        if (!v.TryGetProperty("dtype", out var dt) || dt.ValueKind != JsonValueKind.String)
            throw CheckpointErrors.Format(path, $"tensor '{name}': missing dtype");
        var dtName = dt.GetString()!;
        if (!CheckpointDTypes.TryFromSafetensors(dtName, out var dtype))
            throw CheckpointErrors.Format(path, $"tensor '{name}': unknown or unsupported dtype '{dtName}'");
        if (!v.TryGetProperty("shape", out var sh) || sh.ValueKind != JsonValueKind.Array)
            throw CheckpointErrors.Format(path, $"tensor '{name}': missing shape");
        var shape = new long[sh.GetArrayLength()];
        int i = 0;
        foreach (var d in sh.EnumerateArray())
        {
            if (d.ValueKind != JsonValueKind.Number || !d.TryGetInt64(out var dim) || dim < 0)
                throw CheckpointErrors.Format(path, $"tensor '{name}': shape entry {d} is not a non-negative integer");
            shape[i++] = dim;
        }
        if (!v.TryGetProperty("data_offsets", out var off) || off.ValueKind != JsonValueKind.Array || off.GetArrayLength() != 2)
            throw CheckpointErrors.Format(path, $"tensor '{name}': data_offsets must be [begin, end]");
        long begin = -1, end = -1;
        if (!off[0].TryGetInt64(out begin) || !off[1].TryGetInt64(out end) || begin < 0 || end < begin)
            throw CheckpointErrors.Format(path, $"tensor '{name}': invalid data_offsets [{off[0]}, {off[1]}]");
        if (end > bufferLength)
            throw CheckpointErrors.Format(path, $"tensor '{name}': data_offsets [{begin}, {end}] run past the {bufferLength}-byte data buffer");
        long expected;
        try { expected = CheckpointDTypes.ByteSize(shape, dtype); }
        catch (OverflowException) { throw CheckpointErrors.Format(path, $"tensor '{name}': shape [{string.Join(", ", shape)}] is too large"); }
        if (expected != end - begin)
            throw CheckpointErrors.Format(path, $"tensor '{name}': shape [{string.Join(", ", shape)}] of {dtName} needs {expected} bytes but data_offsets [{begin}, {end}] span {end - begin}");
        return new SafeTensorsEntry(name, dtype, shape, begin, end);
    }

    private static void CheckCoverage(string path, List<SafeTensorsEntry> entries, long bufferLength)
    {
        long pos = 0;
        foreach (var e in entries.OrderBy(e => e.Begin).ThenBy(e => e.End))
        {
            if (e.Begin < pos)
                throw CheckpointErrors.Format(path, $"tensor '{e.Name}': data_offsets [{e.Begin}, {e.End}] overlap the previous tensor (which ends at {pos})");
            if (e.Begin > pos)
                throw CheckpointErrors.Format(path, $"tensor '{e.Name}': gap in the data buffer between {pos} and {e.Begin}");
            pos = e.End;
        }
        if (pos != bufferLength)
            throw CheckpointErrors.Format(path, $"tensors cover {pos} bytes but the data buffer is {bufferLength} bytes");
    }
}

internal static class ReadExtensions
{
    public static void ReadFully(Microsoft.Win32.SafeHandles.SafeFileHandle handle, Span<byte> span, long offset, string path)
    {
        int done = 0;
        while (done < span.Length)
        {
            int n = RandomAccess.Read(handle, span[done..], offset + done);
            if (n <= 0) throw CheckpointErrors.Format(path, $"unexpected end of file at byte {offset + done}");
            done += n;
        }
    }
}
