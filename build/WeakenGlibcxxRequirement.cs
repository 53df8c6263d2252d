using System;
using System.IO;
using System.Text;
using Microsoft.Build.Framework;
using Microsoft.Build.Utilities;

// TorchSharp's native bridge (libLibTorchSharp.so) is linked against a libstdc++ that provides
// GLIBCXX_3.4.32, but references only one symbol of that version (std::ios_base_library_init, a
// link-time marker). Debian 12 ships libstdc++ up to GLIBCXX_3.4.30, so the loader refuses the file.
// Marking that version requirement VER_FLG_WEAK in .gnu.version_r makes the loader accept it.
// The patch is applied to the copy in the build output only, never to the NuGet cache.
public class WeakenGlibcxxRequirement : Task
{
    [Required] public ITaskItem[] Files { get; set; } = Array.Empty<ITaskItem>();
    public string VersionName { get; set; } = "GLIBCXX_3.4.32";

    private const uint ShtGnuVerneed = 0x6ffffffe;
    private const ushort VerFlgWeak = 0x2;

    public override bool Execute()
    {
        foreach (var item in Files)
        {
            var path = item.ItemSpec;
            try
            {
                var bytes = File.ReadAllBytes(path);
                var result = Patch(bytes, VersionName);
                if (result == PatchResult.Patched)
                {
                    var tmp = path + ".tessera-patch.tmp";
                    File.WriteAllBytes(tmp, bytes);
                    // Replace rather than overwrite in place, so a hard link into a package cache is never written through.
                    File.Delete(path);
                    File.Move(tmp, path);
                    Log.LogMessage(MessageImportance.Normal, $"Marked {VersionName} weak in {path}");
                }
                else if (result == PatchResult.NotRequired)
                {
                    Log.LogMessage(MessageImportance.Low, $"{path} does not require {VersionName}; nothing to patch");
                }
            }
            catch (Exception e) when (e is InvalidDataException || e is IOException || e is ArgumentOutOfRangeException)
            {
                Log.LogError($"Cannot patch native bridge '{path}': {e.Message}");
            }
        }
        return !Log.HasLoggedErrors;
    }

    public enum PatchResult { Patched, AlreadyWeak, NotRequired }

    public static PatchResult Patch(byte[] elf, string versionName)
    {
        if (elf.Length < 64 || elf[0] != 0x7f || elf[1] != (byte)'E' || elf[2] != (byte)'L' || elf[3] != (byte)'F')
            throw new InvalidDataException("not an ELF file");
        if (elf[4] != 2 || elf[5] != 1)
            throw new InvalidDataException("not a little-endian 64-bit ELF file");

        ulong shoff = U64(elf, 0x28);
        int shentsize = U16(elf, 0x3A);
        int shnum = U16(elf, 0x3C);
        if (shentsize < 64 || shoff == 0 || shoff + (ulong)(shentsize * shnum) > (ulong)elf.Length)
            throw new InvalidDataException("section header table out of bounds");

        for (int i = 0; i < shnum; i++)
        {
            int sh = checked((int)shoff + i * shentsize);
            if (U32(elf, sh + 4) != ShtGnuVerneed) continue;

            int offset = checked((int)U64(elf, sh + 0x18));
            int link = (int)U32(elf, sh + 0x28);
            int count = (int)U32(elf, sh + 0x2C);
            if (link >= shnum) throw new InvalidDataException("verneed string table index out of range");
            int strtab = checked((int)U64(elf, checked((int)shoff + link * shentsize) + 0x18));

            int vn = offset;
            for (int n = 0; n < count; n++)
            {
                int auxCount = U16(elf, vn + 2);
                int aux = vn + (int)U32(elf, vn + 8);
                for (int a = 0; a < auxCount; a++)
                {
                    string name = CString(elf, strtab + (int)U32(elf, aux + 8));
                    if (name == versionName)
                    {
                        ushort flags = U16(elf, aux + 4);
                        if ((flags & VerFlgWeak) != 0) return PatchResult.AlreadyWeak;
                        flags |= VerFlgWeak;
                        elf[aux + 4] = (byte)flags;
                        elf[aux + 5] = (byte)(flags >> 8);
                        return PatchResult.Patched;
                    }
                    aux += (int)U32(elf, aux + 12);
                }
                vn += (int)U32(elf, vn + 12);
            }
            return PatchResult.NotRequired;
        }
        return PatchResult.NotRequired;
    }

    private static void Check(byte[] b, int at, int len)
    {
        if (at < 0 || at + len > b.Length) throw new InvalidDataException($"offset {at} out of bounds");
    }
    private static ushort U16(byte[] b, int at) { Check(b, at, 2); return (ushort)(b[at] | b[at + 1] << 8); }
    private static uint U32(byte[] b, int at) { Check(b, at, 4); return BitConverter.ToUInt32(b, at); }
    private static ulong U64(byte[] b, int at) { Check(b, at, 8); return BitConverter.ToUInt64(b, at); }
    private static string CString(byte[] b, int at)
    {
        Check(b, at, 1);
        int end = Array.IndexOf(b, (byte)0, at);
        if (end < 0) throw new InvalidDataException("unterminated string");
        return Encoding.ASCII.GetString(b, at, end - at);
    }
}
