using Tessera.Cli;

PeakMemoryReport.Enable();

// train and finetune stop gracefully after the current step on Ctrl-C (their own handler keeps the last checkpoint valid).
var graceful = args.Length > 0 && args[0] is "train" or "finetune";
using var cancellation = graceful ? null : CliCancellation.ForProcess(forceExit: true, Console.Error);
return TesseraCli.Run(args, Console.Out, Console.Error, cancellation);
