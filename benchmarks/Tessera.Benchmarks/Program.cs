using Tessera.Benchmarks;

// Usage: Tessera.Benchmarks <name> [options]. Each benchmark lives in its own file.
var benchmarks = new Dictionary<string, Func<Options, int>>(StringComparer.Ordinal)
{
    ["encode-decode"] = EncodeDecode.Run,
    ["conv-layout"] = ConvLayout.Run,
    ["fsq"] = FsqQuantize.Run,
    ["decode-profile"] = DecodeProfile.Run,
    ["dataset-throughput"] = DatasetThroughput.Run,
    ["targets"] = Targets.Run,
    ["bf16-accuracy"] = TargetsBf16Accuracy.Run,
    ["sweettok-codes"] = SweetTokCodeUsage.Run,
};
// Run by `targets` in a process of its own, so that the peak it reports is one clip's.
var hidden = new Dictionary<string, Func<Options, int>>(StringComparer.Ordinal) { ["targets-memory"] = TargetsMemory.Run };

if (args.Length == 0 || !(benchmarks.TryGetValue(args[0], out var run) || hidden.TryGetValue(args[0], out run)))
{
    Console.Error.WriteLine($"usage: Tessera.Benchmarks <{string.Join("|", benchmarks.Keys)}> [--option value ...]");
    return 2;
}
try
{
    return run(Options.Parse(args.AsSpan(1)));
}
catch (ArgumentException e)
{
    Console.Error.WriteLine($"error: {e.Message}");
    return 2;
}
