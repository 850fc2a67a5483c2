package dev.osprey.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLParser;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/**
 * The Kubernetes manifests parse, list every file kustomize needs, and start the binary only with
 * flags the binary has (no cluster here, so this is as far as they can be checked).
 */
class ManifestsTest {
  private static final ObjectMapper YAML = JsonMapper.builder(new YAMLFactory()).build();
  private final Path dir = ConfigurationDocsTest.repoRoot().resolve("daemonset-manifests");

  private List<JsonNode> docs(Path file) throws IOException {
    List<JsonNode> out = new ArrayList<>();
    try (YAMLParser p = (YAMLParser) YAML.getFactory().createParser(file.toFile())) {
      var it = YAML.readValues(p, JsonNode.class);
      while (it.hasNext()) {
        JsonNode n = it.next();
        if (n != null && !n.isNull()) {
          out.add(n);
        }
      }
    }
    return out;
  }

  @Test
  void kustomizationListsParseableResources() throws IOException {
    JsonNode k = docs(dir.resolve("kustomization.yaml")).get(0);
    TreeSet<String> kinds = new TreeSet<>();
    for (JsonNode r : k.get("resources")) {
      Path f = dir.resolve(r.asText());
      assertThat(f).exists();
      for (JsonNode d : docs(f)) {
        assertThat(d.path("apiVersion").asText()).isNotEmpty();
        kinds.add(d.get("kind").asText());
      }
    }
    assertThat(kinds)
        .contains("DaemonSet", "StatefulSet", "Service", "ServiceAccount", "ClusterRole");
  }

  @Test
  void containersUseOnlyFlagsTheBinaryHas() throws IOException {
    TreeSet<String> flags = ConfigurationDocsTest.allFlags(Main.commandLine());
    for (String file : List.of("agent.yaml", "server.yaml")) {
      for (JsonNode d : docs(dir.resolve(file))) {
        JsonNode containers = d.at("/spec/template/spec/containers");
        for (JsonNode c : containers) {
          for (JsonNode a : c.get("args")) {
            String arg = a.asText();
            if (arg.startsWith("--")) {
              String flag = arg.contains("=") ? arg.substring(0, arg.indexOf('=')) : arg;
              assertThat(flags).as(file + " uses " + flag).contains(flag);
            }
          }
        }
      }
    }
  }

  @Test
  void agentKnowsItsNodeAndMayWatchPods() throws IOException {
    JsonNode ds = docs(dir.resolve("agent.yaml")).get(0);
    JsonNode env = ds.at("/spec/template/spec/containers/0/env");
    String nodeNameFrom = "";
    for (JsonNode e : env) {
      if (e.path("name").asText().equals("NODE_NAME")) {
        nodeNameFrom = e.at("/valueFrom/fieldRef/fieldPath").asText();
      }
    }
    // the agent's API-server watch selects spec.nodeName=$NODE_NAME; without it start fails
    assertThat(nodeNameFrom).isEqualTo("spec.nodeName");
    assertThat(ds.at("/spec/template/spec/serviceAccountName").asText()).isEqualTo("osprey-agent");
    // container_network_* reads /proc/<pid>/net/dev of host pids; node_network_* /proc/net/dev
    assertThat(ds.at("/spec/template/spec/hostPID").asBoolean()).isTrue();
    assertThat(ds.at("/spec/template/spec/hostNetwork").asBoolean()).isTrue();
    TreeSet<String> podVerbs = new TreeSet<>();
    for (JsonNode d : docs(dir.resolve("rbac.yaml"))) {
      if (d.path("kind").asText().equals("ClusterRole")) {
        for (JsonNode rule : d.get("rules")) {
          List<String> resources = new ArrayList<>();
          rule.get("resources").forEach(r -> resources.add(r.asText()));
          if (resources.contains("pods")) {
            rule.get("verbs").forEach(v -> podVerbs.add(v.asText()));
          }
        }
      }
    }
    assertThat(podVerbs).contains("get", "list", "watch");
  }
}
