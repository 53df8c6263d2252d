using Tessera.Cli;

return TesseraCli.Run(args, Console.Out, Console.Error);
