using static TorchSharp.torch;

namespace Tessera.Nn;

/// <summary>
/// The generator that Tessera's layers draw their initial weights from while they are constructed on this thread.
/// Without one they draw from libtorch's global generator, which every thread of the process shares: two models
/// built at the same time (parallel tests, a trainer next to an evaluation) would then interleave their draws
/// and neither would be reproducible from its seed. A generator seeded with s gives the same weights as
/// <c>manual_seed(s)</c> followed by the construction, without touching process-wide state.
/// </summary>
internal static class InitRandom
{
    [ThreadStatic] private static Generator? current;

    /// <summary>The generator in use on this thread, or null (global generator).</summary>
    public static Generator? Current => current;

    /// <summary>Makes <paramref name="generator"/> the source of initial weights on this thread until the result is disposed.</summary>
    public static IDisposable Use(Generator generator)
    {
        var previous = current;
        current = generator;
        return new Restore(previous);
    }

    private sealed class Restore(Generator? previous) : IDisposable
    {
        private bool done;

        public void Dispose()
        {
            if (done) return;
            done = true;
            current = previous;
        }
    }
}
