using System.Globalization;

namespace Tessera.Models.SweetTok.Priors;

/// <summary>The four WordNet parts of speech a SweetTok prior uses, with their database file suffixes.</summary>
internal enum WordNetPos { Noun, Verb, Adjective, Adverb }

/// <summary>
/// The parts of a WordNet 3.x database (<c>index.*</c>, <c>data.*</c>, <c>cntlist.rev</c>, e.g. Debian's
/// <c>/usr/share/wordnet</c>) a word prior needs: the lemmas of each part of speech with a usage count, and the
/// word-level relations between synsets. Malformed lines give an error naming the file and the line.
/// </summary>
internal sealed class WordNetLexicon
{
    private readonly Dictionary<WordNetPos, Dictionary<string, long>> counts = [];

    private WordNetLexicon(string directory) => Directory = directory;

    public string Directory { get; }
    /// <summary>Where the counts come from: <c>cntlist.rev</c> (summed sense tag counts) or the index files' tagsense_cnt.</summary>
    public string CountSource { get; private set; } = "";

    /// <summary>Each lemma of the part of speech with its count (lowercase, underscores for multi-word lemmas).</summary>
    public IReadOnlyDictionary<string, long> Lemmas(WordNetPos pos) => counts[pos];

    public static string Suffix(WordNetPos pos) => pos switch
    {
        WordNetPos.Noun => "noun",
        WordNetPos.Verb => "verb",
        WordNetPos.Adjective => "adj",
        _ => "adv",
    };

    private static WordNetPos? FromLetter(string letter) => letter switch
    {
        "n" => WordNetPos.Noun,
        "v" => WordNetPos.Verb,
        "a" or "s" => WordNetPos.Adjective,
        "r" => WordNetPos.Adverb,
        _ => null,
    };

    /// <summary>Reads the four index files, and <c>cntlist.rev</c> when present (its counts then replace the index's).</summary>
    public static WordNetLexicon Load(string directory)
    {
        if (!System.IO.Directory.Exists(directory)) throw new InvalidInputException($"{directory}: WordNet directory not found");
        var lex = new WordNetLexicon(directory);
        foreach (var pos in Enum.GetValues<WordNetPos>())
            lex.counts[pos] = ReadIndex(Path.Combine(directory, $"index.{Suffix(pos)}"), pos);
        var cntlist = Path.Combine(directory, "cntlist.rev");
        if (File.Exists(cntlist))
        {
            var tagged = ReadCntlist(cntlist);
            foreach (var pos in Enum.GetValues<WordNetPos>())
                foreach (var lemma in lex.counts[pos].Keys.ToList())
                    lex.counts[pos][lemma] = tagged.TryGetValue((pos, lemma), out var c) ? c : 0;
            lex.CountSource = "cntlist.rev";
        }
        else lex.CountSource = "index tagsense_cnt";
        return lex;
    }

    private static Dictionary<string, long> ReadIndex(string path, WordNetPos pos)
    {
        if (!File.Exists(path)) throw new InvalidInputException($"{path}: WordNet index file not found");
        var result = new Dictionary<string, long>(StringComparer.Ordinal);
        var n = 0;
        foreach (var line in File.ReadLines(path))
        {
            n++;
            if (line.Length == 0 || line[0] == ' ') continue; // licence header
            var f = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            // lemma pos synset_cnt p_cnt [ptr_symbol...] sense_cnt tagsense_cnt synset_offset...
            if (f.Length < 6 || !int.TryParse(f[2], NumberStyles.None, CultureInfo.InvariantCulture, out var synsets) ||
                !int.TryParse(f[3], NumberStyles.None, CultureInfo.InvariantCulture, out var pointers) || f.Length < 6 + pointers + synsets - 1 ||
                !long.TryParse(f[5 + pointers], NumberStyles.None, CultureInfo.InvariantCulture, out var tagged) || FromLetter(f[1]) != pos)
                throw new InvalidInputException($"{path}:{n}: not a WordNet index line for '{Suffix(pos)}': '{Trim(line)}'");
            result[f[0].ToLowerInvariant()] = tagged;
        }
        if (result.Count == 0) throw new InvalidInputException($"{path}: no lemmas in this WordNet index file");
        return result;
    }

    private static Dictionary<(WordNetPos, string), long> ReadCntlist(string path)
    {
        var result = new Dictionary<(WordNetPos, string), long>();
        var n = 0;
        foreach (var line in File.ReadLines(path))
        {
            n++;
            if (line.Length == 0) continue;
            // sense_key sense_number tag_cnt, with sense_key = lemma%ss_type:lex_filenum:lex_id:head_word:head_id
            var f = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            var pct = f.Length == 3 ? f[0].IndexOf('%') : -1;
            if (pct <= 0 || pct + 1 >= f[0].Length || !long.TryParse(f[2], NumberStyles.None, CultureInfo.InvariantCulture, out var tags))
                throw new InvalidInputException($"{path}:{n}: not a cntlist.rev line (sense_key sense_number tag_cnt): '{Trim(line)}'");
            WordNetPos? pos = f[0][pct + 1] switch
            {
                '1' => WordNetPos.Noun,
                '2' => WordNetPos.Verb,
                '3' or '5' => WordNetPos.Adjective,
                '4' => WordNetPos.Adverb,
                _ => null,
            };
            if (pos is null) throw new InvalidInputException($"{path}:{n}: sense key '{f[0]}' has an unknown synset type");
            var key = (pos.Value, f[0][..pct].ToLowerInvariant());
            result[key] = result.GetValueOrDefault(key) + tags;
        }
        return result;
    }

    /// <summary>
    /// Word-level relations from the <c>data.*</c> files whose pointer symbol is in <paramref name="symbols"/>
    /// (e.g. <c>&amp;</c> similar to, <c>!</c> antonym, <c>+</c> derivation, <c>=</c> attribute, <c>\</c> pertainym,
    /// <c>^</c> also see, <c>$</c> verb group). Semantic pointers link every word of both synsets; lexical ones the two
    /// words named. Each pair is (word, its part of speech, word, its part of speech), lowercase.
    /// </summary>
    public IEnumerable<(string A, WordNetPos PosA, string B, WordNetPos PosB)> Relations(ISet<string> symbols)
    {
        var synsets = new Dictionary<(WordNetPos, long), string[]>();
        var pointers = new List<(WordNetPos Pos, long Offset, string Symbol, WordNetPos TargetPos, long Target, int Source, int TargetWord)>();
        foreach (var pos in Enum.GetValues<WordNetPos>())
        {
            var path = Path.Combine(Directory, $"data.{Suffix(pos)}");
            if (!File.Exists(path)) throw new InvalidInputException($"{path}: WordNet data file not found (needed for WordNet edges)");
            var n = 0;
            foreach (var line in File.ReadLines(path))
            {
                n++;
                if (line.Length == 0 || line[0] == ' ') continue;
                var bar = line.IndexOf('|');
                var f = (bar >= 0 ? line[..bar] : line).Split(' ', StringSplitOptions.RemoveEmptyEntries);
                // synset_offset lex_filenum ss_type w_cnt(hex) [word lex_id]... p_cnt [symbol offset pos source/target]...
                if (f.Length < 5 || !long.TryParse(f[0], NumberStyles.None, CultureInfo.InvariantCulture, out var offset) ||
                    !int.TryParse(f[3], NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var wcnt) || f.Length < 5 + 2 * wcnt ||
                    !int.TryParse(f[4 + 2 * wcnt], NumberStyles.None, CultureInfo.InvariantCulture, out var pcnt) || f.Length < 5 + 2 * wcnt + 4 * pcnt)
                    throw new InvalidInputException($"{path}:{n}: not a WordNet data line: '{Trim(line)}'");
                var words = new string[wcnt];
                for (var w = 0; w < wcnt; w++)
                {
                    var word = f[4 + 2 * w];
                    var paren = word.IndexOf('(');
                    words[w] = (paren > 0 ? word[..paren] : word).ToLowerInvariant();
                }
                synsets[(pos, offset)] = words;
                for (var p = 0; p < pcnt; p++)
                {
                    var at = 5 + 2 * wcnt + 4 * p;
                    var symbol = f[at];
                    if (!symbols.Contains(symbol)) continue;
                    var targetPos = FromLetter(f[at + 2]);
                    if (targetPos is null || !long.TryParse(f[at + 1], NumberStyles.None, CultureInfo.InvariantCulture, out var target) ||
                        f[at + 3].Length != 4 || !int.TryParse(f[at + 3], NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var st))
                        throw new InvalidInputException($"{path}:{n}: malformed pointer '{string.Join(' ', f[at..(at + 4)])}'");
                    pointers.Add((pos, offset, symbol, targetPos.Value, target, st >> 8, st & 0xFF));
                }
            }
        }
        foreach (var p in pointers)
        {
            if (!synsets.TryGetValue((p.Pos, p.Offset), out var from) || !synsets.TryGetValue((p.TargetPos, p.Target), out var to)) continue;
            if (p.Source == 0 && p.TargetWord == 0)
            {
                foreach (var a in from)
                    foreach (var b in to)
                        yield return (a, p.Pos, b, p.TargetPos);
            }
            else if (p.Source >= 1 && p.Source <= from.Length && p.TargetWord >= 1 && p.TargetWord <= to.Length)
                yield return (from[p.Source - 1], p.Pos, to[p.TargetWord - 1], p.TargetPos);
        }
    }

    private static string Trim(string line) => line.Length > 80 ? line[..80] + "..." : line;
}
