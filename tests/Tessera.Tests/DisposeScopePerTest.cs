using System.Reflection;
using System.Runtime.CompilerServices;
using TorchSharp;
using Xunit.Sdk;

namespace Tessera.Tests;

/// <summary>
/// Runs every synchronous test of a class inside a TorchSharp dispose scope. A TorchSharp tensor frees its native tensor in its
/// finalizer, and the JIT ends a temporary's life as soon as its handle has been read, so an expression such as
/// <c>(a - b).abs().max()</c> outside any scope lets a collection triggered by another thread free <c>a - b</c> while
/// <c>abs</c> still reads it, and <c>x.mul(2).add_(1)</c> writes into freed memory: wrong values and a corrupted native
/// heap in whichever test runs next (the flaky parity, loss and bf16 failures of the full suite). A scope keeps every
/// temporary reachable until the test ends. Async tests are left out: their end can run on another thread, and a scope
/// belongs to the thread that opened it. xunit 2 reads this attribute from test classes and methods only (not from the
/// assembly), so every test class carries it; <see cref="DisposeScopePerTestTests"/> checks that none is left out.
/// </summary>
[AttributeUsage(AttributeTargets.Class, Inherited = true)]
public sealed class DisposeScopePerTestAttribute : BeforeAfterTestAttribute
{
    [ThreadStatic] private static Stack<DisposeScope>? open;

    public override void Before(MethodInfo methodUnderTest)
    {
        if (!IsAsync(methodUnderTest)) (open ??= new()).Push(torch.NewDisposeScope());
    }

    public override void After(MethodInfo methodUnderTest)
    {
        if (!IsAsync(methodUnderTest) && open is { Count: > 0 }) open.Pop().Dispose();
    }

    private static bool IsAsync(MethodInfo m) =>
        m.GetCustomAttribute<AsyncStateMachineAttribute>() is not null || typeof(Task).IsAssignableFrom(m.ReturnType) || m.ReturnType == typeof(ValueTask);
}

[DisposeScopePerTest]
public sealed class DisposeScopePerTestTests
{
    [Fact]
    public void EveryTestClassRunsItsTestsInADisposeScope()
    {
        var missing = typeof(DisposeScopePerTestTests).Assembly.GetTypes()
            .Where(t => !t.IsAbstract && t.GetMethods(BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance | BindingFlags.Static)
                .Any(m => m.GetCustomAttributes<FactAttribute>(inherit: true).Any()))
            .Where(t => t.GetCustomAttribute<DisposeScopePerTestAttribute>(inherit: true) is null)
            .Select(t => t.FullName).Order().ToList();
        Assert.True(missing.Count == 0, "test classes without [DisposeScopePerTest]:\n" + string.Join("\n", missing));
    }

    [Fact]
    public void UnscopedTemporaries_SurviveCollectionsOnAnotherThread()
    {
        // The attribute is in force: a tensor made here is made inside a scope.
        var outside = DisposeScopeManager.Statistics.CreatedOutsideScopeCount;
        using (torch.zeros(1)) Assert.Equal(outside, DisposeScopeManager.Statistics.CreatedOutsideScopeCount);
        // Without the scope this fails within seconds: the finalizer frees a * b while mul_ writes into it. (mul_ and sum
        // take no hidden Scalar: TorchSharp's add(Tensor) and add_(Scalar) pass a temporary alpha Scalar that no scope
        // tracks and that a collection can free just the same; only fewer collections during native calls help there.)
        var stop = 0;
        var collector = new Thread(() =>
        {
            while (Volatile.Read(ref stop) == 0)
            {
                GC.Collect();
                GC.WaitForPendingFinalizers();
            }
        }) { IsBackground = true };
        collector.Start();
        try
        {
            using var a = torch.ones(256, 256);
            using var b = torch.full(256, 256, 2f);
            for (var i = 0; i < 3000; i++)
                Assert.Equal(4 * 256 * 256, (a * b).mul_(b).sum().item<float>());
        }
        finally
        {
            Volatile.Write(ref stop, 1);
            collector.Join();
        }
    }
}

/// <summary>
/// Builds what outlives a test (a fixture's lazily loaded model or tensors) on a thread without a dispose scope, so the
/// scope of the test that happens to touch it first does not free it when that test ends.
/// </summary>
public static class OutsideTestScope
{
    public static T Build<T>(Func<T> build) => Task.Factory.StartNew(build, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default).GetAwaiter().GetResult();
}
