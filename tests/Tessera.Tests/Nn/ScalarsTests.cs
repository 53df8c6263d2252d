using System.Collections.Immutable;
using System.Text.Json;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Diagnostics;
using Tessera.Analyzers;
using Tessera.Nn;
using static TorchSharp.torch;

namespace Tessera.Tests.Nn;

/// <summary>
/// TorchSharp temporaries freed by the finalizer thread mid-call (src/Tessera/Nn/Scalars.cs): the analyzer that keeps
/// them out of Tessera's sources, the kept scalars, and the runtime setting of Tessera's programs.
/// </summary>
[DisposeScopePerTest]
public class ScalarsTests
{
    [Fact]
    public void Analyzer_FlagsEveryKindOfTemporaryScalar_AndNothingElse()
    {
        const string source = """
            using TorchSharp;
            using static TorchSharp.torch;
            static class C
            {
                static void M(Tensor a, Tensor b, Scalar kept, double lr)
                {
                    var x2 = a.clamp(-1.0, 1.0);      // TSR0001 twice
                    var x3 = a.mul_((Scalar)lr);      // TSR0001: a cast is as temporary
                    var x4 = a + b;                   // TSR0002: + passes alpha = 1
                    var x5 = a.add(b);                // TSR0002
                    var x6 = a.add_(b);               // TSR0002
                    var x7 = a.addcdiv(a, b);         // TSR0002: value = 1
                    a += b;                           // TSR0002
                    var ok1 = a.add(b, kept);
                    var ok2 = a * kept;
                    var ok3 = a - b;                  // sub has no alpha
                    using var owned = lr.ToScalar();
                    var ok4 = a.mul(owned);
                    var ok5 = 1.0 + lr;               // not TorchSharp
                }
            }
            """;
        var found = Analyze(source);
        Assert.Equal(new[] { "TSR0001", "TSR0001", "TSR0001", "TSR0002", "TSR0002", "TSR0002", "TSR0002", "TSR0002" },
            found.Select(d => d.Id).Order().ToArray());
        var lines = found.Select(d => d.Location.GetLineSpan().StartLinePosition.Line).ToHashSet();
        Assert.Equal(7, lines.Count);   // the first seven statements, the first of them twice
        Assert.All(lines, line => Assert.InRange(line, 6, 12));
    }

    [Fact]
    public void Of_KeepsOneScalarPerValueAndKind()
    {
        Assert.Same(Scalars.Of(0.5), Scalars.Of(0.5));
        Assert.Same(Scalars.One, Scalars.Of(1));
        Assert.NotSame(Scalars.Of(1), Scalars.Of(1.0));                 // integer and floating kinds stay apart
        Assert.Equal(ScalarType.Int64, Scalars.Of(2).Type);
        Assert.Equal(ScalarType.Float64, Scalars.Of(0.1f).Type);
        using var ints = tensor(new[] { 1, 2, 3 });
        using var doubled = ints.mul(Scalars.Of(2));
        Assert.Equal(ScalarType.Int32, doubled.dtype);                  // an integer scalar keeps integer tensors integer
        using var half = tensor(new[] { 1f, 2f }).mul(Scalars.Of(0.5));
        Assert.Equal(new[] { 0.5f, 1f }, half.data<float>().ToArray());
    }

    [Theory]
    [InlineData("Tessera.Cli.runtimeconfig.json")]
    [InlineData("Tessera.Tests.runtimeconfig.json")]
    [InlineData("Tessera.Benchmarks.runtimeconfig.json")]
    public void Programs_RunWithoutBackgroundGc(string runtimeConfig)
    {
        // A background collection's last phase can run while the compute thread is inside libtorch; with it off, a
        // collection starts only where a thread allocates (a stress test failed within 3 s with it on, none in 60 s off).
        var path = Path.Combine(AppContext.BaseDirectory, runtimeConfig);
        using var doc = JsonDocument.Parse(File.ReadAllText(path));
        var props = doc.RootElement.GetProperty("runtimeOptions").GetProperty("configProperties");
        Assert.True(props.TryGetProperty("System.GC.Concurrent", out var concurrent), $"{runtimeConfig} does not set System.GC.Concurrent");
        Assert.False(concurrent.GetBoolean());
    }

    private static ImmutableArray<Diagnostic> Analyze(string source)
    {
        var references = ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!).Split(Path.PathSeparator)
            .Where(p => Path.GetFileName(p).StartsWith("System.", StringComparison.Ordinal) || Path.GetFileName(p) is "netstandard.dll" or "mscorlib.dll")
            .Append(typeof(TorchSharp.torch).Assembly.Location)
            .Select(p => MetadataReference.CreateFromFile(p));
        var compilation = CSharpCompilation.Create("probe", [CSharpSyntaxTree.ParseText(source)], references,
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary));
        var errors = compilation.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error).ToList();
        Assert.True(errors.Count == 0, string.Join("\n", errors));
        return compilation.WithAnalyzers([new ImplicitScalarAnalyzer()]).GetAnalyzerDiagnosticsAsync().GetAwaiter().GetResult();
    }
}
