using static TorchSharp.torch;

namespace Tessera.Nn;

/// <summary>
/// An opt-in observer of the layers whose arithmetic dominates a model (convolutions, attention), told each forward's
/// input and output on the thread that runs it: the benchmarks count FLOPs from the shapes of a real forward through it.
/// Off (the default) it costs one null check per layer. TorchSharp's own forward hooks fire only through
/// <c>Module.call</c>, which Tessera's layers do not use.
/// </summary>
internal static class ForwardTrace
{
    [ThreadStatic] private static Action<nn.Module, Tensor, Tensor>? observer;

    /// <summary>Observes forwards on the calling thread until the result is disposed (scopes nest; the previous observer comes back).</summary>
    public static IDisposable Observe(Action<nn.Module, Tensor, Tensor> onForward)
    {
        var previous = observer;
        observer = onForward;
        return new Restore(previous);
    }

    public static void Record(nn.Module layer, Tensor input, Tensor output) => observer?.Invoke(layer, input, output);

    private sealed class Restore(Action<nn.Module, Tensor, Tensor>? previous) : IDisposable
    {
        public void Dispose() => observer = previous;
    }
}
