using System.Runtime.CompilerServices;

[assembly: InternalsVisibleTo("Tessera.Tests")]
