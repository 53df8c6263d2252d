namespace Tessera;

/// <summary>Base of every error Tessera reports about its inputs; the message names the file and the problem.</summary>
public abstract class TesseraException : Exception
{
    /// <summary>An error with a one-line <paramref name="message"/> that names the file or input and the problem.</summary>
    /// <param name="message">What went wrong, naming the file or input.</param>
    /// <param name="inner">The underlying error, if any.</param>
    protected TesseraException(string message, Exception? inner = null) : base(message, inner) { }
}

/// <summary>A video, image or frame directory that cannot be read or written.</summary>
/// <param name="message">The file and the problem.</param>
/// <param name="inner">The underlying error, if any.</param>
public sealed class InvalidVideoException(string message, Exception? inner = null) : TesseraException(message, inner);

/// <summary>A weights or checkpoint file that is malformed or does not fit the model.</summary>
/// <param name="message">The file and the problem.</param>
/// <param name="inner">The underlying error, if any.</param>
public sealed class CheckpointFormatException(string message, Exception? inner = null) : TesseraException(message, inner);

/// <summary>A token file that is malformed or inconsistent with its metadata.</summary>
/// <param name="message">The file and the problem.</param>
/// <param name="inner">The underlying error, if any.</param>
public sealed class TokenFileFormatException(string message, Exception? inner = null) : TesseraException(message, inner);

/// <summary>A model configuration (preset, YAML, JSON metadata) that is unknown or inconsistent.</summary>
/// <param name="message">The setting or file and the problem.</param>
/// <param name="inner">The underlying error, if any.</param>
public sealed class ConfigException(string message, Exception? inner = null) : TesseraException(message, inner);

/// <summary>An input whose shape, frame count or value does not fit the model.</summary>
/// <param name="message">The input and the problem.</param>
/// <param name="inner">The underlying error, if any.</param>
public sealed class InvalidInputException(string message, Exception? inner = null) : TesseraException(message, inner);

/// <summary>A computation that produced NaN or infinite values (e.g. a bfloat16 pass), stopped before writing them.</summary>
/// <param name="message">The computation and what to do instead.</param>
/// <param name="inner">The underlying error, if any.</param>
public sealed class NumericalException(string message, Exception? inner = null) : TesseraException(message, inner);
