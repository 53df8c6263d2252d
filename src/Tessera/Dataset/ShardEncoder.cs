using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using Tessera.Inference;
using Tessera.Nn;
using Tessera.Quantizers;
using Tessera.Tokens;
using Tessera.Video;
using static TorchSharp.torch;

namespace Tessera.Dataset;

/// <summary>What a shard encode is told about the model besides the tokenizer itself (recorded in every sample).</summary>
internal sealed record ShardModel(string Name, string? Sha256, string? WeightsName, string? WeightsSha256);

/// <summary>What one call of <see cref="ShardEncoder.Encode"/> did.</summary>
internal sealed record ShardOutcome(bool AlreadyDone, ShardMarker Marker, int EncodedThisRun, int ResumedClips);

/// <summary>
/// Encodes one shard of a <see cref="DatasetPlan"/> into WebDataset tars, a Parquet index, a report and a done-marker.
/// Finished clips are kept in a hidden work folder as they complete and packed into a tar (written whole, then renamed)
/// once its clips are all done, so a killed run resumes after its last finished clip and, since encoding and packing are
/// deterministic, ends with the same bytes as a run that was never interrupted.
/// </summary>
internal sealed class ShardEncoder(DatasetPlan plan, VideoTokenizer tokenizer, ShardModel model, int maxCount)
{
    private const string SampleSuffix = ".safetensors";
    private const string RecordSuffix = ".json";
    private const string ErrorSuffix = ".error.json";

    /// <summary>Status lines ("shard 2: 10/40 clips").</summary>
    public Action<string> Progress { get; init; } = _ => { };

    /// <summary>
    /// Per-channel statistics to normalise latents with (<c>z_norm = (z − latents_mean) · scaling_factor / latents_std</c>,
    /// the scaling factor from <see cref="Encoding"/>), recorded in every
    /// sample's record and token file metadata; null writes the posterior means as they are.
    /// </summary>
    public LatentStatistics? Normalization { get; init; }

    /// <summary>Posterior (mean or seeded sample), log-variance, scaling factor, vocabulary offset, Megatron output.</summary>
    public ShardEncoding Encoding { get; init; } = new();

    /// <summary>Called between clips; throws to stop (the finished clips stay for the next run).</summary>
    public Action CheckCancelled { get; init; } = () => { };

    /// <summary>
    /// Encodes shard <paramref name="shard"/> into <paramref name="output"/>, resuming after the clips an earlier run finished.
    /// <paramref name="cancellationToken"/> is checked between clips and after every encoder block; a cancelled run throws
    /// <see cref="OperationCanceledException"/>, keeps the clips it finished for the next run and leaves no half-written file
    /// (every file is written to a temporary and renamed; the clip in progress writes nothing).
    /// </summary>
    /// <exception cref="InvalidInputException">The shard does not exist, or the output holds another plan's work.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public ShardOutcome Encode(int shard, string output, CancellationToken cancellationToken = default)
    {

        if (shard < 0 || shard >= plan.Shards)
            throw new InvalidInputException($"shard {shard} does not exist: the plan has {plan.Shards} shards (0 to {plan.Shards - 1})");
        if (maxCount <= 0) throw new InvalidInputException($"--max-count must be positive, got {maxCount}");
        if (Normalization is { } n && (tokenizer.Card.IsDiscrete || n.Mean.Count != tokenizer.Card.LatentChannels))
            throw new InvalidInputException(tokenizer.Card.IsDiscrete
                ? $"normalisation applies to continuous latents; model '{tokenizer.Card.Name}' is discrete (token ids)"
                : $"the statistics have {n.Mean.Count} channels, model '{tokenizer.Card.Name}' makes {tokenizer.Card.LatentChannels}");
        CheckEncoding();
        Directory.CreateDirectory(output);
        var planSha = plan.Sha256();
        var normSha = Normalization?.Sha256();
        var settings = Encoding.Describe();
        var markerPath = Path.Combine(output, ShardFiles.Marker(shard));
        if (File.Exists(markerPath))
        {
            var done = ShardMarker.Load(markerPath);
            if (done.PlanSha256 != planSha)
                throw new InvalidInputException($"'{output}' already holds shard {shard} of another plan (plan SHA-256 {done.PlanSha256[..12]}…); use another output folder");
            if (done.NormalizationSha256 != normSha)
                throw new InvalidInputException($"'{output}' already holds shard {shard} encoded with {(done.NormalizationSha256 is null ? "no" : "other")} normalisation; use another output folder");
            if (done.Encoding != settings)
                throw new InvalidInputException($"'{output}' already holds shard {shard} encoded with settings '{done.Encoding ?? "default"}', not '{settings ?? "default"}'; use another output folder");
            return new ShardOutcome(true, done, 0, 0);
        }

        var work = Path.Combine(output, ShardFiles.Work(shard));
        Directory.CreateDirectory(work);
        using var lockFile = Lock(work, shard);
        var planFile = Path.Combine(work, "plan.sha256");
        var identity = planSha + (normSha is null ? "" : "+" + normSha) + (settings is null ? "" : "+" + settings);
        if (File.Exists(planFile) && File.ReadAllText(planFile).Trim() != identity)
            throw new InvalidInputException($"'{work}' holds an unfinished shard {shard} of another plan or normalisation; delete it or use another output folder");
        File.WriteAllText(planFile, identity);
        RemoveTemporaries(output, work, shard);

        var clips = plan.ShardClips(shard);
        var parts = clips.Chunk(maxCount).ToArray();
        var watch = Stopwatch.StartNew();
        var encoded = 0;
        long framesEncoded = 0;
        var resumed = 0;
        var videos = new VideoCache(plan);
        try
        {
        for (var p = 0; p < parts.Length; p++)
        {
            var tar = Path.Combine(output, ShardFiles.Tar(shard, p));
            if (File.Exists(tar))
            {
                resumed += parts[p].Length;
                continue;
            }
            for (var i = 0; i < parts[p].Length; i++)
            {
                var clip = parts[p][i];
                if (IsFinished(work, clip.Key))
                {
                    resumed++;
                    continue;
                }
                cancellationToken.ThrowIfCancellationRequested();
                CheckCancelled();
                var later = clips.Skip(p * maxCount + i).Where(c => c.Video == clip.Video).Max(c => c.Start + c.Frames);
                EncodeClip(work, clip, videos, later, cancellationToken);
                encoded++;
                framesEncoded += clip.Frames;
                Progress(string.Create(CultureInfo.InvariantCulture, $"shard {shard}: {p * maxCount + i + 1}/{clips.Count} clips"));
            }
            cancellationToken.ThrowIfCancellationRequested();
            Pack(work, tar, parts[p]);
        }
        }
        finally
        {
            videos.Dispose();
        }
        cancellationToken.ThrowIfCancellationRequested();

        var marker = Finish(shard, output, work, clips, parts.Length, planSha) with { NormalizationSha256 = normSha, Encoding = settings };
        var timing = new ShardTiming(shard, encoded, framesEncoded, watch.Elapsed.TotalSeconds, get_num_threads());
        AtomicFile.Write(Path.Combine(output, ShardFiles.Timing(shard)), s => s.Write(timing.ToBytes()));
        marker.Save(markerPath);
        lockFile.Dispose();
        Directory.Delete(work, recursive: true);
        return new ShardOutcome(false, marker, encoded, resumed);
    }

    private static FileStream Lock(string work, int shard)
    {
        try
        {
            return new FileStream(Path.Combine(work, "lock"), FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        }
        catch (IOException)
        {
            throw new InvalidInputException($"shard {shard} is being encoded by another process (its work folder '{work}' is locked)");
        }
    }

    // Temporaries of this shard's own files only: other shards may be writing theirs into the same folder right now.
    private static void RemoveTemporaries(string output, string work, int shard)
    {
        var stem = "." + ShardFiles.Stem(shard);
        foreach (var f in Directory.EnumerateFiles(output, stem + "*.tmp"))
        {
            var rest = Path.GetFileName(f)[stem.Length..];
            if (rest.StartsWith('-') || rest.StartsWith('.')) File.Delete(f);
        }
        foreach (var f in Directory.EnumerateFiles(work, "*.tmp")) File.Delete(f);
    }

    private static bool IsFinished(string work, string key) =>
        File.Exists(Path.Combine(work, key + ErrorSuffix)) ||
        (File.Exists(Path.Combine(work, key + SampleSuffix)) && File.Exists(Path.Combine(work, key + RecordSuffix)));

    private void EncodeClip(string work, PlanClip clip, VideoCache videos, int framesNeeded, CancellationToken cancellationToken)
    {
        var video = plan.Videos[clip.Video];
        try
        {
            var frames = videos.Get(clip.Video, framesNeeded);
            if (frames.Clip.FrameCount < clip.Start + clip.Frames)
                throw new InvalidVideoException($"{video.Path}: has {frames.Clip.FrameCount} sampled frames, fewer than the {clip.Start + clip.Frames} the plan's window {clip.Key} needs (the probe overestimated its length)");
            using var view = frames.Clip.Frames.narrow(0, clip.Start, clip.Frames);
            using var window = new VideoClip(view.clone(), frames.Clip.Fps, frames.Clip.Source);
            using var code = Normalize(Posterior(EncodeWindow(window, cancellationToken), clip.Key));
            var record = Record(clip, video, frames, window, code);
            TokenFile.Save(Path.Combine(work, clip.Key + SampleSuffix), code, new TokenFileInfo
            {
                Source = video.Name,
                SourceBytes = frames.Bytes,
                SourceSha256 = frames.Sha256,
                Fps = window.Fps,
                Start = clip.Start * (double)video.Interval / video.Fps,
                OriginalSize = (video.Height, video.Width),
                ProcessedSize = (window.Height, window.Width),
                ModelSource = model.Name,
                ModelSha256 = model.Sha256,
                WeightsSource = model.WeightsName,
                WeightsSha256 = model.WeightsSha256,
                IncludeLogVar = Encoding.LogVar,
                Extra = Metadata(record),
            });
            AtomicFile.Write(Path.Combine(work, clip.Key + RecordSuffix), s => s.Write(record.ToBytes()));
        }
        catch (TesseraException e)
        {
            var failure = new ShardFailure(clip.Key, video.Name, e.Message);
            AtomicFile.Write(Path.Combine(work, clip.Key + ErrorSuffix), s => s.Write(System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(failure)));
            Progress($"clip {clip.Key} of {video.Name} failed: {e.Message}");
        }
    }

    private VideoCode EncodeWindow(VideoClip clip, CancellationToken cancellationToken)
    {
        // No dispose scope here: the code the facade returns would be freed with it.
        using var input = clip.ToModelInput();
        using var x = tokenizer.Card.Range.FromSigned(input);
        return tokenizer.Encode(x, cancellationToken);
    }

    private void CheckEncoding()
    {
        var e = Encoding;
        var card = tokenizer.Card;
        if (card.IsDiscrete && (e.SampleSeed is not null || e.LogVar))
            throw new InvalidInputException($"posterior sampling and log-variance apply to continuous latents; model '{card.Name}' is discrete (token ids)");
        if (!card.IsDiscrete && (e.VocabularyOffset != 0 || e.Megatron))
            throw new InvalidInputException($"a vocabulary offset and the Megatron format apply to token ids; model '{card.Name}' is continuous (latents)");
        if (e.ScalingFactor != 1 && (Normalization is null || !double.IsFinite(e.ScalingFactor) || e.ScalingFactor <= 0))
            throw new InvalidInputException(Normalization is null
                ? "a scaling factor belongs to the normalisation: give the statistics too (--normalize)"
                : $"the scaling factor must be positive and finite, got {e.ScalingFactor}");
        if (e.LogVar && e.SampleSeed is not null)
            throw new InvalidInputException("store the log-variance with the posterior mean (trainers resample from both), not with a sample");
        if (e.VocabularyOffset < 0) throw new InvalidInputException($"the vocabulary offset must not be negative, got {e.VocabularyOffset}");
        if (tokenizer.Options.Latent != LatentMode.Mean)
            throw new InvalidInputException("the shard encoder samples the posterior itself, seeded per clip (ShardEncoding.SampleSeed); give it a tokenizer that returns the posterior mean");
    }

    /// <summary>The posterior mean as the tokenizer returns it, or a sample drawn with the clip's own seed.</summary>
    private VideoCode Posterior(VideoCode code, string key)
    {
        if (Encoding.SampleSeed is not { } seed || code is not Latents latents) return code;
        using (code)
        {
            var logVar = latents.LogVar ?? throw new InvalidInputException($"model '{code.Config.Name}' gives no posterior log-variance to sample with");
            using var generator = new Generator(ShardEncoding.ClipSeed(seed, key));
            var z = new DiagonalGaussian((int)latents.Values.shape[1]).Sample(latents.Values, logVar, generator);
            return new Latents(z, code.Config, code.Frames, code.LeadingFrames, logVar.clone());
        }
    }

    // The log-variance moves with the latents: scaling z by a = scaling_factor / std adds 2·ln a to its log-variance.
    private VideoCode Normalize(VideoCode code)
    {
        if (Normalization is not { } n || code is not Latents latents) return code;
        using (code)
        {
            var shape = new long[] { 1, n.Mean.Count, 1, 1, 1 };
            var sf = Encoding.ScalingFactor;
            using var mean = tensor(n.Mean.Select(v => (float)v).ToArray()).view(shape);
            using var scale = tensor(n.Std.Select(v => (float)(sf / v)).ToArray()).view(shape);
            using var shift = tensor(n.Std.Select(v => (float)(2 * Math.Log(sf / v))).ToArray()).view(shape);
            return new Latents(latents.Values.sub(mean).mul_(scale), code.Config, code.Frames, code.LeadingFrames, latents.LogVar?.add(shift, Scalars.One));
        }
    }

    /// <summary>The token file metadata beyond the usual: normalisation, posterior, FSQ levels, vocabulary offset.</summary>
    private Dictionary<string, string>? Metadata(SampleRecord record)
    {
        var meta = new Dictionary<string, string>();
        if (record.Normalized)
        {
            meta["normalized"] = "true";
            meta["normalization"] = SampleRecord.NormalizationFormula;
            meta["latents_mean"] = System.Text.Json.JsonSerializer.Serialize(record.LatentsMean);
            meta["latents_std"] = System.Text.Json.JsonSerializer.Serialize(record.LatentsStd);
        }
        if (record.ScalingFactor is { } sf) meta["scaling_factor"] = sf.ToString("R", CultureInfo.InvariantCulture);
        if (record.Posterior is { } p) meta["posterior"] = p;
        if (record.Seed is { } seed) meta["seed"] = seed.ToString(CultureInfo.InvariantCulture);
        if (record.SampleSeed is { } clipSeed) meta["sample_seed"] = clipSeed.ToString(CultureInfo.InvariantCulture);
        if (record.VocabularyOffset is { } offset) meta["vocab_offset"] = offset.ToString(CultureInfo.InvariantCulture);
        if (record.TokenGroups is [{ Levels: { } levels }]) meta["fsq_levels"] = string.Join(",", levels);
        return meta.Count == 0 ? null : meta;
    }

    private SampleRecord Record(PlanClip clip, PlanVideo video, VideoCache.Entry frames, VideoClip window, VideoCode code)
    {
        var card = code.Card;
        IReadOnlyList<long> shape;
        IReadOnlyList<SampleGroup> groups;
        long elements;
        string kind;
        string dtype;
        if (code is TokenIds ids)
        {
            groups = card.TokenGroups.Select(g => new SampleGroup(g.Name, ids[g.Name].shape.Skip(1).ToArray(), g.CodebookSize, g.Levels)).ToArray();
            shape = groups[0].Shape;
            elements = ids.Count;
            kind = SampleRecord.TokensKind;
            dtype = "int32";
        }
        else
        {
            var latents = (Latents)code;
            shape = latents.Values.shape.Skip(1).ToArray();
            groups = [];
            elements = latents.Values.numel();
            kind = SampleRecord.LatentsKind;
            dtype = "float32";
        }
        var continuous = kind == SampleRecord.LatentsKind;
        var seed = continuous ? Encoding.SampleSeed : null;
        return new SampleRecord(clip.Key, video.Name, frames.Sha256, video.Index, clip.Start, clip.Frames,
            (long)clip.Start * video.Interval, video.Interval, window.Fps, video.Fps, video.Width, video.Height, window.Width, window.Height,
            plan.Sampling.Resize, kind, shape, dtype, groups, elements, model.Name, model.Sha256, model.WeightsSha256,
            code.Config.FamilyName, card.Compression.ToString(), Normalization is not null, TesseraInfo.Version,
            Normalization?.Mean, Normalization?.Std,
            ScalingFactor: continuous ? Encoding.ScalingFactor : null,
            Normalization: Normalization is null ? null : SampleRecord.NormalizationFormula,
            Posterior: continuous ? Encoding.Posterior : null,
            Seed: seed,
            SampleSeed: seed is { } s ? ShardEncoding.ClipSeed(s, clip.Key) : null,
            LogVar: continuous ? Encoding.LogVar : null,
            VocabularyOffset: continuous ? null : Encoding.VocabularyOffset);
    }

    private static void Pack(string work, string tar, IReadOnlyList<PlanClip> part)
    {
        var members = new List<(string, byte[])>();
        foreach (var clip in part)
        {
            var sample = Path.Combine(work, clip.Key + SampleSuffix);
            if (!File.Exists(sample)) continue; // failed: listed in the report
            members.Add((clip.Key + SampleSuffix, File.ReadAllBytes(sample)));
            members.Add((clip.Key + RecordSuffix, File.ReadAllBytes(Path.Combine(work, clip.Key + RecordSuffix))));
        }
        AtomicFile.Write(tar, s => UstarArchive.Write(s, members));
        foreach (var clip in part)
        {
            File.Delete(Path.Combine(work, clip.Key + SampleSuffix));
            File.Delete(Path.Combine(work, clip.Key + RecordSuffix));
        }
    }

    private ShardMarker Finish(int shard, string output, string work, IReadOnlyList<PlanClip> clips, int parts, string planSha)
    {
        var rows = new List<ShardIndexRow>();
        var files = new List<string>();
        var sequences = new List<long[]>();
        long vocabulary = 0;
        long frames = 0, elements = 0;
        for (var p = 0; p < parts; p++)
        {
            var name = ShardFiles.Tar(shard, p);
            var tar = Path.Combine(output, name);
            files.Add(name);
            var members = UstarArchive.List(tar);
            for (var i = 0; i + 1 < members.Count; i += 2)
            {
                var record = SampleRecord.Parse(UstarArchive.Read(tar, members[i + 1]), $"{tar}: {members[i + 1].Name}");
                rows.Add(ShardIndexRow.From(record, shard, name, members[i], members[i + 1]));
                frames += record.WindowFrames;
                elements += record.Elements;
                if (Encoding.Megatron)
                {
                    var sample = UstarArchive.Read(tar, members[i]);
                    sequences.Add(record.TokenGroups.SelectMany(g => SampleTensors.Int32(sample, g.Name, $"{tar}: {members[i].Name}"))
                        .Select(id => id + Encoding.VocabularyOffset).ToArray());
                    vocabulary = Math.Max(vocabulary, Encoding.VocabularyOffset + record.TokenGroups.Max(g => g.CodebookSize));
                }
            }
        }
        var failures = clips.Select(c => Path.Combine(work, c.Key + ErrorSuffix)).Where(File.Exists)
            .Select(f => System.Text.Json.JsonSerializer.Deserialize<ShardFailure>(File.ReadAllBytes(f))!).ToArray();
        var index = ShardFiles.Index(shard);
        ShardIndexRow.Save(Path.Combine(output, index), rows, new Dictionary<string, string>
        {
            ["tessera_format"] = ShardMarker.CurrentFormat,
            ["plan_sha256"] = planSha,
            ["shard"] = shard.ToString(CultureInfo.InvariantCulture),
        });
        files.Add(index);
        if (Encoding.Megatron)
        {
            if (sequences.Count == 0) vocabulary = Encoding.VocabularyOffset + tokenizer.Card.TokenGroups.Max(g => g.CodebookSize);
            MegatronIndexedDataset.Write(Path.Combine(output, ShardFiles.MegatronBin(shard)), Path.Combine(output, ShardFiles.MegatronIdx(shard)),
                sequences, MegatronIndexedDataset.CodeFor(vocabulary));
            files.Add(ShardFiles.MegatronBin(shard));
            files.Add(ShardFiles.MegatronIdx(shard));
        }
        var report = ShardFiles.Report(shard);
        AtomicFile.Write(Path.Combine(output, report), s => s.Write(new ShardReport(shard, failures).ToBytes()));
        files.Add(report);
        return new ShardMarker(ShardMarker.CurrentFormat, shard, plan.Shards, planSha, clips.Count, rows.Count, failures.Length,
            frames, elements, files.Select(f => ShardFile.Of(output, f)).ToArray());
    }

    /// <summary>The last video read (sampled and resized), its size and SHA-256: consecutive clips of one video read it once.</summary>
    private sealed class VideoCache(DatasetPlan plan) : IDisposable
    {
        public sealed record Entry(VideoClip Clip, long Bytes, string Sha256);

        private int video = -1;
        private Entry? entry;
        private TesseraException? failure;

        public Entry Get(int index, int frames)
        {
            if (index == video && failure is not null) throw failure;
            if (index == video && entry is not null && entry.Clip.FrameCount >= frames) return entry;
            var v = plan.Videos[index];
            if (index != video || entry is null)
            {
                entry?.Clip.Dispose();
                entry = null;
            }
            video = index;
            failure = null;
            try
            {
                var sampling = plan.Sampling.ToSampling();
                var clip = VideoReader.Read(v.Path, sampling.Read(frames));
                var (bytes, sha) = entry is { } old ? (old.Bytes, old.Sha256) : Digest(v.Path);
                entry?.Clip.Dispose();
                entry = new Entry(clip, bytes, sha);
                return entry;
            }
            catch (TesseraException e)
            {
                failure = e;
                throw;
            }
        }

        private static (long, string) Digest(string path)
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20);
            return (stream.Length, Convert.ToHexStringLower(SHA256.HashData(stream)));
        }

        public void Dispose() => entry?.Clip.Dispose();
    }
}
