using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;

namespace Tessera.Analyzers;

/// <summary>
/// TSR0001: a .NET number converted (implicitly or by a cast) to <c>TorchSharp.Scalar</c>. The temporary wrapper is unreachable as soon
/// as its handle is read, so a collection started by any other thread during the native call lets the finalizer thread
/// free the native scalar while libtorch still reads it: an intermittent "Unknown scalar type." or, worse, a wrong
/// value. <c>Tessera.Nn.Scalars.Of</c> returns one that lives until the current dispose scope ends.
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class ImplicitScalarAnalyzer : DiagnosticAnalyzer
{
    public const string Id = "TSR0001";

    private static readonly DiagnosticDescriptor Rule = new(
        Id,
        "Implicit TorchSharp.Scalar",
        "'{0}' becomes a temporary TorchSharp.Scalar that the finalizer thread can free during the native call; pass Scalars.Of({0})",
        "Reliability",
        DiagnosticSeverity.Error,
        isEnabledByDefault: true);

    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics => ImmutableArray.Create(Rule, Hidden);

    public override void Initialize(AnalysisContext context)
    {
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.EnableConcurrentExecution();
        context.RegisterOperationAction(Check, OperationKind.Conversion);
        context.RegisterOperationAction(CheckHidden, OperationKind.Invocation, OperationKind.Binary, OperationKind.CompoundAssignment);
    }

    private static readonly DiagnosticDescriptor Hidden = new(
        "TSR0002",
        "TorchSharp call with a hidden temporary Scalar",
        "'{0}' makes a temporary TorchSharp.Scalar inside TorchSharp ({1}); {2}",
        "Reliability",
        DiagnosticSeverity.Error,
        isEnabledByDefault: true);

    private static void CheckHidden(OperationAnalysisContext context)
    {
        IMethodSymbol? method = context.Operation switch
        {
            IInvocationOperation i => i.TargetMethod,
            IBinaryOperation b => b.OperatorMethod,
            ICompoundAssignmentOperation c => c.OperatorMethod,
            _ => null,
        };
        if (method is null || !InTorchSharp(method)) return;
        var (why, fix) = method.Name switch
        {
            "add" or "add_" when method.Parameters.Length == 1 => ("alpha = 1", "pass Scalars.One as alpha"),
            "addcdiv" or "addcdiv_" when method.Parameters.Length == (method.IsStatic ? 3 : 2) => ("value = 1", "pass Scalars.One as value"),
            "op_Addition" => ("the + operator adds with alpha = 1", "call add(other, Scalars.One)"),
            _ => (null, null),
        };
        if (why is null) return;
        context.ReportDiagnostic(Diagnostic.Create(Hidden, context.Operation.Syntax.GetLocation(), Short(context.Operation.Syntax.ToString()), why, fix));
    }

    private static string Short(string text) => text.Length <= 60 ? text : text.Substring(0, 57) + "...";

    private static bool InTorchSharp(ISymbol symbol)
    {
        for (var ns = symbol.ContainingNamespace; ns is not null && !ns.IsGlobalNamespace; ns = ns.ContainingNamespace)
            if (ns.Name == "TorchSharp" && ns.ContainingNamespace.IsGlobalNamespace) return true;
        return false;
    }

    private static void Check(OperationAnalysisContext context)
    {
        var conversion = (IConversionOperation)context.Operation;
        if (!conversion.Conversion.IsUserDefined) return;
        if (conversion.Type is not INamedTypeSymbol { Name: "Scalar", ContainingNamespace: { Name: "TorchSharp", ContainingNamespace.IsGlobalNamespace: true } })
            return;
        context.ReportDiagnostic(Diagnostic.Create(Rule, conversion.Operand.Syntax.GetLocation(), conversion.Operand.Syntax.ToString()));
    }
}
