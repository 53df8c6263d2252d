using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Tessera.Training.Optim;

/// <summary>
/// LitEma: shadow copies s ← s − (1 − d)·(s − p) of trainable parameters with d = min(decay, (1+n)/(10+n))
/// after n updates. State tensors are named as the official checkpoint's <c>model_ema.decay</c>,
/// <c>model_ema.num_updates</c> (int32) and <c>model_ema.&lt;parameter name without dots&gt;</c>.
/// </summary>
internal sealed class Ema : IDisposable
{
    private readonly Dictionary<string, Tensor> shadow = new();
    private readonly Dictionary<string, string> shadowName = new();
    private List<Tensor>? stored;

    /// <summary>Shadows every parameter of <paramref name="parameters"/> that requires grad.</summary>
    public Ema(IEnumerable<(string Name, Parameter Param)> parameters, float decay = 0.9999f, bool useNumUpdates = true)
    {
        if (decay < 0 || decay > 1) throw new ArgumentOutOfRangeException(nameof(decay), "decay must be between 0 and 1");
        Decay = decay;
        NumUpdates = useNumUpdates ? 0 : -1;
        foreach (var (name, p) in parameters)
        {
            if (!p.requires_grad) continue;
            var s = name.Replace(".", "");
            shadowName[name] = s;
            shadow[s] = p.detach().clone().DetachFromDisposeScope();
        }
    }

    /// <summary>The maximum decay.</summary>
    public float Decay { get; private set; }

    /// <summary>Updates so far, or −1 when the warm-up schedule is off.</summary>
    public int NumUpdates { get; private set; }

    /// <summary>One EMA update from the current parameter values (the same names as at construction).</summary>
    public void Update(IEnumerable<(string Name, Parameter Param)> parameters)
    {
        var decay = Decay;
        if (NumUpdates >= 0)
        {
            NumUpdates++;
            decay = Math.Min(Decay, (float)(1 + NumUpdates) / (10 + NumUpdates));
        }
        using var oneMinus = (1.0f - decay).ToScalar();
        using var _ = no_grad();
        foreach (var (name, p) in parameters)
        {
            if (!p.requires_grad) continue;
            var s = shadow[shadowName[name]];
            using var diff = s - p;
            s.sub_(diff.mul_(oneMinus));
        }
    }

    /// <summary>Copies the shadow values into the parameters.</summary>
    public void CopyTo(IEnumerable<(string Name, Parameter Param)> parameters)
    {
        using var _ = no_grad();
        foreach (var (name, p) in parameters)
            if (p.requires_grad) p.copy_(shadow[shadowName[name]]);
    }

    /// <summary>Stores the current values, then copies the shadows in (the reference's ema_scope entry); undo with <see cref="Restore"/>.</summary>
    public void Apply(IReadOnlyList<(string Name, Parameter Param)> parameters)
    {
        Store(parameters.Select(p => p.Param));
        CopyTo(parameters);
    }

    /// <summary>Remembers the current parameter values for <see cref="Restore"/>.</summary>
    public void Store(IEnumerable<Parameter> parameters)
    {
        DisposeStored();
        stored = parameters.Select(p => p.detach().clone().DetachFromDisposeScope()).ToList();
    }

    /// <summary>Writes the values remembered by <see cref="Store"/> back, in the same order.</summary>
    public void Restore(IEnumerable<Parameter> parameters)
    {
        if (stored is null) throw new InvalidOperationException("Restore called before Store");
        using var _ = no_grad();
        foreach (var (s, p) in stored.Zip(parameters)) p.copy_(s);
    }

    /// <summary>The shadow tensor of a parameter name (with dots).</summary>
    public Tensor Shadow(string parameterName) => shadow[shadowName[parameterName]];

    /// <summary>Named state in the official layout: decay, num_updates, then one shadow per parameter (live tensors).</summary>
    public IEnumerable<(string Name, Tensor Tensor)> StateTensors(string prefix = "model_ema.")
    {
        yield return (prefix + "decay", tensor(Decay));
        yield return (prefix + "num_updates", tensor(NumUpdates));
        foreach (var (s, t) in shadow) yield return (prefix + s, t);
    }

    /// <summary>Restores state written by <see cref="StateTensors"/> (or read from an official checkpoint).</summary>
    public void LoadState(IReadOnlyDictionary<string, Tensor> tensors, string prefix = "model_ema.")
    {
        using var _ = no_grad();
        if (tensors.TryGetValue(prefix + "decay", out var d)) Decay = d.to_type(ScalarType.Float32).item<float>();
        if (tensors.TryGetValue(prefix + "num_updates", out var n)) NumUpdates = (int)n.to_type(ScalarType.Int64).item<long>();
        foreach (var (s, t) in shadow)
        {
            if (!tensors.TryGetValue(prefix + s, out var src))
                throw new InvalidDataException($"EMA state lacks '{prefix + s}'");
            t.copy_(src);
        }
    }

    /// <summary>Disposes shadow and stored tensors.</summary>
    public void Dispose()
    {
        foreach (var t in shadow.Values) t.Dispose();
        shadow.Clear();
        DisposeStored();
    }

    private void DisposeStored()
    {
        if (stored is null) return;
        foreach (var t in stored) t.Dispose();
        stored = null;
    }
}
