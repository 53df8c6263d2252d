using System.Diagnostics.CodeAnalysis;

namespace Tessera.Models;

/// <summary>
/// What the family-neutral layers need from one model family: naming its configs (presets, config files),
/// (de)serialising them for file metadata, building a model and loading its weights. Register one instance
/// per family in <see cref="ModelFamilies"/>.
/// </summary>
internal abstract class ModelFamilyProvider
{
    /// <summary>The name files record as <c>model_family</c>, e.g. <c>vidtok</c>.</summary>
    public abstract string Name { get; }

    /// <summary>
    /// The config a model argument names when it is this family's: a preset name or a config file the family reads.
    /// False when the argument is not this family's.
    /// </summary>
    public abstract bool TryResolve(string model, [NotNullWhen(true)] out ModelConfig? config);

    /// <summary>The configurations the family knows by name, in listing order, with one line each.</summary>
    public virtual IReadOnlyList<(string Name, string Description)> Presets => [];

    /// <summary>Preset names closest to <paramref name="model"/>, for error messages.</summary>
    public virtual IReadOnlyList<string> ClosestNames(string model) => [];

    public abstract string WriteConfig(ModelConfig config);

    /// <summary>Parses <see cref="WriteConfig"/>'s form; <paramref name="where"/> names the source in errors.</summary>
    public abstract ModelConfig ReadConfig(string json, string where);

    public abstract TokenizerModel Create(ModelConfig config);

    /// <summary>Loads weights strictly into a model this family built (from any file format the family reads).</summary>
    public abstract void LoadWeights(TokenizerModel model, string path, bool useEma);

    /// <summary>
    /// Loads weights already read from <paramref name="path"/> (named in errors) strictly into a model this family built;
    /// <paramref name="source"/> stays the caller's.
    /// </summary>
    public abstract void LoadWeights(TokenizerModel model, Checkpoints.StateDict source, string path, bool useEma);

    /// <summary>Whether a config file is this family's (a cheap look at marker keys, nothing is validated).</summary>
    public virtual bool ClaimsConfig(Tessera.Configs.ConfigDocument document) => false;

    /// <summary>Extra files <c>tessera convert</c> takes for this family, as (option name, description).</summary>
    public virtual IReadOnlyList<(string Name, string Description)> ConversionInputs => [];

    /// <summary>Converts official weights into one self-describing Tessera model file (atomic).</summary>
    public virtual ConversionResult Convert(ConversionRequest request) =>
        throw new ConfigException($"{Name} models cannot be converted");

    /// <summary>
    /// Per clip of a code, the words its tokens stand for, grouped (e.g. spatial, temporal), with the vocabulary a
    /// model file's metadata records; null when the family has no words.
    /// </summary>
    /// <summary>Whether the family's tokens are words (<see cref="Words"/> names them); <c>tessera words</c> picks such a bundled model by default.</summary>
    public virtual bool HasWords => false;

    public virtual IReadOnlyList<PhraseGroup>? Words(Tessera.Inference.TokenIds code, int clip, IReadOnlyDictionary<string, string> modelMetadata, string modelFile) => null;

    /// <summary>Which of the family's models stream long videos (see <see cref="ModelCard.Streams"/>), for error messages.</summary>
    public virtual string StreamingModels => "none";

    /// <summary>Where an official checkpoint of this preset name is downloaded from ("download X from Y"), or null when
    /// the name is no official preset of this family or its weights are not published.</summary>
    public virtual string? OfficialWeightsSource(string preset) => null;

    /// <summary>The Hub file of a preset's official checkpoint, or null when the name is no official preset of this family.</summary>
    public virtual Tessera.Checkpoints.Hub.HubFile? OfficialCheckpoint(string preset) => null;

    /// <summary>The reconstruction PSNR (dB) published for a model of this family by name, with where it was published; null when none is.</summary>
    public virtual (double Psnr, string Source)? PublishedPsnr(string name) => null;

    /// <summary>Family-specific lines for <c>tessera info</c>: (label, text).</summary>
    public virtual IEnumerable<(string Label, string Text)> Describe(ModelConfig config) => [];

    /// <summary>
    /// Frames and leading frames of a code read from a file without frame metadata (written by another tool),
    /// from its tensors' per-clip shapes (and the frame count, when only that is recorded). Families whose files
    /// always carry the metadata keep the default.
    /// </summary>
    public virtual (int Frames, int LeadingFrames)? FramesWithoutMetadata(ModelConfig config, IReadOnlyDictionary<string, long[]> shapes, int? frames) => null;

    /// <summary>The family's training recipe for a run (<c>tessera train</c>/<c>finetune</c>); families that cannot be trained keep the default.</summary>
    public virtual Tessera.Training.ITrainingObjective CreateTrainingObjective(Tessera.Training.TrainingContext context) =>
        throw new ConfigException($"{Name} models cannot be trained in Tessera");

    /// <summary>A training config file of this family (its official training YAML plus a <c>tessera:</c> section).</summary>
    public virtual Tessera.Training.TrainConfig ReadTrainConfig(string path) =>
        throw new ConfigException($"{path}: {Name} models cannot be trained in Tessera");

    /// <summary>
    /// Whether the trainer may hand the recipe clips of the run's frame count: by default the counts the model takes;
    /// a family whose recipe trains on other counts (SweetTok's spatial pre-training on single frames) checks them itself.
    /// </summary>
    public virtual bool AcceptsTrainingFrames(Tessera.Training.TrainConfig config) => Inference.FrameRules.Accepts(config.Model, config.Clip.Frames);

    /// <summary>Throws <see cref="ConfigException"/> when the run's clip or settings do not fit the model.</summary>
    public virtual void ValidateTraining(Tessera.Training.TrainConfig config) { }

    /// <summary>A short description of a config for the training banner (bottleneck, compression, queries).</summary>
    public virtual string DescribeForTraining(ModelConfig config) => Name;
}
