using System.Diagnostics;
using Tessera.Inference;
using Tessera.Metrics;
using Tessera.Metrics.Fvd;
using Tessera.Models;
using Tessera.Nn;
using Tessera.Video;
using static TorchSharp.torch;

namespace Tessera.Evaluation;

/// <summary>
/// VidTok's evaluation protocol (<c>scripts/inference_evaluate.py</c>, spec §10.3) on a loaded tokenizer of any family:
/// per video, frames sampled every <c>round(srcFps / fps)</c>, short side resized (antialiased) and centre-cropped,
/// cut into consecutive clips (tail padded with its last frame), each encoded and decoded, then PSNR, SSIM
/// (and LPIPS when supplied) per frame, frame-weighted means, FVD over the 16-frame windows of all clips when an extractor
/// is supplied (<see cref="EvalOptions.FvdClipFrames"/>),
/// codebook usage per token group for discrete models. A video that cannot be read or run is recorded with its error and skipped.
/// The evaluator owns neither the tokenizer nor the metrics.
/// </summary>
public sealed class Evaluator
{
    /// <summary>Metric name prefix of LPIPS columns (reported absent when no LPIPS metric is given).</summary>
    public const string Lpips = "lpips";
    /// <summary>Name of the FVD result.</summary>
    public const string Fvd = "fvd";

    private readonly VideoTokenizer tokenizer;
    private readonly EvalOptions options;
    private readonly IReadOnlyList<IFrameMetric> metrics;

    /// <summary>An evaluator for <paramref name="tokenizer"/>; neither the tokenizer nor the metrics in <paramref name="options"/> are disposed by it.</summary>
    /// <param name="tokenizer">The model under test.</param>
    /// <param name="options">The protocol settings; null for the reference's defaults.</param>
    /// <exception cref="ConfigException">The options are invalid.</exception>
    /// <exception cref="InvalidInputException">Long-video mode with a model that does not stream, or without a temporal chunk.</exception>
    public Evaluator(VideoTokenizer tokenizer, EvalOptions? options = null)
    {
        this.tokenizer = tokenizer;
        this.options = options ?? new EvalOptions();
        this.options.Validate();
        if (this.options.LongVideo && !tokenizer.Card.Streams)
            throw new InvalidInputException(
                $"long-video evaluation streams the whole video through the chunked path, which only streaming models have ({tokenizer.Card.Family}: {ModelFamilies.Of(tokenizer.Config).StreamingModels}; model '{tokenizer.Card.Name}' is {tokenizer.Card.Variant})");
        if (this.options.LongVideo && tokenizer.Options.TemporalChunk <= 0)
            throw new InvalidInputException("long-video evaluation needs a temporal chunk > 0");
        metrics = [FrameMetrics.Psnr, FrameMetrics.Ssim, .. this.options.ExtraMetrics];
        ClipFrames = this.options.ClipFrames ?? ClipPlan.DefaultClipFrames(tokenizer.Config);
    }

    /// <summary>Frames per evaluated clip (the option, else the model card's <see cref="ModelCard.EvalClipFrames"/>).</summary>
    public int ClipFrames { get; }

    /// <summary>Metric columns in report order: psnr, ssim, then LPIPS (its own name, or "lpips" reported absent).</summary>
    public IReadOnlyList<string> MetricNames =>
        [.. metrics.Select(m => m.Name), .. metrics.Any(m => m.Name.StartsWith(Lpips, StringComparison.Ordinal)) ? Array.Empty<string>() : [Lpips]];

    /// <summary>The protocol settings recorded with the results.</summary>
    public EvalSettings Settings => new(options.Fps, options.Size.Height, options.Size.Width, ClipFrames, options.LongVideo,
        options.LongVideoLength.ToString(), tokenizer.Options.TemporalChunk, $"{tokenizer.Card.Family} {tokenizer.Card.Variant}".Trim(), MetricNames,
        "padded tail frames are evaluated and counted in the means, as the reference does; metrics_real_frames excludes them",
        options.FvdClipFrames);

    /// <summary>
    /// Runs every video; <paramref name="onVideo"/> sees each result as soon as it is complete. Writes no file itself
    /// (see <see cref="EvalOutput"/>). <paramref name="cancellationToken"/> is checked between videos, between clips and
    /// after every encoder and decoder block; a cancelled run throws <see cref="OperationCanceledException"/> without
    /// calling <paramref name="onVideo"/> for the video in progress, and frees what it allocated.
    /// </summary>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    /// <param name="videos">(file, name) pairs, evaluated in order.</param>
    /// <param name="input">The input argument as given, recorded in the results.</param>
    /// <param name="model">The model argument as given, recorded in the results.</param>
    /// <param name="progress">Receives per-clip and per-video reports; null for none.</param>
    /// <param name="onVideo">Sees each video's result as soon as it is complete; null for none.</param>
    /// <returns>Per-video results and their frame-weighted means; a video that fails is recorded with its error, not thrown.</returns>
    /// <param name="cancellationToken">Checked between videos, between clips and after every encoder and decoder block.</param>
    public EvalRun Run(IReadOnlyList<(string Path, string Name)> videos, string input, string model,
        IProgress<EvalProgress>? progress = null, Action<VideoResult>? onVideo = null, CancellationToken cancellationToken = default)
    {
        var watch = Stopwatch.StartNew();
        var run = new EvalRun { Model = model, Input = input, Settings = Settings };
        List<Tensor>? real = options.FvdExtractor is null ? null : [], fake = options.FvdExtractor is null ? null : [];
        try
        {
            for (var i = 0; i < videos.Count; i++)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var (path, name) = videos[i];
                var index = i;
                var clipProgress = progress is null ? null : new Progress(p => progress.Report(p with { Video = index, Videos = videos.Count }));
                var result = EvaluateVideo(path, name, clipProgress, real, fake, cancellationToken);
                run.Videos.Add(result);
                onVideo?.Invoke(result);
                progress?.Report(new EvalProgress(i + 1, videos.Count, name, result.Clips, result.Clips));
            }
            cancellationToken.ThrowIfCancellationRequested();
            Summarise(run, real, fake);
        }
        finally
        {
            foreach (var t in (real ?? []).Concat(fake ?? [])) t.Dispose();
        }
        run.Seconds = watch.Elapsed.TotalSeconds;
        return run;
    }

    /// <summary>
    /// Evaluates one video; never throws for an unreadable video or a model error on it (see <see cref="VideoResult.Error"/>),
    /// only <see cref="OperationCanceledException"/> when <paramref name="cancellationToken"/> fires (checked between clips
    /// and after every encoder and decoder block). FVD features of the video, when lists are given, are appended to them
    /// (the caller owns them); a failed or cancelled video appends none.
    /// </summary>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    /// <param name="path">The video file.</param>
    /// <param name="name">Its name in the results.</param>
    /// <param name="progress">Receives one report per clip; null for none.</param>
    /// <param name="fvdReal">When FVD is on, receives the originals' feature tensors [n, D]; the caller owns and disposes them.</param>
    /// <param name="fvdFake">When FVD is on, receives the reconstructions' feature tensors [n, D]; the caller owns and disposes them.</param>
    /// <param name="cancellationToken">Checked between videos, between clips and after every encoder and decoder block.</param>
    public VideoResult EvaluateVideo(string path, string name, IProgress<EvalProgress>? progress = null,
        List<Tensor>? fvdReal = null, List<Tensor>? fvdFake = null, CancellationToken cancellationToken = default)
    {
        var watch = Stopwatch.StartNew();
        var result = new VideoResult { Name = name, Path = path };
        var realBefore = fvdReal?.Count ?? 0;
        try
        {
            Evaluate(result, path, progress, fvdReal, fvdFake, cancellationToken);
        }
        catch (OperationCanceledException)
        {
            DropFeatures(fvdReal, fvdFake, realBefore);
            throw;
        }
        catch (Exception e) when (e is TesseraException or IOException or UnauthorizedAccessException or System.Runtime.InteropServices.ExternalException)
        {
            result.Error = e.Message;
            result.PerFrame.Clear();
            result.Samples.Clear();
            result.Metrics.Clear();
            result.MetricsRealFrames.Clear();
            result.Usages.Clear();
            result.Codebooks.Clear();
            // A failed video contributes no FVD features either.
            DropFeatures(fvdReal, fvdFake, realBefore);
        }
        result.Seconds = watch.Elapsed.TotalSeconds;
        return result;
    }

    private static void DropFeatures(List<Tensor>? fvdReal, List<Tensor>? fvdFake, int keep)
    {
        while (fvdReal is not null && fvdReal.Count > keep) { fvdReal[^1].Dispose(); fvdReal.RemoveAt(fvdReal.Count - 1); }
        while (fvdFake is not null && fvdFake.Count > keep) { fvdFake[^1].Dispose(); fvdFake.RemoveAt(fvdFake.Count - 1); }
    }

    private void Evaluate(VideoResult result, string path, IProgress<EvalProgress>? progress, List<Tensor>? fvdReal, List<Tensor>? fvdFake,
        CancellationToken cancellationToken)
    {
        using var clip = VideoReader.Read(path, new ReadOptions
        {
            Fps = options.Fps,
            Size = options.Size,
            ResizeMode = ResizeMode.ShortSideCenterCrop,
        });
        result.Height = clip.Height;
        result.Width = clip.Width;
        result.Fps = clip.Fps;
        result.Warnings.AddRange(clip.Warnings);

        var available = clip.FrameCount;
        IReadOnlyList<ClipSpan> spans;
        if (options.LongVideo)
        {
            var keep = ClipPlan.LongVideoFrames(tokenizer.Config, available, tokenizer.Options.TemporalChunk, options.LongVideoLength);
            if (keep < 1) throw new InvalidInputException($"{path}: {available} frames are too few for the long-video mode");
            result.DroppedFrames = available - keep;
            spans = [new ClipSpan(0, keep, 0)];
        }
        else
        {
            spans = ClipPlan.Clips(available, ClipFrames);
        }
        result.Frames = available - result.DroppedFrames;
        result.Clips = spans.Count;
        var samples = SampleIndices(result.Frames, options.SampleFrames);
        var names = metrics.Select(m => m.Name).ToArray();
        foreach (var g in tokenizer.Card.TokenGroups) result.Usages[g.Name] = new CodebookUsage((int)g.CodebookSize);

        for (var c = 0; c < spans.Count; c++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            progress?.Report(new EvalProgress(0, 0, result.Name, c, spans.Count));
            var span = spans[c];
            using var scope = NewDisposeScope();
            using var indices = tensor(span.FrameIndices().Select(i => (long)i).ToArray());
            var frames = clip.Frames.index_select(0, indices);                        // uint8 [L, H, W, 3]
            var x = frames.to_type(ScalarType.Float32).div_(Scalars.Of(255f)).sub_(Scalars.Of(0.5f)).div_(Scalars.Of(0.5f)).permute(3, 0, 1, 2).unsqueeze(0).contiguous();

            var model = Stopwatch.StartNew();
            // Metrics and samples work in [-1, 1]; the model takes and returns its own range.
            using var code = tokenizer.Encode(tokenizer.Card.Range.FromSigned(x), cancellationToken);
            var y = tokenizer.Card.Range.ToSigned(tokenizer.Decode(code, cancellationToken));
            result.ModelSeconds += model.Elapsed.TotalSeconds;
            switch (code)
            {
                case TokenIds ids:
                    result.Tokens += ids.Count;
                    foreach (var (group, usage) in result.Usages) usage.Add(ids[group]);
                    break;
                case Latents l:
                    result.Tokens += l.Values.numel();
                    break;
            }

            var perFrame = names.Select(_ => new List<double>(span.Length)).ToArray();
            for (var s = 0; s < span.Length; s += options.MetricBatchFrames)
            {
                var e = Math.Min(span.Length, s + options.MetricBatchFrames);
                var xs = x[.., .., s..e];
                var ys = y[.., .., s..e];
                for (var m = 0; m < metrics.Count; m++) perFrame[m].AddRange(metrics[m].PerFrame(xs, ys));
            }
            for (var t = 0; t < span.Length; t++)
            {
                var values = new Dictionary<string, double>();
                for (var m = 0; m < names.Length; m++) values[names[m]] = perFrame[m][t];
                var padded = t >= span.RealFrames;
                result.PerFrame.Add(new FrameRecord(span.Start + t, c, span.Start + Math.Min(t, span.RealFrames - 1), padded, values));
            }
            result.EvaluatedFrames += span.Length;
            result.PaddedFrames += span.PaddedFrames;

            if (options.FvdExtractor is { } extractor)
            {
                // FVD windows: consecutive FvdClipFrames-frame pieces from the clip's start (see EvalOptions.FvdClipFrames).
                var window = options.FvdClipFrames;
                for (var w = 0; w + window <= span.Length; w += window)
                {
                    fvdReal!.Add(extractor.Features(x[.., .., w..(w + window)]).to_type(ScalarType.Float64).DetachFromDisposeScope());
                    fvdFake!.Add(extractor.Features(y[.., .., w..(w + window)]).to_type(ScalarType.Float64).DetachFromDisposeScope());
                }
            }

            foreach (var f in samples.Where(f => f >= span.Start && f < span.Start + span.RealFrames))
            {
                var t = f - span.Start;
                var original = frames[t].contiguous().data<byte>().ToArray();
                var recon = y[0, .., t].clamp(Scalars.Of(-1f), Scalars.Of(1f)).add(Scalars.Of(1f), Scalars.One).div_(Scalars.Of(2f)).mul_(Scalars.Of(255f)).trunc_().clamp_(Scalars.Of(0f), Scalars.Of(255f))
                    .to_type(ScalarType.Byte).permute(1, 2, 0).contiguous().data<byte>().ToArray();
                result.Samples.Add(new SampleFrame(f, clip.Height, clip.Width, original, recon));
            }
        }
        progress?.Report(new EvalProgress(0, 0, result.Name, spans.Count, spans.Count));

        foreach (var n in names)
        {
            result.Metrics[n] = result.PerFrame.Average(p => p.Values[n]);
            var real = result.PerFrame.Where(p => !p.Padded).ToList();
            result.MetricsRealFrames[n] = real.Count > 0 ? real.Average(p => p.Values[n]) : null;
        }
        foreach (var n in MetricNames.Except(names))
        {
            result.Metrics[n] = null;
            result.MetricsRealFrames[n] = null;
        }
        foreach (var (group, usage) in result.Usages) result.Codebooks[group] = CodebookStats.From(usage);
    }

    private void Summarise(EvalRun run, List<Tensor>? real, List<Tensor>? fake)
    {
        var ok = run.Videos.Where(v => !v.Failed).ToList();
        foreach (var n in MetricNames)
        {
            var all = ok.SelectMany(v => v.PerFrame).Where(p => p.Values.ContainsKey(n)).ToList();
            var realOnly = all.Where(p => !p.Padded).ToList();
            run.Metrics[n] = all.Count > 0 ? all.Average(p => p.Values[n]) : null;
            run.MetricsRealFrames[n] = realOnly.Count > 0 ? realOnly.Average(p => p.Values[n]) : null;
        }
        if (!metrics.Any(m => m.Name.StartsWith(Lpips, StringComparison.Ordinal)))
            run.Warnings.Add("LPIPS not computed (no LPIPS weights given): reported as n/a");

        if (options.FvdExtractor is not { } extractor)
        {
            run.Warnings.Add("FVD not computed (no I3D weights given): reported as n/a");
        }
        else
        {
            run.FvdFeatures = extractor.Name;
            run.FvdClips = real!.Count;
            var window = options.FvdClipFrames;
            if (!options.LongVideo && ClipFrames < window)
                run.Warnings.Add($"FVD needs clips of at least {window} frames (the I3D protocol), these have {ClipFrames}: reported as n/a");
            else if (real.Count < 2)
                run.Warnings.Add($"FVD needs at least 2 clips of {window} frames, got {real.Count}: reported as n/a");
            else
            {
                using var scope = NewDisposeScope();
                run.Fvd = FrechetDistance.Compute(cat(real, 0), cat(fake!, 0));
            }
        }

        foreach (var g in tokenizer.Card.TokenGroups)
        {
            var usage = run.Usages[g.Name] = new CodebookUsage((int)g.CodebookSize);
            foreach (var v in ok) if (v.Usages.TryGetValue(g.Name, out var u)) usage.Add(u);
            run.Codebooks[g.Name] = CodebookStats.From(usage);
        }
        if (run.Failed > 0) run.Warnings.Add($"{run.Failed} of {run.Videos.Count} videos failed and are left out of the means");
    }

    /// <summary>Up to <paramref name="count"/> frame indices spread evenly over <paramref name="frames"/>.</summary>
    internal static int[] SampleIndices(int frames, int count)
    {
        if (frames <= 0 || count <= 0) return [];
        if (count == 1 || frames == 1) return [frames / 2];
        return Enumerable.Range(0, Math.Min(count, frames))
            .Select(i => (int)Math.Round(i * (frames - 1) / (double)(Math.Min(count, frames) - 1)))
            .Distinct().ToArray();
    }

    private sealed class Progress(Action<EvalProgress> report) : IProgress<EvalProgress>
    {
        public void Report(EvalProgress value) => report(value);
    }
}
