using System.Runtime.CompilerServices;

// The CLI is an application: every type is internal, so it has no public API to document; the tests drive its commands.
[assembly: InternalsVisibleTo("Tessera.Tests")]
