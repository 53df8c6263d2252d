using System.Reflection;

namespace Tessera;

/// <summary>Facts about this build of Tessera.</summary>
public static class TesseraInfo
{
    /// <summary>The library's version (informational version without the source revision), e.g. "0.1.0".</summary>
    public static string Version { get; } =
        typeof(TesseraInfo).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0]
        ?? typeof(TesseraInfo).Assembly.GetName().Version?.ToString() ?? "0.0.0";
}
