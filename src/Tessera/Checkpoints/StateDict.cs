using TorchSharp;
using static TorchSharp.torch;

namespace Tessera.Checkpoints;

/// <summary>
/// An ordered name → tensor map that owns its tensors (disposing it disposes them) plus
/// string metadata (safetensors <c>__metadata__</c>; empty for other formats).
/// </summary>
internal sealed class StateDict : IReadOnlyDictionary<string, Tensor>, IDisposable
{
    private readonly OrderedDictionary<string, Tensor> _entries = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _metadata;
    private bool _disposed;

    public StateDict(IReadOnlyDictionary<string, string>? metadata = null)
    {
        _metadata = metadata is null ? new(StringComparer.Ordinal) : new(metadata, StringComparer.Ordinal);
    }

    public IReadOnlyDictionary<string, string> Metadata => _metadata;

    /// <summary>Adds a tensor; the dictionary takes ownership and detaches it from any dispose scope.</summary>
    public void Add(string name, Tensor tensor)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(tensor);
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (!_entries.TryAdd(name, tensor))
            throw new ArgumentException($"state dict already has an entry named '{name}'", nameof(name));
        tensor.DetachFromDisposeScope();
    }

    /// <summary>Removes an entry and hands ownership of its tensor to the caller.</summary>
    public bool Remove(string name, [System.Diagnostics.CodeAnalysis.MaybeNullWhen(false)] out Tensor tensor)
        => _entries.Remove(name, out tensor);

    public void SetMetadata(string key, string value) => _metadata[key] = value;

    public Tensor this[string key] => _entries[key];
    public IEnumerable<string> Keys => _entries.Keys;
    public IEnumerable<Tensor> Values => _entries.Values;
    public int Count => _entries.Count;
    public bool ContainsKey(string key) => _entries.ContainsKey(key);
    public bool TryGetValue(string key, [System.Diagnostics.CodeAnalysis.MaybeNullWhen(false)] out Tensor value)
        => _entries.TryGetValue(key, out value);
    public IEnumerator<KeyValuePair<string, Tensor>> GetEnumerator() => _entries.GetEnumerator();
    System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        foreach (var t in _entries.Values) t.Dispose();
        _entries.Clear();
    }
}
