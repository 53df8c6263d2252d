namespace Tessera.Inference;

/// <summary>The number format the encoder and decoder compute in (<see cref="TokenizerOptions.Precision"/>).</summary>
public enum ComputePrecision
{
    /// <summary>float32 throughout (the default; what the parity tests pin to the reference).</summary>
    Float32,

    /// <summary>
    /// bfloat16 weights and activations in the encoder and decoder; the bottleneck (FSQ rounding, the KL posterior), the
    /// blending of tiles and everything returned stay float32. Fast only on CPUs with bfloat16 instructions
    /// (AVX512-BF16, AMX); elsewhere libtorch emulates it, slower than float32.
    /// </summary>
    BFloat16,

    /// <summary><see cref="BFloat16"/> where the CPU has bfloat16 instructions, else <see cref="Float32"/>.</summary>
    Auto,
}
