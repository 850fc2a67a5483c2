package dev.osprey.alerting.notify;

import java.io.StringReader;
import java.io.StringWriter;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.yaml.snakeyaml.DumperOptions;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.NodeTuple;
import org.yaml.snakeyaml.nodes.ScalarNode;
import org.yaml.snakeyaml.nodes.SequenceNode;
import org.yaml.snakeyaml.nodes.Tag;

/**
 * An Alertmanager config as Alertmanager shows it (its {@code /api/v2/status} {@code original}):
 * every value of its {@code Secret} and {@code SecretURL} types written as {@code <secret>}. The
 * keys are those Alertmanager declares secret, by the key of the enclosing mapping or list.
 */
final class ConfigSecrets {
  static final String MASK = "<secret>";

  /** Secret keys by the key that holds their mapping (or the list of their mappings). */
  private static final Map<String, Set<String>> SECRETS =
      Map.of(
          "global",
          Set.of(
              "slack_api_url",
              "smtp_auth_password",
              "smtp_auth_secret",
              "opsgenie_api_key",
              "victorops_api_key",
              "wechat_api_secret",
              "rocketchat_api_token",
              "rocketchat_api_token_id"),
          "http_config",
          Set.of("bearer_token"),
          "basic_auth",
          Set.of("password"),
          "authorization",
          Set.of("credentials"),
          "webhook_configs",
          Set.of("url"),
          "slack_configs",
          Set.of("api_url"),
          "pagerduty_configs",
          Set.of("routing_key", "service_key"));

  private ConfigSecrets() {}

  /** {@link #MASK} for a non-empty value (for records' toString); null and empty stay. */
  static String mask(String value, boolean secret) {
    return secret && value != null && !value.isEmpty() ? MASK : value;
  }

  /** The YAML text with every secret masked; comments are dropped, as Alertmanager drops them. */
  static String mask(String yaml) {
    LoaderOptions lo = new LoaderOptions();
    lo.setAllowDuplicateKeys(true);
    lo.setMaxAliasesForCollections(100);
    Node root = new Yaml(lo).compose(new StringReader(yaml));
    if (root == null) {
      return "";
    }
    walk(root, "");
    DumperOptions dopts = new DumperOptions();
    dopts.setDefaultFlowStyle(DumperOptions.FlowStyle.BLOCK);
    StringWriter out = new StringWriter();
    new Yaml(dopts).serialize(root, out);
    return out.toString();
  }

  private static void walk(Node n, String parentKey) {
    if (n instanceof SequenceNode s) {
      for (Node item : s.getValue()) {
        walk(item, parentKey);
      }
    } else if (n instanceof MappingNode m) {
      List<NodeTuple> tuples = m.getValue();
      Set<String> secret = SECRETS.getOrDefault(parentKey, Set.of());
      for (int i = 0; i < tuples.size(); i++) {
        NodeTuple t = tuples.get(i);
        String key = t.getKeyNode() instanceof ScalarNode k ? k.getValue() : "";
        if (secret.contains(key) && !isEmpty(t.getValueNode())) {
          tuples.set(
              i,
              new NodeTuple(
                  t.getKeyNode(),
                  new ScalarNode(Tag.STR, MASK, null, null, DumperOptions.ScalarStyle.PLAIN)));
        } else {
          walk(t.getValueNode(), key);
        }
      }
    }
  }

  private static boolean isEmpty(Node n) {
    return n instanceof ScalarNode s
        && (s.getValue().isEmpty() || s.getTag().getValue().endsWith(":null"));
  }
}
