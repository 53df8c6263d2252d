using System.Text;
using System.Text.Json;

namespace Tessera.Models.VidTok;

/// <summary>
/// Compact JSON form of a <see cref="VidTokConfig"/> for token-file and checkpoint metadata. Keys mirror the YAML
/// names (<c>ch_mult</c>, <c>time_downsample_factor</c>, ...); enums are lower-case snake strings
/// (<c>causal_v1_0</c>, <c>layernorm</c>, <c>trilinear</c>); <c>spatial_ds</c>/<c>spatial_us</c>/<c>tempo_ds</c>/<c>tempo_us</c>
/// are omitted when unset; the bottleneck is <c>{"type":"fsq","levels":[...]}</c> or <c>{"type":"kl","z_channels":n}</c>.
/// </summary>
internal static class VidTokConfigJson
{
    private static readonly (VidTokFamily Value, string Name)[] Families =
        [(VidTokFamily.CausalV1_0, "causal_v1_0"), (VidTokFamily.CausalV1_1, "causal_v1_1"), (VidTokFamily.NonCausal, "noncausal")];
    private static readonly (NormType Value, string Name)[] Norms = [(NormType.LayerNorm, "layernorm"), (NormType.GroupNorm, "groupnorm")];
    private static readonly (TemporalInterpolation Value, string Name)[] Interpolations =
        [(TemporalInterpolation.Nearest, "nearest"), (TemporalInterpolation.Trilinear, "trilinear")];

    private static readonly string[] RequiredKeys =
        ["name", "family", "ch", "ch_mult", "num_res_blocks", "in_channels", "out_ch", "time_downsample_factor", "norm_type", "interpolation_mode", "regularizer"];
    private static readonly string[] OptionalKeys = ["spatial_ds", "spatial_us", "tempo_ds", "tempo_us"];

    public static string Serialize(VidTokConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = false }))
        {
            w.WriteStartObject();
            w.WriteString("name", config.Name);
            w.WriteString("family", NameOf(Families, config.Family));
            w.WriteNumber("ch", config.Ch);
            WriteInts(w, "ch_mult", config.ChMult);
            w.WriteNumber("num_res_blocks", config.NumResBlocks);
            w.WriteNumber("in_channels", config.InChannels);
            w.WriteNumber("out_ch", config.OutCh);
            w.WriteNumber("time_downsample_factor", config.TimeDownsampleFactor);
            w.WriteString("norm_type", NameOf(Norms, config.NormType));
            w.WriteString("interpolation_mode", NameOf(Interpolations, config.InterpolationMode));
            if (config.SpatialDs is { } sds) WriteInts(w, "spatial_ds", sds);
            if (config.SpatialUs is { } sus) WriteInts(w, "spatial_us", sus);
            if (config.TempoDs is { } tds) WriteInts(w, "tempo_ds", tds);
            if (config.TempoUs is { } tus) WriteInts(w, "tempo_us", tus);
            w.WriteStartObject("regularizer");
            switch (config.Regularizer)
            {
                case FsqBottleneck f:
                    w.WriteString("type", "fsq");
                    WriteInts(w, "levels", f.Levels);
                    break;
                case KlBottleneck k:
                    w.WriteString("type", "kl");
                    w.WriteNumber("z_channels", k.Channels);
                    break;
                default:
                    throw new ConfigException($"config '{config.Name}': cannot serialise bottleneck {config.Regularizer.GetType().Name}");
            }
            w.WriteEndObject();
            w.WriteEndObject();
        }
        return Encoding.UTF8.GetString(buffer.ToArray());
    }

    /// <summary>Parses and validates; every problem is a <see cref="ConfigException"/> naming <paramref name="sourceName"/> and the key.</summary>
    public static VidTokConfig Deserialize(string json, string sourceName)
    {
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(json);
        }
        catch (JsonException e)
        {
            throw new ConfigException($"{sourceName}: invalid JSON at line {(e.LineNumber ?? 0) + 1}: {e.Message}", e);
        }
        using (doc)
        {
            var r = new Reader(sourceName);
            var root = r.Object(doc.RootElement, "", RequiredKeys, OptionalKeys);
            var config = new VidTokConfig
            {
                Name = r.String(root["name"], "name"),
                Family = r.Enum(root["family"], "family", Families),
                Ch = r.Int(root["ch"], "ch"),
                ChMult = r.Ints(root["ch_mult"], "ch_mult"),
                NumResBlocks = r.Int(root["num_res_blocks"], "num_res_blocks"),
                InChannels = r.Int(root["in_channels"], "in_channels"),
                OutCh = r.Int(root["out_ch"], "out_ch"),
                TimeDownsampleFactor = r.Int(root["time_downsample_factor"], "time_downsample_factor"),
                NormType = r.Enum(root["norm_type"], "norm_type", Norms),
                InterpolationMode = r.Enum(root["interpolation_mode"], "interpolation_mode", Interpolations),
                SpatialDs = r.OptionalInts(root, "spatial_ds"),
                SpatialUs = r.OptionalInts(root, "spatial_us"),
                TempoDs = r.OptionalInts(root, "tempo_ds"),
                TempoUs = r.OptionalInts(root, "tempo_us"),
                Regularizer = r.Bottleneck(root["regularizer"]),
            };
            try
            {
                config.Validate();
            }
            catch (ConfigException e)
            {
                throw new ConfigException($"{sourceName}: {e.Message}", e);
            }
            return config;
        }
    }

    private static void WriteInts(Utf8JsonWriter w, string key, IReadOnlyList<int> values)
    {
        w.WriteStartArray(key);
        foreach (var v in values) w.WriteNumberValue(v);
        w.WriteEndArray();
    }

    private static string NameOf<T>((T Value, string Name)[] table, T value) where T : struct, Enum =>
        table.First(e => EqualityComparer<T>.Default.Equals(e.Value, value)).Name;

    private sealed class Reader(string source)
    {
        private ConfigException Error(string path, string message) => new($"{source}: key '{path}': {message}");

        public Dictionary<string, JsonElement> Object(JsonElement e, string path, string[] required, string[] optional)
        {
            if (e.ValueKind != JsonValueKind.Object)
                throw path.Length == 0
                    ? new ConfigException($"{source}: expected a JSON object, got {e.ValueKind}")
                    : Error(path, $"expected an object, got {e.ValueKind}");
            var result = new Dictionary<string, JsonElement>(StringComparer.Ordinal);
            foreach (var p in e.EnumerateObject())
            {
                var key = path.Length == 0 ? p.Name : $"{path}.{p.Name}";
                if (!required.Contains(p.Name) && !optional.Contains(p.Name))
                    throw Error(key, $"unknown key; expected {string.Join(", ", required.Concat(optional))}");
                if (!result.TryAdd(p.Name, p.Value)) throw Error(key, "duplicate key");
            }
            foreach (var key in required)
                if (!result.ContainsKey(key))
                    throw new ConfigException($"{source}: missing key '{(path.Length == 0 ? key : $"{path}.{key}")}'");
            return result;
        }

        public int Int(JsonElement e, string path) =>
            e.ValueKind == JsonValueKind.Number && e.TryGetInt32(out var v) ? v : throw Error(path, $"expected an integer, got {Show(e)}");

        public string String(JsonElement e, string path) =>
            e.ValueKind == JsonValueKind.String ? e.GetString()! : throw Error(path, $"expected a string, got {Show(e)}");

        public IReadOnlyList<int> Ints(JsonElement e, string path)
        {
            if (e.ValueKind != JsonValueKind.Array) throw Error(path, $"expected an array of integers, got {Show(e)}");
            return e.EnumerateArray().Select((item, i) => Int(item, $"{path}[{i}]")).ToArray().AsReadOnly();
        }

        public IReadOnlyList<int>? OptionalInts(Dictionary<string, JsonElement> obj, string key) =>
            obj.TryGetValue(key, out var e) && e.ValueKind != JsonValueKind.Null ? Ints(e, key) : null;

        public T Enum<T>(JsonElement e, string path, (T Value, string Name)[] table)
        {
            var text = String(e, path);
            foreach (var (value, name) in table)
                if (name == text) return value;
            throw Error(path, $"unknown value '{text}'; expected {string.Join(", ", table.Select(t => t.Name))}");
        }

        public Bottleneck Bottleneck(JsonElement e)
        {
            if (e.ValueKind != JsonValueKind.Object) throw Error("regularizer", $"expected an object, got {Show(e)}");
            var type = e.TryGetProperty("type", out var t) ? String(t, "regularizer.type") : throw new ConfigException($"{source}: missing key 'regularizer.type'");
            switch (type)
            {
                case "fsq":
                    return new FsqBottleneck(Ints(Object(e, "regularizer", ["type", "levels"], [])["levels"], "regularizer.levels"));
                case "kl":
                    return new KlBottleneck(Int(Object(e, "regularizer", ["type", "z_channels"], [])["z_channels"], "regularizer.z_channels"));
                default:
                    throw Error("regularizer.type", $"unknown bottleneck '{type}'; expected fsq or kl");
            }
        }

        private static string Show(JsonElement e) => e.ValueKind switch
        {
            JsonValueKind.String => $"string \"{e.GetString()}\"",
            JsonValueKind.Number => $"number {e.GetRawText()}",
            JsonValueKind.True or JsonValueKind.False => $"boolean {e.GetRawText()}",
            _ => e.ValueKind.ToString().ToLowerInvariant(),
        };
    }
}
