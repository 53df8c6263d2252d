namespace Tessera.Benchmarks;

/// <summary>One line of the targets table: <paramref name="Met"/> is null when the figure was not measured in this run.</summary>
internal sealed record TargetRow(string Target, string Threshold, string Measured, bool? Met)
{
    public string ToMarkdown() =>
        $"| {Target} | {Threshold} | {Measured} | {Met switch { true => "met", false => "NOT met", null => "not measured" }} |";
}
