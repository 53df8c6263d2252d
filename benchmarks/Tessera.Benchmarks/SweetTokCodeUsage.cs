using Tessera.Checkpoints;
using Tessera.Models.SweetTok;
using Tessera.Training;
using Tessera.Training.Data;
using static TorchSharp.torch;

namespace Tessera.Benchmarks;

/// <summary>
/// Not a timing: a diagnostic of a SweetTok stage-1 run's language codebooks on held-out clips (docs/sweettok.md, "The
/// long run"). For a training checkpoint (or a fresh initialisation) it prints, per branch, how the quantiser inputs z
/// spread across clips and across queries (mean cosine similarity, per-dimension std), which words the queries pick
/// (distinct ids, the most frequent), the gap between the nearest and second-nearest word, the refined codebooks' row
/// norms and mean, and which terms of the stage-1 loss send gradient to the encoder (cross-entropy through the
/// straight-through estimator against the quantiser's pull). Run it in the run directory so the config's relative
/// prior paths resolve.
/// </summary>
public static class SweetTokCodeUsage
{
    public static int Run(Options options)
    {
        var configPath = options.String("config");
        var checkpoint = options.String("checkpoint", "");
        var data = options.String("data");
        var split = options.String("split", "eval");
        var clips = options.Int("clips", 6);
        var proxyPath = options.String("proxy", "");
        var ema = options.Int("ema", 0) != 0;
        options.RejectUnknown();
        set_num_threads(1);

        var config = TrainConfigYaml.Load(configPath);
        if (proxyPath.Length > 0) config = config with { Family = (SweetTokTrainingOptions)config.Family! with { Proxy = proxyPath } };
        var family = (SweetTokTrainingOptions)config.Family!;
        var scratch = Directory.CreateTempSubdirectory("tessera-diag-").FullName;
        try
        {
            using var objective = new SweetTokTrainingObjective(new TrainingContext(config, null, _ => { },
                new TrainingGuard(new CheckpointStore(scratch), config.LearningRate)));
            if (checkpoint.Length > 0)
            {
                using var sd = SafeTensorsFile.Load(checkpoint);
                objective.LoadState(sd, checkpoint);
            }
            Console.WriteLine($"checkpoint {(checkpoint.Length > 0 ? checkpoint : "(fresh initialisation)")}, {(ema ? "EMA" : "raw")} weights");
            using var evalSet = new EvalSet(VideoDataset.Load(data, split), config.Clip with { RandomCrop = false }, clips);
            using var batch = stack(evalSet.Clips.Select(c => c.squeeze(0)).ToArray());
            using var restore = ema ? objective.EvaluationWeights() : null;
            var model = (SweetTokModel)objective.Model;
            using var spatialPrior = OfficialPriors.LoadSpatial(family.SpatialPrior!);
            using var temporalPrior = OfficialPriors.LoadTemporal(family.TemporalPrior!);
            using var proxy = ISweetTokProxy.Load(family.ProxyPath, (SweetTokConfig)config.Model);
            using var scope = NewDisposeScope();
            model.eval();
            using var spatialBooks = model.SpatialQuantizer.Refine(spatialPrior.Graph);
            using var temporalBooks = model.TemporalQuantizer.Refine(temporalPrior.Graph);

            // Where a constant shared by every query and clip would enter: the latents before pre-VQ, and pre-VQ's
            // input-dependent part against its bias (z is their sum, L2-normalised).
            using (no_grad())
            {
                var (latents, linear, bias) = model.SpatialPreVqParts(batch * 0.5);
                static double Norm(Tensor x) => x.norm(1).mean().item<float>();
                Console.WriteLine($"spatial    before pre-VQ: cos across clips {Cosines(latents).Clips:0.0000}, across queries {Cosines(latents).Queries:0.0000}, mean norm {Norm(latents):0.000}; " +
                                  $"pre-VQ input part: mean norm {Norm(linear):0.0000}, cos across clips {Cosines(linear).Clips:0.0000}; bias norm {Norm(bias):0.0000}");
            }

            // Stage by stage along the spatial query path: where rows of different clips (and of different positions or
            // queries within a clip) become one vector, and how large the shared part is against what varies.
            using (no_grad())
            {
                foreach (var (name, rows) in model.SpatialTrace(batch * 0.5))
                {
                    var (acrossClips, within) = Cosines(rows.permute(0, 2, 1).unsqueeze(2));
                    var shared = rows.mean([0, 1]).norm().item<float>();
                    var varying = (rows - rows.mean([0, 1])).norm(2).mean().item<float>();
                    Console.WriteLine($"trace      {name,-44} cos across clips {acrossClips:0.0000}, within a clip {within:0.0000}; shared part norm {shared:0.000}, varying part mean norm {varying:0.000}");
                }
            }

            var (zs, zt) = model.EncodeLatents(batch * 0.5);
            zs = zs.detach().requires_grad_(true);
            zt = zt.detach().requires_grad_(true);
            zs.retain_grad();
            zt.retain_grad();
            using var s = model.SpatialQuantizer.forward(zs, spatialBooks);
            using var t = model.TemporalQuantizer.forward(zt, temporalBooks);
            Report("spatial", zs, s, spatialBooks, spatialPrior);
            Report("temporal", zt, t, temporalBooks, temporalPrior);

            // Which loss terms reach z (and so the encoder): the cross-entropy through the straight-through estimator, or the quantiser's pull.
            var targets = proxy.Targets(batch);
            var logits = model.DecodeLogits(s.Quantized, t.Quantized);
            var ce = ChunkedCrossEntropy.Compute(logits, targets, family.CrossEntropyChunk);
            var ceGrad = autograd.grad([ce], [zs, zt], retain_graph: true);
            var pull = s.QuantizerLoss + t.QuantizerLoss;
            var pullGrad = autograd.grad([pull], [zs, zt], retain_graph: true);
            Console.WriteLine($"loss       ce {ce.item<float>():0.0000} (ln K = {Math.Log(proxy.CodebookSize):0.0000}), quantizer {pull.item<float>():0.000000}, accuracy {logits.argmax(1).eq(targets).to_type(ScalarType.Float32).mean().item<float>():0.000}");
            Console.WriteLine($"grad at z  spatial: ce {ceGrad[0].norm().item<float>():E3}, quantizer {pullGrad[0].norm().item<float>():E3}; temporal: ce {ceGrad[1].norm().item<float>():E3}, quantizer {pullGrad[1].norm().item<float>():E3}");
            // The component of the CE gradient along z is removed by the L2 normalisation in front of the quantiser.
            Console.WriteLine($"           ce grad tangent to the unit sphere: spatial {Tangent(ceGrad[0], zs):E3}, temporal {Tangent(ceGrad[1], zt):E3}");
            var predicted = logits.argmax(1);
            Console.WriteLine($"decoder    distinct predicted proxy codes {predicted.unique().Item1.shape[0]} of {predicted.numel()} positions; distinct targets {targets.unique().Item1.shape[0]}");
            return 0;
        }
        finally
        {
            Directory.Delete(scratch, recursive: true);
        }
    }

    // Mean cosine between clips (same query) and between queries (same clip) of [B, C, 1, L] vectors.
    private static (double Clips, double Queries) Cosines(Tensor z)
    {
        using var scope = NewDisposeScope();
        var unit = nn.functional.normalize(z.squeeze(2).permute(0, 2, 1), dim: -1);   // [B, L, C]
        var clips = z.shape[0] > 1 ? MeanOffDiagonal(unit.permute(1, 0, 2).bmm(unit.permute(1, 2, 0))) : double.NaN;
        return (clips, MeanOffDiagonal(unit.bmm(unit.transpose(1, 2))));
    }

    private static double Tangent(Tensor grad, Tensor z)
    {
        using var scope = NewDisposeScope();
        var radial = (grad * z).sum(1, keepdim: true) * z;
        return (grad - radial).norm().item<float>();
    }

    private static void Report(string branch, Tensor z, MlcResult q, MlcCodebooks books, OfficialPrior prior)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        long b = z.shape[0], l = z.shape[^1];
        var rows = z.squeeze(2).permute(0, 2, 1);                                  // [B, L, 2e]
        var unit = nn.functional.normalize(rows, dim: -1);
        var acrossClips = b > 1 ? MeanOffDiagonal(unit.permute(1, 0, 2).bmm(unit.permute(1, 2, 0))) : double.NaN;   // per query, clip pairs
        var acrossQueries = MeanOffDiagonal(unit.bmm(unit.transpose(1, 2)));      // per clip, query pairs
        var stdClips = rows.std(0).mean().item<float>();
        var stdQueries = rows.std(1).mean().item<float>();
        Console.WriteLine($"{branch,-9}  z: cos across clips (same query) {acrossClips:0.0000}, across queries (same clip) {acrossQueries:0.0000}; per-dim std across clips {stdClips:0.00000}, across queries {stdQueries:0.00000}");
        Words("first", q.FirstIndices, books.First, prior.FirstWords);
        Words("second", q.SecondIndices, books.Second, prior.SecondWords);
        Gap("first", z, 0, books.First);
        Gap("second", z, books.First.shape[1], books.Second);
    }

    private static double MeanOffDiagonal(Tensor sims)
    {
        var n = sims.shape[1];
        if (n < 2) return double.NaN;
        var mask = ones(n, n) - eye(n);
        return ((sims * mask).sum() / (mask.sum() * sims.shape[0])).item<float>();
    }

    private static void Words(string name, Tensor indices, Tensor book, IReadOnlyList<string> words)
    {
        var ids = indices.reshape(-1).data<long>().ToArray();
        var top = ids.GroupBy(i => i).OrderByDescending(g => g.Count()).Take(4).Select(g => $"{words[(int)g.Key]}×{g.Count()}");
        var norms = book.norm(1);
        Console.WriteLine($"           {name,-6} book [{book.shape[0]}]: {ids.Distinct().Count()} distinct of {ids.Length} picks; top {string.Join(", ", top)}; row norms {norms.min().item<float>():0.000}..{norms.max().item<float>():0.000} (mean {norms.mean().item<float>():0.000}), norm of the mean row {book.mean([0]).norm().item<float>():0.000}");
    }

    private static void Gap(string name, Tensor z, long offset, Tensor book)
    {
        var e = book.shape[1];
        var rows = z.detach().narrow(1, offset, e).permute(0, 2, 3, 1).reshape(-1, e);
        var d = rows.pow(2).sum(1, keepdim: true) + book.pow(2).sum(1) - 2 * rows.matmul(book.t());
        var two = d.topk(2, 1, largest: false).values;
        var gap = two[.., 1] - two[.., 0];
        Console.WriteLine($"           {name,-6} nearest distance² {two[.., 0].mean().item<float>():0.0000}, gap to the second {gap.mean().item<float>():0.00000} (min {gap.min().item<float>():0.00000}); ‖z half‖ {rows.norm(1).mean().item<float>():0.000}");
    }
}
