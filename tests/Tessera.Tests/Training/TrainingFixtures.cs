using System.Text.Json;
using Tessera.Checkpoints;
using TorchSharp;
using static TorchSharp.torch;

namespace Tessera.Tests.Training;

/// <summary>Reads Fixtures/Training (made by the reference code, see PROVENANCE.md) and fills modules with its closed-form weights.</summary>
internal static class TrainingFixtures
{
    private static readonly Lazy<JsonElement> _meta = new(() =>
        JsonDocument.Parse(File.ReadAllText(TestPaths.Fixture("Training", "meta.json"))).RootElement);

    public static JsonElement Meta => _meta.Value;

    public static Tensor Load(string name) => Npy.Load(TestPaths.Fixture("Training", name + ".npy"));

    /// <summary>Parameter j of the module (in named_parameters order) = 0.05·sin(0.37·i + 1.3·j + 0.1) over its flat index i, +1 for BatchNorm weights.</summary>
    public static void Fill(nn.Module module)
    {
        using var _ = no_grad();
        var j = 0;
        foreach (var (name, p) in module.named_parameters())
        {
            var n = p.numel();
            var v = new float[n];
            var bnWeight = p.dim() == 1 && name.EndsWith("weight", StringComparison.Ordinal);
            for (long i = 0; i < n; i++) v[i] = (float)(0.05 * Math.Sin(0.37 * i + 1.3 * j + 0.1) + (bnWeight ? 1.0 : 0.0));
            p.copy_(tensor(v).reshape(p.shape));
            j++;
        }
    }

    public static double MaxAbsDiff(Tensor a, Tensor b)
    {
        Assert.Equal(b.shape, a.shape);
        using var d = (a.to_type(ScalarType.Float64) - b.to_type(ScalarType.Float64)).abs().max();
        return d.item<double>();
    }

    /// <summary>Asserts |a − b| ≤ atol + rtol·max|b|.</summary>
    public static void Close(Tensor expected, Tensor actual, double atol, double rtol = 0)
    {
        using var scale = expected.to_type(ScalarType.Float64).abs().max();
        var tol = atol + rtol * scale.item<double>();
        var diff = MaxAbsDiff(actual, expected);
        Assert.True(diff <= tol, $"max abs diff {diff:G4} > {tol:G4}");
    }

    public static void Close(double expected, double actual, double rtol, double atol = 1e-7)
        => Assert.True(Math.Abs(expected - actual) <= atol + rtol * Math.Abs(expected), $"expected {expected:R}, got {actual:R}");
}
