namespace Tessera.Models;

/// <summary>One position's words, e.g. query 3: "red", "small", "car".</summary>
public sealed record WordPhrase(int Position, IReadOnlyList<string> Words);

/// <summary>A named list of phrases of one clip, e.g. the spatial words (adjective adjective noun) per query.</summary>
public sealed record WordGroup(string Name, string Pattern, IReadOnlyList<WordPhrase> Phrases);
