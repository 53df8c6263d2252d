using System.Runtime.CompilerServices;

// The shipped CLI, the tests and the benchmarks use internals (layers, checkpoint readers, dataset tooling); see docs/api.md.
[assembly: InternalsVisibleTo("Tessera.Cli")]
[assembly: InternalsVisibleTo("Tessera.Tests")]
[assembly: InternalsVisibleTo("Tessera.Benchmarks")]
