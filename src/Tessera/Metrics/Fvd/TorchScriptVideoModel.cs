using System.Globalization;
using System.IO.Compression;
using System.Text;
using TorchSharp;
using static TorchSharp.torch;

namespace Tessera.Metrics.Fvd;

/// <summary>One parameter of a TorchScript <c>forward</c> after <c>self</c>, as its serialized code declares it.</summary>
/// <param name="Default">The default as written in the code (<c>False</c>, <c>224</c>, …), or null when it has none.</param>
/// <param name="Name">The parameter name.</param>
/// <param name="Type">Its declared type as written in the code.</param>
internal sealed record ScriptParameter(string Name, string Type, string? Default);

/// <summary>
/// A TorchScript module (a <c>torch.jit.save</c> archive) loaded through TorchSharp's <c>torch.jit.load</c> and
/// called on one tensor. TorchSharp passes arguments to TorchScript by position only; to support keyword
/// arguments (the FVD I3D's <c>rescale</c>, <c>resize</c>, <c>return_features</c>) this class reads the root
/// module's <c>forward</c> signature from the archive's <c>code/</c> and places each keyword at its position,
/// filling the parameters before it with their declared defaults (literals <c>True</c>/<c>False</c>, integers,
/// floats and <c>None</c>). A module whose <c>forward</c> takes only the clip works without any of that.
/// </summary>
internal sealed class TorchScriptVideoModel : IDisposable
{
    private readonly jit.ScriptModule _module;

    private TorchScriptVideoModel(jit.ScriptModule module, string path, IReadOnlyList<ScriptParameter>? parameters)
    {
        _module = module;
        Path = path;
        ForwardParameters = parameters;
    }

    public string Path { get; }

    /// <summary>The parameters of the root <c>forward</c> without <c>self</c> (the first is the clip), or null when the archive's code could not be read.</summary>
    public IReadOnlyList<ScriptParameter>? ForwardParameters { get; }

    /// <summary>True when <paramref name="path"/> is a zip archive with a <c>code/</c> folder and <c>constants.pkl</c> (what <c>torch.jit.save</c> writes).</summary>
    public static bool IsTorchScriptArchive(string path)
    {
        try
        {
            using var fs = File.OpenRead(path);
            Span<byte> head = stackalloc byte[2];
            if (fs.ReadAtLeast(head, 2, throwOnEndOfStream: false) < 2 || head[0] != 'P' || head[1] != 'K') return false;
            fs.Position = 0;
            using var zip = new ZipArchive(fs, ZipArchiveMode.Read);
            bool code = false, constants = false;
            foreach (var e in zip.Entries)
            {
                var parts = e.FullName.Split('/');
                if (parts.Length >= 3 && parts[1] == "code") code = true;
                if (parts.Length == 2 && parts[1] == "constants.pkl") constants = true;
            }
            return code && constants;
        }
        catch (InvalidDataException) { return false; }
    }

    public static TorchScriptVideoModel Load(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"TorchScript file '{path}' not found", path);
        if (!IsTorchScriptArchive(path))
            throw new CheckpointFormatException($"'{path}' is not a TorchScript archive (a zip with code/ and constants.pkl)");
        IReadOnlyList<ScriptParameter>? parameters;
        try { parameters = ReadForwardSignature(path); }
        catch (Exception e) when (e is InvalidDataException or FormatException or IOException) { parameters = null; }
        jit.ScriptModule module;
        try { module = jit.load(path); }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            throw new CheckpointFormatException($"TorchScript archive '{path}' could not be loaded by libtorch: {e.Message}", e);
        }
        module.eval();
        return new TorchScriptVideoModel(module, path, parameters);
    }

    /// <summary>
    /// Calls <c>forward(x, …)</c> with the given keyword arguments (bool, int, long or double values) placed by position.
    /// Returns the single tensor the module returns.
    /// </summary>
    public Tensor Forward(Tensor x, IReadOnlyDictionary<string, object>? kwargs = null)
    {
        var args = new List<object> { x };
        if (kwargs is { Count: > 0 })
        {
            var ps = ForwardParameters ?? throw new InvalidInputException(
                $"TorchScript '{Path}': keyword arguments need the forward signature, which could not be read from the archive's code/; TorchSharp passes arguments by position only");
            foreach (var k in kwargs.Keys)
                if (!ps.Skip(1).Any(p => p.Name == k))
                    throw new InvalidInputException($"TorchScript '{Path}': forward has no parameter '{k}' (it takes {string.Join(", ", ps.Select(p => p.Name))})");
            int last = ps.Select((p, i) => (p, i)).Where(t => kwargs.ContainsKey(t.p.Name)).Max(t => t.i);
            for (int i = 1; i <= last; i++)
            {
                var p = ps[i];
                if (kwargs.TryGetValue(p.Name, out var v)) args.Add(v);
                else args.Add(ParseDefault(p) ?? throw new InvalidInputException(
                    $"TorchScript '{Path}': cannot pass '{p.Name}' by position: its default '{p.Default ?? "(none)"}' is not a bool/int/float literal; give it explicitly"));
            }
        }
        using var _ = no_grad();
        var result = _module.call(args.ToArray());
        return result as Tensor ?? throw new InvalidInputException(
            $"TorchScript '{Path}': forward returned {result?.GetType().Name ?? "nothing"}, expected one tensor");
    }

    private static object? ParseDefault(ScriptParameter p)
    {
        if (p.Default is null) return null;
        if (p.Default == "True") return true;
        if (p.Default == "False") return false;
        if (p.Type == "int" && long.TryParse(p.Default, NumberStyles.Integer, CultureInfo.InvariantCulture, out var l)) return l;
        if (p.Type == "float" && double.TryParse(p.Default, NumberStyles.Float, CultureInfo.InvariantCulture, out var d)) return d;
        return null;
    }

    /// <summary>Reads the root class from data.pkl (its first GLOBAL opcode) and the parameters of that class's forward from code/.</summary>
    internal static IReadOnlyList<ScriptParameter>? ReadForwardSignature(string path)
    {
        using var zip = ZipFile.OpenRead(path);
        var dataPkl = zip.Entries.FirstOrDefault(e => e.FullName.Count(c => c == '/') == 1 && e.FullName.EndsWith("/data.pkl", StringComparison.Ordinal));
        if (dataPkl is null) return null;
        var root = dataPkl.FullName[..dataPkl.FullName.IndexOf('/')];
        byte[] pkl;
        using (var s = dataPkl.Open())
        using (var ms = new MemoryStream())
        {
            s.CopyTo(ms);
            pkl = ms.ToArray();
        }
        // Protocol 2 pickle: PROTO 2, then GLOBAL 'module\nname\n' for the root object's class.
        if (pkl.Length < 4 || pkl[0] != 0x80 || pkl[2] != (byte)'c') return null;
        var text = Encoding.ASCII.GetString(pkl, 3, Math.Min(pkl.Length - 3, 1024)).Split('\n');
        if (text.Length < 3) return null;
        string module = text[0], cls = text[1];
        var codePath = $"{root}/code/{module.Replace('.', '/')}.py";
        var codeEntry = zip.GetEntry(codePath);
        if (codeEntry is null) return null;
        string code;
        using (var r = new StreamReader(codeEntry.Open(), Encoding.UTF8)) code = r.ReadToEnd();
        return ParseForward(code, cls);
    }

    internal static IReadOnlyList<ScriptParameter>? ParseForward(string code, string cls)
    {
        int classAt = code.IndexOf($"class {cls}(", StringComparison.Ordinal);
        if (classAt < 0) return null;
        int next = code.IndexOf("\nclass ", classAt + 1, StringComparison.Ordinal);
        var body = next < 0 ? code[classAt..] : code[classAt..next];
        int def = body.IndexOf("def forward(", StringComparison.Ordinal);
        if (def < 0) return null;
        int open = def + "def forward(".Length, depth = 1, i = open;
        for (; i < body.Length && depth > 0; i++)
            depth += body[i] switch { '(' or '[' => 1, ')' or ']' => -1, _ => 0 };
        if (depth != 0) return null;
        var inner = body[open..(i - 1)];
        var pieces = new List<string>();
        var sb = new StringBuilder();
        depth = 0;
        foreach (var c in inner)
        {
            if (c is '(' or '[') depth++;
            if (c is ')' or ']') depth--;
            if (c == ',' && depth == 0) { pieces.Add(sb.ToString()); sb.Clear(); }
            else sb.Append(c);
        }
        if (sb.ToString().Trim().Length > 0) pieces.Add(sb.ToString());
        var result = new List<ScriptParameter>();
        foreach (var raw in pieces.Skip(1)) // skip self
        {
            var piece = raw.Trim();
            string? dflt = null;
            int eq = TopLevelIndexOf(piece, '=');
            if (eq >= 0) { dflt = piece[(eq + 1)..].Trim(); piece = piece[..eq].Trim(); }
            int colon = piece.IndexOf(':');
            var name = (colon < 0 ? piece : piece[..colon]).Trim();
            var type = colon < 0 ? "Tensor" : piece[(colon + 1)..].Trim();
            result.Add(new ScriptParameter(name, type, dflt));
        }
        return result.Count == 0 ? null : result;
    }

    private static int TopLevelIndexOf(string s, char target)
    {
        int depth = 0;
        for (int i = 0; i < s.Length; i++)
        {
            if (s[i] is '(' or '[') depth++;
            else if (s[i] is ')' or ']') depth--;
            else if (s[i] == target && depth == 0) return i;
        }
        return -1;
    }

    public void Dispose() => _module.Dispose();
}
