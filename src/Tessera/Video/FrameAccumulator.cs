using static TorchSharp.torch;

namespace Tessera.Video;

/// <summary>
/// Collects decoded rgb24 frames in fixed-size batches, resizing each full batch straight away so that only
/// <see cref="ReadOptions.BatchFrames"/> source-size frames are held at a time.
/// </summary>
internal sealed class FrameAccumulator : IDisposable
{
    private readonly int _height, _width;
    private readonly ReadOptions _options;
    private readonly byte[] _batch;
    private readonly int _batchFrames;
    private readonly List<Tensor> _done = [];
    private int _pending;

    public FrameAccumulator(int height, int width, ReadOptions options, string source)
    {
        _height = height;
        _width = width;
        _options = options;
        _batchFrames = FrameBudget.Check(source, height, width, options);
        _batch = new byte[checked(_batchFrames * FrameBytes)];
    }

    public int FrameBytes => _height * _width * 3;
    public int Count { get; private set; }

    /// <summary>Buffer for the next frame; fill it, then call <see cref="Commit"/>.</summary>
    public Span<byte> NextFrame() => _batch.AsSpan(_pending * FrameBytes, FrameBytes);

    public void Commit()
    {
        _pending++;
        Count++;
        if (_pending == _batchFrames) Flush();
    }

    public void Add(ReadOnlySpan<byte> frame)
    {
        frame.CopyTo(NextFrame());
        Commit();
    }

    private void Flush()
    {
        if (_pending == 0) return;
        using var scope = NewDisposeScope();
        var t = tensor(_batch.AsSpan(0, _pending * FrameBytes).ToArray(), [_pending, _height, _width, 3], ScalarType.Byte);
        if (_options.Size is { } s)
            t = FrameResize.Fit(t, s.Height, s.Width, _options.ResizeMode);
        _done.Add(t.DetachFromDisposeScope());
        _pending = 0;
    }

    /// <summary>All frames as uint8 [T, H', W', 3]; null when there are none. The caller owns the result.</summary>
    public Tensor? Build()
    {
        Flush();
        if (_done.Count == 0) return null;
        if (_done.Count == 1)
        {
            var only = _done[0];
            _done.Clear();
            return only;
        }
        var all = cat(_done, 0).DetachFromDisposeScope();
        foreach (var d in _done) d.Dispose();
        _done.Clear();
        return all;
    }

    public void Dispose()
    {
        foreach (var d in _done) d.Dispose();
        _done.Clear();
    }
}
