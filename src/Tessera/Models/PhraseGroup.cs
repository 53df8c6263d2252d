namespace Tessera.Models;

/// <summary>One position's words, e.g. query 3: "red", "small", "car".</summary>
internal sealed record WordPhrase(int Position, IReadOnlyList<string> Words);

/// <summary>A named list of phrases of one clip, e.g. the spatial words (adjective adjective noun) per query.</summary>
internal sealed record PhraseGroup(string Name, string Pattern, IReadOnlyList<WordPhrase> Phrases);
