using Tessera.Checkpoints.Pickle;
using static TorchSharp.torch;

namespace Tessera.Checkpoints;

/// <summary>
/// Reads a plain <c>pickle.dump</c> file that holds torch tensors (the SweetTok word priors, for example) without
/// executing any pickle code. Outside <c>torch.save</c>, each tensor storage pickles itself as
/// <c>torch.storage._load_from_bytes(b)</c> with <c>b</c> a small legacy <c>torch.save</c> stream of that storage;
/// those streams are read with the same restricted reader as legacy checkpoints.
/// </summary>
internal static class TorchPickle
{
    public static TorchCheckpointContent Load(string path) =>
        CheckpointErrors.Guard(path, "pickle", () =>
        {
            using var fs = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
            if (fs.Length == 0 || fs.ReadByte() != 0x80)
                throw CheckpointErrors.Format(path, "not a pickle file (no protocol header)");
            fs.Position = 0;
            var created = new List<Tensor>();
            try
            {
                using var scope = NewDisposeScope();
                var allow = new TorchAllowlist(created, materialize: true);
                var storages = 0;
                bool Reduce(PickleGlobal g, PickleTuple args, out object? result)
                {
                    if (g.FullName != "torch.storage._load_from_bytes") return allow.TryReduce(g, args, out result);
                    if (args.Count != 1 || args[0] is not byte[] bytes)
                        throw new InvalidDataException($"{g} expects one bytes argument, got {args}");
                    var content = TorchCheckpoint.LoadLegacy($"{path} (storage {++storages})", new MemoryStream(bytes, writable: false));
                    created.AddRange(content.Tensors);
                    result = content.Root as TorchStorage ?? throw new InvalidDataException($"{g} did not hold a storage");
                    return true;
                }
                var root = new Unpickler(fs, fs.Length, null, Reduce).Load();
                foreach (var t in created) t.DetachFromDisposeScope();
                return new TorchCheckpointContent(root, created);
            }
            catch
            {
                foreach (var t in created) t.Dispose();
                throw;
            }
        });
}
