using System.Reflection;

namespace Tessera;

/// <summary>Facts about this build of Tessera.</summary>
public static class TesseraInfo
{
    public static string Version { get; } =
        typeof(TesseraInfo).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0]
        ?? typeof(TesseraInfo).Assembly.GetName().Version?.ToString() ?? "0.0.0";
}
