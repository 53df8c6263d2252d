using System.Buffers.Binary;
using System.Globalization;
using System.Numerics;
using System.Text;

namespace Tessera.Checkpoints.Pickle;

/// <summary>Gives allowlisted globals a meaning; returns false to leave the call as an inert <see cref="PickleObject"/>.</summary>
internal delegate bool PickleReducer(PickleGlobal callable, PickleTuple args, out object? result);

/// <summary>
/// A restricted pickle reader (protocols 0–5) that executes nothing: globals are only names, calls on them are
/// handed to <see cref="PickleReducer"/> (an allowlist) or recorded as placeholders. Every length, memo index,
/// stack and nesting depth is bounds-checked; failures surface as <see cref="InvalidDataException"/>.
/// </summary>
internal sealed class Unpickler
{
    public const int MaxStack = 1 << 20;
    public const int MaxMarkDepth = 10_000;
    public const int MaxMemo = 1 << 22;
    private const int MaxLine = 1 << 16;

    private readonly Stream _in;
    private readonly long _end;
    private readonly Func<object?, object?>? _persistentLoad;
    private readonly PickleReducer? _reduce;
    private readonly List<object?> _stack = [];
    // Stack heights at each MARK: the items above the innermost one belong to it (no copying, linear in the input).
    private readonly Stack<int> _marks = new();
    private readonly Dictionary<long, object?> _memo = [];

    /// <summary>Reads <paramref name="input"/> from its current position up to byte <paramref name="end"/>.</summary>
    public Unpickler(Stream input, long end, Func<object?, object?>? persistentLoad, PickleReducer? reduce)
    {
        _in = input;
        _end = end;
        _persistentLoad = persistentLoad;
        _reduce = reduce;
    }

    private long Remaining => _end - _in.Position;

    private static InvalidDataException Bad(string msg) => new(msg);

    private byte ReadByte()
    {
        if (Remaining < 1) throw Bad("pickle truncated");
        int b = _in.ReadByte();
        if (b < 0) throw Bad("pickle truncated");
        return (byte)b;
    }

    private byte[] ReadBytes(long n)
    {
        if (n < 0 || n > Remaining) throw Bad($"pickle declares {n} bytes but only {Remaining} remain");
        var b = new byte[n];
        _in.ReadExactly(b);
        return b;
    }

    private ushort U16() => BinaryPrimitives.ReadUInt16LittleEndian(ReadBytes(2));
    private uint U32() => BinaryPrimitives.ReadUInt32LittleEndian(ReadBytes(4));
    private int I32() => BinaryPrimitives.ReadInt32LittleEndian(ReadBytes(4));
    private long U64Len()
    {
        ulong v = BinaryPrimitives.ReadUInt64LittleEndian(ReadBytes(8));
        if (v > (ulong)Remaining) throw Bad($"pickle declares {v} bytes but only {Remaining} remain");
        return (long)v;
    }

    private string ReadLine()
    {
        var sb = new StringBuilder();
        while (true)
        {
            byte b = ReadByte();
            if (b == (byte)'\n') return sb.ToString();
            if (sb.Length >= MaxLine) throw Bad("pickle text line too long");
            sb.Append((char)b);
        }
    }

    private void Push(object? o)
    {
        if (_stack.Count >= MaxStack) throw Bad($"pickle stack exceeds {MaxStack} entries");
        _stack.Add(o);
    }

    private object? Pop()
    {
        if (_stack.Count <= Floor) throw Bad("pickle stack underflow");
        var o = _stack[^1];
        _stack.RemoveAt(_stack.Count - 1);
        return o;
    }

    private object? Top => _stack.Count <= Floor ? throw Bad("pickle stack underflow") : _stack[^1];

    private int Floor => _marks.Count == 0 ? 0 : _marks.Peek();

    private List<object?> PopMark()
    {
        if (_marks.Count == 0) throw Bad("pickle MARK missing");
        var mark = _marks.Pop();
        var items = _stack.GetRange(mark, _stack.Count - mark);
        _stack.RemoveRange(mark, _stack.Count - mark);
        return items;
    }

    private void Memo(long index, object? value)
    {
        if (index < 0) throw Bad("negative memo index");
        if (!_memo.ContainsKey(index) && _memo.Count >= MaxMemo) throw Bad($"pickle memo exceeds {MaxMemo} entries");
        _memo[index] = value;
    }

    private object? Get(long index) => _memo.TryGetValue(index, out var v) ? v : throw Bad($"pickle memo index {index} is not set");

    public object? Load()
    {
        while (true)
        {
            byte op = ReadByte();
            switch ((char)op)
            {
                case (char)0x80: { byte proto = ReadByte(); if (proto > 5) throw Bad($"unsupported pickle protocol {proto}"); break; } // PROTO
                case (char)0x95: ReadBytes(0); U64Len(); break; // FRAME: length only, frames are read inline
                case '.': return Pop(); // STOP
                case '(': // MARK
                    if (_marks.Count >= MaxMarkDepth) throw Bad($"pickle nests MARKs deeper than {MaxMarkDepth}");
                    _marks.Push(_stack.Count);
                    break;
                case '0': Pop(); break; // POP
                case '1': PopMark(); break; // POP_MARK
                case '2': Push(Top); break; // DUP
                case 'N': Push(null); break;
                case (char)0x88: Push(true); break;
                case (char)0x89: Push(false); break;
                case 'J': Push((long)I32()); break;
                case 'K': Push((long)ReadByte()); break;
                case 'M': Push((long)U16()); break;
                case (char)0x8a: Push(DecodeLong(ReadBytes(ReadByte()))); break; // LONG1
                case (char)0x8b: { int n = I32(); if (n < 0) throw Bad("negative LONG4 length"); Push(DecodeLong(ReadBytes(n))); break; }
                case 'I': Push(ParseIntLine(ReadLine())); break;
                case 'L': Push(ParseIntLine(ReadLine().TrimEnd('L'))); break;
                case 'F': Push(double.Parse(ReadLine(), NumberStyles.Float, CultureInfo.InvariantCulture)); break;
                case 'G': Push(BinaryPrimitives.ReadDoubleBigEndian(ReadBytes(8))); break;
                case 'X': Push(Utf8(ReadBytes(U32()))); break;
                case (char)0x8c: Push(Utf8(ReadBytes(ReadByte()))); break;
                case (char)0x8d: Push(Utf8(ReadBytes(U64Len()))); break;
                case 'V': Push(ReadLine()); break; // raw-unicode-escape; escapes are left as written
                case 'T': { int n = I32(); if (n < 0) throw Bad("negative BINSTRING length"); Push(PickleKey.Latin1OrUtf8(ReadBytes(n))); break; }
                case 'U': Push(PickleKey.Latin1OrUtf8(ReadBytes(ReadByte()))); break;
                case 'S': Push(ParseQuoted(ReadLine())); break;
                case 'B': Push(ReadBytes(U32())); break;
                case 'C': Push(ReadBytes(ReadByte())); break;
                case (char)0x8e: Push(ReadBytes(U64Len())); break;
                case (char)0x96: Push(ReadBytes(U64Len())); break; // BYTEARRAY8
                case (char)0x97: throw Bad("out-of-band pickle buffers (NEXT_BUFFER) are not supported");
                case (char)0x98: break; // READONLY_BUFFER: no-op on our byte arrays
                case ')': Push(new PickleTuple([])); break;
                case 't': Push(new PickleTuple(PopMark())); break;
                case (char)0x85: Push(new PickleTuple([Pop()])); break;
                case (char)0x86: { var b = Pop(); var a = Pop(); Push(new PickleTuple([a, b])); break; }
                case (char)0x87: { var c = Pop(); var b = Pop(); var a = Pop(); Push(new PickleTuple([a, b, c])); break; }
                case ']': Push(new List<object?>()); break;
                case 'l': Push(PopMark()); break;
                case '}': Push(new PickleDict()); break;
                case 'd': { var items = PopMark(); var d = new PickleDict(); SetItems(d, items); Push(d); break; }
                case (char)0x8f: Push(new PickleSet(false)); break;
                case (char)0x91: { var s = new PickleSet(true); s.Items.AddRange(PopMark()); Push(s); break; }
                case (char)0x90: { var items = PopMark(); AddItems(Top, items); break; }
                case 'a': { var v = Pop(); Append(Top, [v]); break; }
                case 'e': { var items = PopMark(); Append(Top, items); break; }
                case 's': { var v = Pop(); var k = Pop(); SetItems(Top, [k, v]); break; }
                case 'u': { var items = PopMark(); SetItems(Top, items); break; }
                case 'p': Memo(ParseIntLineLong(ReadLine()), Top); break;
                case 'q': Memo(ReadByte(), Top); break;
                case 'r': Memo(U32(), Top); break;
                case (char)0x94: Memo(_memo.Count, Top); break;
                case 'g': Push(Get(ParseIntLineLong(ReadLine()))); break;
                case 'h': Push(Get(ReadByte())); break;
                case 'j': Push(Get(U32())); break;
                case 'c': { var module = ReadLine(); var name = ReadLine(); Push(new PickleGlobal(module, name)); break; }
                case (char)0x93: { var name = Pop() as string; var module = Pop() as string; if (name is null || module is null) throw Bad("STACK_GLOBAL needs two strings"); Push(new PickleGlobal(module, name)); break; }
                case 'R': { var args = Pop(); var f = Pop(); Push(Call(f, args)); break; }
                case (char)0x81: { var args = Pop(); var cls = Pop(); Push(Call(cls, args)); break; } // NEWOBJ
                case (char)0x92: { Pop(); var args = Pop(); var cls = Pop(); Push(Call(cls, args)); break; } // NEWOBJ_EX (kwargs ignored)
                case 'i': { var module = ReadLine(); var name = ReadLine(); Push(Call(new PickleGlobal(module, name), new PickleTuple(PopMark()))); break; } // INST
                case 'o': { var items = PopMark(); if (items.Count == 0) throw Bad("OBJ without class"); Push(Call(items[0], new PickleTuple(items.Skip(1).ToList()))); break; }
                case 'b': { var state = Pop(); Build(Top, state); break; }
                case 'Q': { var pid = Pop(); Push(Persistent(pid)); break; }
                case 'P': Push(Persistent(ReadLine())); break;
                case (char)0x82: case (char)0x83: case (char)0x84: throw Bad("pickle extension registry codes (EXT1/2/4) are not supported");
                default: throw Bad($"unknown pickle opcode 0x{op:x2} at byte {_in.Position - 1}");
            }
        }
    }

    private object? Persistent(object? pid)
        => _persistentLoad is null ? throw Bad("pickle has a persistent id but this format defines none") : _persistentLoad(pid);

    private object? Call(object? callable, object? args)
    {
        if (callable is not PickleGlobal g) throw Bad($"pickle calls a non-global {PickleKey.Describe(callable)}");
        if (args is not PickleTuple t) throw Bad($"pickle calls {g} with non-tuple arguments");
        if (_reduce is not null && _reduce(g, t, out var result)) return result;
        return new PickleObject(g, t);
    }

    private static void Build(object? target, object? state)
    {
        switch (target)
        {
            case PickleObject o: o.State = state; break;
            case PickleDict d when state is PickleDict sd:
                foreach (var (k, v) in sd.Items) if (k is string s) d.Attributes[s] = v;
                break;
            default: break; // tensors, lists, etc.: attribute state is dropped
        }
    }

    private static void Append(object? target, List<object?> items)
    {
        switch (target)
        {
            case List<object?> l: l.AddRange(items); break;
            case PickleObject o: o.ListItems.AddRange(items); break;
            default: throw Bad($"pickle appends to {PickleKey.Describe(target)}");
        }
    }

    private static void AddItems(object? target, List<object?> items)
    {
        if (target is PickleSet s && !s.Frozen) s.Items.AddRange(items);
        else if (target is PickleObject o) o.ListItems.AddRange(items);
        else throw Bad($"pickle adds set items to {PickleKey.Describe(target)}");
    }

    private static void SetItems(object? target, List<object?> items)
    {
        if (items.Count % 2 != 0) throw Bad("odd number of items for a dict");
        for (int i = 0; i < items.Count; i += 2)
        {
            switch (target)
            {
                case PickleDict d:
                    if (items[i] is List<object?> or PickleDict or PickleSet { Frozen: false })
                        throw Bad("unhashable dict key");
                    d.Set(items[i], items[i + 1]);
                    break;
                case PickleObject o: o.DictItems.Add(new(items[i], items[i + 1])); break;
                default: throw Bad($"pickle sets items on {PickleKey.Describe(target)}");
            }
        }
    }

    private static string Utf8(byte[] b)
    {
        try { return new UTF8Encoding(false, true).GetString(b); }
        catch (DecoderFallbackException) { return Encoding.UTF8.GetString(b); } // Python allows lone surrogates
    }

    private static object DecodeLong(byte[] b)
    {
        if (b.Length == 0) return 0L;
        var v = new BigInteger(b, isUnsigned: false, isBigEndian: false);
        return v >= long.MinValue && v <= long.MaxValue ? (object)(long)v : v;
    }

    private static object ParseIntLine(string s)
    {
        if (s == "01") return true;
        if (s == "00") return false;
        if (long.TryParse(s, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var l)) return l;
        if (s.Length <= 4096 && BigInteger.TryParse(s, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var b)) return b;
        throw Bad($"bad integer literal in pickle: '{(s.Length > 40 ? s[..40] + "…" : s)}'");
    }

    private static long ParseIntLineLong(string s)
        => long.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out var l) ? l : throw Bad("bad memo index in pickle");

    private static string ParseQuoted(string s)
    {
        if (s.Length >= 2 && (s[0] == '\'' || s[0] == '"') && s[^1] == s[0]) return s[1..^1];
        throw Bad("bad STRING literal in pickle");
    }
}
