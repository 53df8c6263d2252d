using Tessera.Nn;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Tessera.Training.Optim;

/// <summary>
/// torch.optim.Adam's single-tensor algorithm (no weight decay, no amsgrad): m ← β1·m + (1−β1)·g,
/// v ← β2·v + (1−β2)·g², p ← p − (lr / (1−β1^t))·m / (√v / √(1−β2^t) + ε), with a step count t per parameter.
/// Parameters without a gradient are skipped and get no state, as in torch. The state is exposed as named
/// tensors (<c>{prefix}{name}.step|exp_avg|exp_avg_sq</c>) for saving and restoring.
/// </summary>
internal sealed class Adam : IDisposable
{
    private readonly (string Name, Parameter Param)[] parameters;
    private readonly Dictionary<string, State> state = new();

    private readonly HashSet<string> decayed = new(StringComparer.Ordinal);

    /// <summary>Creates the optimiser over named parameters (names must be unique; they key the saved state).</summary>
    /// <param name="weightDecay">AdamW's decoupled weight decay (p ← p·(1 − lr·wd) before the update) for the parameters <paramref name="decays"/> selects by name; 0 is plain Adam.</param>
    /// <param name="parameters">The named parameters to update.</param>
    /// <param name="lr">Learning rate.</param>
    /// <param name="beta1">Decay of the first-moment average.</param>
    /// <param name="beta2">Decay of the second-moment average.</param>
    /// <param name="eps">Added to the root of the second moment.</param>
    /// <param name="decays">Selects by name the parameters that get weight decay; null for all.</param>
    public Adam(IEnumerable<(string Name, Parameter Param)> parameters, double lr, double beta1 = 0.9, double beta2 = 0.999, double eps = 1e-8,
        double weightDecay = 0, Func<string, bool>? decays = null)
    {
        this.parameters = parameters.ToArray();
        var dup = this.parameters.GroupBy(p => p.Name).FirstOrDefault(g => g.Count() > 1);
        if (dup is not null) throw new ArgumentException($"duplicate parameter name '{dup.Key}'", nameof(parameters));
        LearningRate = lr;
        Beta1 = beta1;
        Beta2 = beta2;
        Eps = eps;
        WeightDecay = weightDecay;
        if (weightDecay > 0)
            foreach (var (name, _) in this.parameters)
                if (decays?.Invoke(name) ?? true) decayed.Add(name);
    }

    /// <summary>Decoupled weight decay (AdamW) of the decayed parameters.</summary>
    public double WeightDecay { get; }

    /// <summary>Learning rate used by the next <see cref="Step"/>.</summary>
    public double LearningRate { get; set; }
    /// <summary>First-moment decay.</summary>
    public double Beta1 { get; }
    /// <summary>Second-moment decay.</summary>
    public double Beta2 { get; }
    /// <summary>Denominator epsilon.</summary>
    public double Eps { get; }

    /// <summary>The optimised parameters with their names.</summary>
    public IReadOnlyList<(string Name, Parameter Param)> Parameters => parameters;

    /// <summary>Drops every gradient (torch's zero_grad(set_to_none=True)).</summary>
    public void ZeroGrad()
    {
        foreach (var (_, p) in parameters) p.grad = null;
    }

    /// <summary>One Adam update of every parameter that has a gradient.</summary>
    public void Step()
    {
        using var _ = no_grad();
        foreach (var (name, p) in parameters)
        {
            var grad = p.grad;
            if (grad is null) continue;
            if (!state.TryGetValue(name, out var s))
            {
                s = new State(zeros_like(p).DetachFromDisposeScope(), zeros_like(p).DetachFromDisposeScope());
                state[name] = s;
            }
            s.Step += 1;
            if (decayed.Contains(name))
            {
                using var decay = (1 - LearningRate * WeightDecay).ToScalar();
                p.mul_(decay);
            }
            s.ExpAvg.mul_(Scalars.Of(Beta1)).add_(grad, alpha: Scalars.Of(1 - Beta1));
            s.ExpAvgSq.mul_(Scalars.Of(Beta2)).addcmul_(grad, grad, value: Scalars.Of(1 - Beta2));
            // torch keeps the count as a float32 tensor and reads it back as a double for the corrections.
            double t = (float)s.Step;
            var bc1 = 1 - Math.Pow(Beta1, t);
            var bc2 = 1 - Math.Pow(Beta2, t);
            var stepSize = LearningRate / bc1;
            using var denom = (s.ExpAvgSq.sqrt() / Math.Sqrt(bc2)).add_(Scalars.Of(Eps), Scalars.One);
            using var negativeStep = (-stepSize).ToScalar();
            p.addcdiv_(s.ExpAvg, denom, value: negativeStep);
        }
    }

    /// <summary>Step count of a parameter (0 before its first update).</summary>
    public long StepCount(string name) => state.TryGetValue(name, out var s) ? s.Step : 0;

    /// <summary>
    /// The state as named tensors: <c>{prefix}{name}.step</c> (0-dim float32, as torch stores it),
    /// <c>.exp_avg</c> and <c>.exp_avg_sq</c>, for parameters that have state. The moment tensors are the live
    /// buffers (not copies); the step tensors are new.
    /// </summary>
    public IEnumerable<(string Name, Tensor Tensor)> StateTensors(string prefix = "")
    {
        foreach (var (name, _) in parameters)
        {
            if (!state.TryGetValue(name, out var s)) continue;
            yield return ($"{prefix}{name}.step", tensor((float)s.Step));
            yield return ($"{prefix}{name}.exp_avg", s.ExpAvg);
            yield return ($"{prefix}{name}.exp_avg_sq", s.ExpAvgSq);
        }
    }

    /// <summary>
    /// Restores state written by <see cref="StateTensors"/>: parameters with all three entries get copies of them,
    /// parameters without entries start fresh. Shapes must match the parameters.
    /// </summary>
    public void LoadState(IReadOnlyDictionary<string, Tensor> tensors, string prefix = "")
    {
        foreach (var (name, p) in parameters)
        {
            var found = tensors.TryGetValue($"{prefix}{name}.step", out var step);
            found &= tensors.TryGetValue($"{prefix}{name}.exp_avg", out var m);
            found &= tensors.TryGetValue($"{prefix}{name}.exp_avg_sq", out var v);
            if (state.Remove(name, out var old)) old.Dispose();
            if (!found) continue;
            if (!m!.shape.SequenceEqual(p.shape) || !v!.shape.SequenceEqual(p.shape))
                throw new InvalidDataException($"Adam state for '{name}' has shape [{string.Join(", ", m.shape)}], parameter has [{string.Join(", ", p.shape)}]");
            using var _ = no_grad();
            state[name] = new State(m.to(p.dtype, p.device).clone().DetachFromDisposeScope(), v.to(p.dtype, p.device).clone().DetachFromDisposeScope())
            {
                Step = (long)step!.to_type(ScalarType.Float64).item<double>(),
            };
        }
    }

    /// <summary>Disposes the moment buffers.</summary>
    public void Dispose()
    {
        foreach (var s in state.Values) s.Dispose();
        state.Clear();
    }

    private sealed class State(Tensor expAvg, Tensor expAvgSq) : IDisposable
    {
        public long Step;
        public Tensor ExpAvg { get; } = expAvg;
        public Tensor ExpAvgSq { get; } = expAvgSq;

        public void Dispose()
        {
            ExpAvg.Dispose();
            ExpAvgSq.Dispose();
        }
    }
}
