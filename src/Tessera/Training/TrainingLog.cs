using System.Globalization;
using System.Text;

namespace Tessera.Training;

/// <summary>
/// A CSV log with a fixed header whose first column is the step. Reopening a log for a resumed run drops
/// the rows after the checkpoint's step, so the file reads as one uninterrupted run; a log whose header is the start of
/// this one (written before columns were added) keeps its rows.
/// </summary>
internal sealed class TrainingLog
{
    private readonly string path;
    private readonly string[] columns;

    public TrainingLog(string path, IReadOnlyList<string> columns, long resumeStep)
    {
        this.path = path;
        this.columns = ["step", .. columns];
        var header = string.Join(",", this.columns);
        var kept = new List<string> { header };
        if (File.Exists(path))
        {
            var lines = File.ReadAllLines(path);
            // A log written before columns were appended keeps its rows: their missing cells read as absent.
            if (lines.Length > 0 && (lines[0] == header || header.StartsWith(lines[0] + ",", StringComparison.Ordinal)))
                kept.AddRange(lines.Skip(1).Where(l => long.TryParse(l.Split(',')[0], CultureInfo.InvariantCulture, out var s) && s <= resumeStep));
        }
        AtomicFile.Write(path, s => { var b = Encoding.UTF8.GetBytes(string.Join("\n", kept) + "\n"); s.Write(b); });
    }

    public void Append(long step, IReadOnlyDictionary<string, double?> values)
    {
        var row = new StringBuilder(step.ToString(CultureInfo.InvariantCulture));
        foreach (var c in columns.Skip(1))
        {
            row.Append(',');
            if (values.TryGetValue(c, out var v) && v is { } d) row.Append(d.ToString("G9", CultureInfo.InvariantCulture));
        }
        File.AppendAllText(path, row.Append('\n').ToString());
    }

    /// <summary>All rows as (step, column → value), for plots.</summary>
    public IReadOnlyList<(long Step, Dictionary<string, double> Values)> Read()
    {
        var rows = new List<(long, Dictionary<string, double>)>();
        foreach (var line in File.ReadLines(path).Skip(1))
        {
            var cells = line.Split(',');
            var values = new Dictionary<string, double>();
            for (var i = 1; i < cells.Length && i < columns.Length; i++)
                if (double.TryParse(cells[i], NumberStyles.Float, CultureInfo.InvariantCulture, out var v)) values[columns[i]] = v;
            rows.Add((long.Parse(cells[0], CultureInfo.InvariantCulture), values));
        }
        return rows;
    }
}
