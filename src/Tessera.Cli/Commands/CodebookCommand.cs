using System.CommandLine;
using System.Diagnostics;
using Tessera.Models.SweetTok.Priors;

namespace Tessera.Cli.Commands;

/// <summary><c>tessera codebook build</c>: SweetTok's adjective/noun and adverb/verb word priors, made offline.</summary>
internal static class CodebookCommand
{
    public static Command Create(CliContext ctx)
    {
        var wordnet = new Option<string>("--wordnet") { Description = "WordNet database folder (index.* and data.* files)", DefaultValueFactory = _ => "/usr/share/wordnet" };
        var vectors = new Option<string?>("--vectors") { Description = "Word vectors: wink-embeddings JSON (scripts/fetch-word-vectors.sh) or GloVe text" };
        var embeddings = new Option<string?>("--embeddings") { Description = "Instead of --vectors: an LLM's weights (.safetensors) holding its input-embedding matrix" };
        var tokenizer = new Option<string?>("--tokenizer") { Description = "The tokenizer.json that goes with --embeddings" };
        var tensorName = new Option<string?>("--embedding-tensor") { Description = "Name of the embedding matrix in --embeddings (found by name when omitted)" };
        var adjectives = new Option<int>("--adjectives") { Description = "Adjectives to keep (most frequent first)", DefaultValueFactory = _ => 1000 };
        var nouns = new Option<int>("--nouns") { Description = "Nouns to keep", DefaultValueFactory = _ => 2000 };
        var adverbs = new Option<int>("--adverbs") { Description = "Adverbs to keep", DefaultValueFactory = _ => 300 };
        var verbs = new Option<int>("--verbs") { Description = "Verbs to keep", DefaultValueFactory = _ => 1000 };
        var edges = new Option<string>("--edges") { Description = "Edges from 'wordnet' relations, 'knn' (nearest neighbours) or 'both'", DefaultValueFactory = _ => "both" };
        var neighbours = new Option<int>("--neighbours") { Description = "k of the nearest-neighbour edges", DefaultValueFactory = _ => 5 };
        var output = new Option<string>("--output-dir", "-o") { Description = "Folder for adjective_noun.safetensors and adverb_verb.safetensors", Required = true };
        var build = new Command("build", "Build the adjective/noun and adverb/verb word priors from WordNet and word vectors")
        {
            wordnet, vectors, embeddings, tokenizer, tensorName, adjectives, nouns, adverbs, verbs, edges, neighbours, output,
        };
        build.SetAction(r => ctx.Run(() =>
        {
            var edgeSource = r.GetValue(edges) switch
            {
                "wordnet" => PriorEdgeSource.WordNet,
                "knn" => PriorEdgeSource.Knn,
                "both" => PriorEdgeSource.Both,
                var other => throw new UsageException($"--edges must be wordnet, knn or both, got '{other}'"),
            };
            var options = new WordPriorOptions
            {
                Adjectives = r.GetValue(adjectives), Nouns = r.GetValue(nouns), Adverbs = r.GetValue(adverbs), Verbs = r.GetValue(verbs),
                Edges = edgeSource, Neighbours = r.GetValue(neighbours),
            };
            return Build(ctx, r.GetValue(wordnet)!, r.GetValue(vectors), r.GetValue(embeddings), r.GetValue(tokenizer), r.GetValue(tensorName), options, r.GetValue(output)!);
        }));
        return new Command("codebook", "Word priors for SweetTok's MLC codebooks") { build };
    }

    public static ExitCode Build(CliContext ctx, string wordnetDir, string? vectorsPath, string? embeddingsPath, string? tokenizerPath,
        string? tensorName, WordPriorOptions options, string outputDir)
    {
        if ((vectorsPath is null) == (embeddingsPath is null)) throw new UsageException("give either --vectors or --embeddings (with --tokenizer)");
        if (embeddingsPath is not null && tokenizerPath is null) throw new UsageException("--embeddings needs --tokenizer (the model's tokenizer.json)");
        options.Validate();
        var clock = Stopwatch.StartNew();
        var wordnet = WordNetLexicon.Load(wordnetDir);
        ctx.Progress($"wordnet: {string.Join(", ", Enum.GetValues<WordNetPos>().Select(p => $"{wordnet.Lemmas(p).Count} {WordNetLexicon.Suffix(p)}"))} lemmas (counts from {wordnet.CountSource})");
        IWordVectors source;
        IDisposable? owned = null;
        if (vectorsPath is not null)
        {
            var glove = GloveVectors.Load(vectorsPath, WordPriorBuilder.Candidates(wordnet));
            ctx.Progress($"vectors: {glove.Count} of the WordNet words found in {vectorsPath} ({glove.Dim}-d)");
            source = glove;
        }
        else
        {
            var matrix = EmbeddingMatrixVectors.Load(embeddingsPath!, tokenizerPath!, tensorName);
            ctx.Progress($"vectors: {matrix.Source} ({matrix.Dim}-d)");
            source = matrix;
            owned = matrix;
        }
        try
        {
            var (spatial, temporal) = WordPriorBuilder.Build(wordnet, source, options);
            Directory.CreateDirectory(outputDir);
            foreach (var prior in new[] { spatial, temporal })
            {
                var path = Path.Combine(outputDir, $"{prior.Kind}.safetensors");
                prior.Write(path);
                ctx.Out.WriteLine($"{path}: {prior.First.Count} {prior.First.Name}s + {prior.Second.Count} {prior.Second.Name}s, " +
                                  $"{prior.Edges.Count} edges ({prior.Info["wordnet_edges"]} from WordNet), {prior.Dim}-d vectors");
            }
            ctx.Out.WriteLine($"done in {clock.Elapsed.TotalSeconds:0.0} s");
            return ExitCode.Ok;
        }
        finally
        {
            owned?.Dispose();
        }
    }
}
