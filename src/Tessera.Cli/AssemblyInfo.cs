using System.Runtime.CompilerServices;

// The CLI is an application: every type is internal, so it has no public API to document. The tests drive its
// commands and the benchmarks time them.
[assembly: InternalsVisibleTo("Tessera.Tests")]
[assembly: InternalsVisibleTo("Tessera.Benchmarks")]
