package dev.osprey.alerting.internal;

import java.io.StringReader;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.NodeTuple;
import org.yaml.snakeyaml.nodes.ScalarNode;
import org.yaml.snakeyaml.nodes.SequenceNode;

/**
 * A YAML node with its position, so that configuration errors point at line and column. Mapping
 * keys are checked against the names a caller knows: an unknown key is an error naming it.
 */
public final class Yaml {
  /** A configuration error at a position of the input. */
  public static final class YamlException extends RuntimeException {
    private final int line;
    private final int column;

    public YamlException(int line, int column, String message) {
      super(message, null, false, false);
      this.line = line;
      this.column = column;
    }

    public int line() {
      return line;
    }

    public int column() {
      return column;
    }
  }

  private final Node node;

  private Yaml(Node node) {
    this.node = node;
  }

  /** Parses a document; null when the document is empty. */
  public static Yaml parse(String text) {
    LoaderOptions lo = new LoaderOptions();
    lo.setAllowDuplicateKeys(true); // checked below, with a position
    lo.setMaxAliasesForCollections(100);
    try {
      Node n = new org.yaml.snakeyaml.Yaml(lo).compose(new StringReader(text));
      return n == null ? null : new Yaml(n);
    } catch (org.yaml.snakeyaml.error.MarkedYAMLException e) {
      var m = e.getProblemMark();
      throw new YamlException(
          m == null ? 0 : m.getLine() + 1,
          m == null ? 0 : m.getColumn() + 1,
          "yaml: " + (e.getProblem() == null ? e.getMessage() : e.getProblem()));
    } catch (org.yaml.snakeyaml.error.YAMLException e) {
      throw new YamlException(0, 0, "yaml: " + e.getMessage());
    }
  }

  public int line() {
    return node.getStartMark().getLine() + 1;
  }

  public int column() {
    return node.getStartMark().getColumn() + 1;
  }

  public YamlException error(String message) {
    return new YamlException(line(), column(), message);
  }

  public boolean isMap() {
    return node instanceof MappingNode;
  }

  public boolean isList() {
    return node instanceof SequenceNode;
  }

  public boolean isScalar() {
    return node instanceof ScalarNode;
  }

  public boolean isNull() {
    return node instanceof ScalarNode s && s.getTag().getValue().endsWith(":null");
  }

  /** The entries of a mapping in order; keys must be in {@code known} (null: any key). */
  public Map<String, Yaml> map(String type, Set<String> known) {
    if (isNull()) {
      return Map.of();
    }
    if (!(node instanceof MappingNode m)) {
      throw error("cannot unmarshal " + kind() + " into " + type);
    }
    Map<String, Yaml> out = new LinkedHashMap<>();
    for (NodeTuple t : m.getValue()) {
      Yaml k = new Yaml(t.getKeyNode());
      String key = k.scalar(type + " key");
      if (known != null && !known.contains(key)) {
        throw k.error("field " + key + " not found in type " + type);
      }
      if (out.containsKey(key)) {
        throw k.error("mapping key \"" + key + "\" already defined");
      }
      out.put(key, new Yaml(t.getValueNode()));
    }
    return out;
  }

  public List<Yaml> list(String what) {
    if (isNull()) {
      return List.of();
    }
    if (!(node instanceof SequenceNode s)) {
      throw error("cannot unmarshal " + kind() + " into " + what);
    }
    List<Yaml> out = new ArrayList<>();
    for (Node n : s.getValue()) {
      out.add(new Yaml(n));
    }
    return out;
  }

  public String scalar(String what) {
    if (!(node instanceof ScalarNode s)) {
      throw error("cannot unmarshal " + kind() + " into " + what);
    }
    return isNull() ? "" : s.getValue();
  }

  public boolean bool(String what) {
    String v = scalar(what);
    return switch (v) {
      case "true", "True", "TRUE", "yes", "on" -> true;
      case "false", "False", "FALSE", "no", "off", "" -> false;
      default -> throw error("cannot unmarshal !!str `" + v + "` into bool (" + what + ")");
    };
  }

  public int integer(String what) {
    String v = scalar(what);
    try {
      return Integer.parseInt(v);
    } catch (NumberFormatException e) {
      throw error("cannot unmarshal !!str `" + v + "` into int (" + what + ")");
    }
  }

  public Map<String, String> stringMap(String what) {
    Map<String, String> out = new LinkedHashMap<>();
    map(what, null).forEach((k, v) -> out.put(k, v.scalar(what + " value")));
    return out;
  }

  public List<String> stringList(String what) {
    List<String> out = new ArrayList<>();
    for (Yaml y : list(what)) {
      out.add(y.scalar(what));
    }
    return out;
  }

  private String kind() {
    if (node instanceof MappingNode) {
      return "!!map";
    }
    if (node instanceof SequenceNode) {
      return "!!seq";
    }
    ScalarNode s = (ScalarNode) node;
    String tag = s.getTag().getValue();
    String t = tag.substring(tag.lastIndexOf(':') + 1);
    return "!!" + t + " `" + s.getValue() + "`";
  }
}
