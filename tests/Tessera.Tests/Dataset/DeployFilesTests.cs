using System.Text.RegularExpressions;
using YamlDotNet.RepresentationModel;

namespace Tessera.Tests.Dataset;

/// <summary>
/// The Kubernetes Indexed Job in deploy/ (no cluster runs here): Indexed completion mode with one completion per shard of
/// the plan it names, the image the Dockerfile builds, the dataset encode command on paths of the mounted volume.
/// </summary>
[DisposeScopePerTest]
public sealed partial class DeployFilesTests
{
    [Fact]
    public void IndexedJobManifest_RunsOneEncodePerShard_OnTheMountedVolume()
    {
        var repo = TestPaths.RepoRoot ?? throw new InvalidOperationException("repository root not found");
        var path = Path.Combine(repo, "deploy", "dataset-k8s-indexed-job.yaml");
        var text = File.ReadAllText(path);
        var stream = new YamlStream();
        stream.Load(new StringReader(text));
        var job = (YamlMappingNode)stream.Documents.Single().RootNode;
        Assert.Equal("batch/v1", Scalar(job, "apiVersion"));
        Assert.Equal("Job", Scalar(job, "kind"));
        var spec = Map(job, "spec");
        Assert.Equal("Indexed", Scalar(spec, "completionMode"));
        var completions = int.Parse(Scalar(spec, "completions"));
        Assert.Equal(int.Parse(PlannedShards().Match(text).Groups[1].Value), completions);
        Assert.InRange(int.Parse(Scalar(spec, "parallelism")), 1, completions);

        var pod = Map(Map(spec, "template"), "spec");
        Assert.Contains(Scalar(pod, "restartPolicy"), new[] { "Never", "OnFailure" });
        var container = (YamlMappingNode)((YamlSequenceNode)pod.Children[new YamlScalarNode("containers")]).Children.Single();
        var dockerfile = File.ReadAllText(Path.Combine(repo, "deploy", "Dockerfile"));
        Assert.Contains($"-t {Scalar(container, "image")} ", dockerfile);
        var command = ((YamlSequenceNode)container.Children[new YamlScalarNode("command")]).Children.Select(c => ((YamlScalarNode)c).Value!).ToArray();
        Assert.Equal(["tessera", "dataset", "encode"], command[..3]);
        Assert.DoesNotContain("--shard", command); // each pod's shard is JOB_COMPLETION_INDEX
        Assert.Contains(Tessera.Cli.Commands.DatasetCommand.ShardVariables[0], text);

        var mount = (YamlMappingNode)((YamlSequenceNode)container.Children[new YamlScalarNode("volumeMounts")]).Children.Single();
        var root = Scalar(mount, "mountPath");
        var volumes = ((YamlSequenceNode)pod.Children[new YamlScalarNode("volumes")]).Children.Cast<YamlMappingNode>();
        Assert.Contains(volumes, v => Scalar(v, "name") == Scalar(mount, "name"));
        string Arg(string option) => command[Array.IndexOf(command, option) + 1];
        Assert.StartsWith(root + "/", command[3]); // the plan
        Assert.StartsWith(root + "/", Arg("-m"));
        Assert.StartsWith(root + "/", Arg("-o"));
        Assert.Contains($"-o {root}/plan", text);
        Assert.Equal($"{root}/plan", command[3]);
    }

    private static YamlMappingNode Map(YamlMappingNode node, string key) => (YamlMappingNode)node.Children[new YamlScalarNode(key)];

    private static string Scalar(YamlMappingNode node, string key) => ((YamlScalarNode)node.Children[new YamlScalarNode(key)]).Value!;

    [GeneratedRegex(@"--shards (\d+)")]
    private static partial Regex PlannedShards();
}
