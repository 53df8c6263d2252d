using Tessera.Checkpoints;
using Tessera.Models;
using static TorchSharp.torch;

namespace Tessera.Training;

/// <summary>
/// What one model family trains, behind the family-neutral <see cref="Trainer"/>: its model, one iteration
/// (losses, optimiser steps, gradient clipping, EMA), its share of a checkpoint, and the reconstruction the
/// held-out evaluation scores. Families create it through <see cref="ModelFamilyProvider.CreateTrainingObjective"/>.
/// </summary>
internal interface ITrainingObjective : IDisposable
{
    /// <summary>The trained model (float32 master weights).</summary>
    TokenizerModel Model { get; }

    /// <summary>The columns of the training log, in order (<c>total</c> first; <c>sec_per_step</c> last).</summary>
    IReadOnlyList<string> LogColumns { get; }

    /// <summary>Whether the passes run in a reduced precision (a bfloat16 working copy).</summary>
    bool ReducedPrecision { get; }

    /// <summary>One iteration on clips [B, 3, T, S, S] in [-1, 1] after <paramref name="step"/> completed ones; returns the logged values.</summary>
    Dictionary<string, double?> Step(Tensor clips, long step);

    /// <summary>Everything besides the loop's own state a resumed run needs (model weights first, so the file is also a model file).</summary>
    IEnumerable<(string Name, Tensor Value)> StateTensors();

    /// <summary>Plain values the checkpoint's metadata keeps for the family (e.g. running averages).</summary>
    IReadOnlyDictionary<string, string> StateMetadata();

    /// <summary>Restores what <see cref="StateTensors"/> and <see cref="StateMetadata"/> wrote.</summary>
    void LoadState(StateDict checkpoint, string path);

    /// <summary>Swaps in the weights the evaluation uses (EMA when there is one) until disposed.</summary>
    IDisposable EvaluationWeights();

    /// <summary>A held-out clip [1, 3, T, S, S] in [-1, 1] through the model, in [-1, 1] (clamped); called under no_grad.</summary>
    Tensor Reconstruct(Tensor clip);
}

/// <summary>What a family's objective is built from: the run's config, the perceptual distance (if any), the report sink and the finiteness guard.</summary>
internal sealed record TrainingContext(TrainConfig Config, Func<Tensor, Tensor, Tensor>? Perceptual, Action<string> Report, TrainingGuard Guard);
