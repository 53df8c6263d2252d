using System.Text;
using System.Runtime.InteropServices;

namespace Tessera.Checkpoints;

/// <summary>Turns any low-level failure while reading a checkpoint into a <see cref="CheckpointFormatException"/> naming the file.</summary>
internal static class CheckpointErrors
{
    public static CheckpointFormatException Format(string path, string problem, Exception? inner = null)
        => new($"checkpoint '{path}': {problem}", inner);

    public static T Guard<T>(string path, string what, Func<T> body)
    {
        try
        {
            return body();
        }
        catch (TesseraException)
        {
            throw;
        }
        catch (FileNotFoundException e)
        {
            throw Format(path, "file not found", e);
        }
        catch (DirectoryNotFoundException e)
        {
            throw Format(path, "directory not found", e);
        }
        catch (Exception e) when (e is IOException or InvalidDataException or EndOfStreamException or OverflowException
                                      or ArgumentException or FormatException or System.Text.Json.JsonException
                                      or ExternalException or NotSupportedException or InvalidOperationException
                                      or UnauthorizedAccessException or IndexOutOfRangeException or DecoderFallbackException)
        {
            throw Format(path, $"cannot read {what}: {e.Message}", e);
        }
    }
}
