package dev.osprey.alerting.rules;

import dev.osprey.alerting.ExpressionValidator;
import dev.osprey.alerting.internal.Yaml;
import dev.osprey.alerting.template.PromTemplates;
import dev.osprey.core.labels.Labels;
import dev.osprey.core.util.PromDuration;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.PathMatcher;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * Reads rule files in Prometheus's format and validates them as Prometheus's rulefmt does, with its
 * messages: {@code FILE: LINE:COL: group "g", rule N, "name": what}.
 */
public final class RuleFiles {
  private static final Set<String> FILE_KEYS = Set.of("groups");
  private static final Set<String> GROUP_KEYS =
      Set.of("name", "interval", "query_offset", "limit", "labels", "rules");
  private static final Set<String> RULE_KEYS =
      Set.of("record", "alert", "expr", "for", "keep_firing_for", "labels", "annotations");

  private RuleFiles() {}

  /** Expands globs (a path whose file name may hold {@code * ? [..] {..}}) into sorted files. */
  public static List<Path> expand(List<String> globs) throws IOException {
    List<Path> out = new ArrayList<>();
    for (String g : globs) {
      Path p = Path.of(g);
      String fn = p.getFileName() == null ? "" : p.getFileName().toString();
      if (!fn.matches(".*[*?\\[{].*")) {
        out.add(p);
        continue;
      }
      Path dir = p.getParent() == null ? Path.of(".") : p.getParent();
      if (!Files.isDirectory(dir)) {
        continue;
      }
      PathMatcher m = FileSystems.getDefault().getPathMatcher("glob:" + fn);
      try (Stream<Path> s = Files.list(dir)) {
        s.filter(x -> Files.isRegularFile(x) && m.matches(x.getFileName()))
            .sorted()
            .forEach(out::add);
      }
    }
    return out.stream().distinct().toList();
  }

  /** Reads and validates one file. */
  public static List<GroupSpec> load(Path file, ExpressionValidator validator)
      throws IOException, RuleFileException {
    String text = Files.readString(file, StandardCharsets.UTF_8);
    return parse(file.toString(), text, validator);
  }

  /** Parses and validates; every problem found is reported, not only the first. */
  public static List<GroupSpec> parse(String file, String text, ExpressionValidator validator)
      throws RuleFileException {
    List<String> errors = new ArrayList<>();
    List<GroupSpec> groups = new ArrayList<>();
    Yaml doc;
    try {
      doc = Yaml.parse(text);
    } catch (Yaml.YamlException e) {
      throw new RuleFileException(List.of(file + ": " + pos(e) + e.getMessage()));
    }
    if (doc == null) {
      return List.of();
    }
    try {
      Map<String, Yaml> top = doc.map("rulefmt.RuleGroups", FILE_KEYS);
      Yaml gs = top.get("groups");
      Set<String> names = new HashSet<>();
      for (Yaml g : gs == null ? List.<Yaml>of() : gs.list("[]rulefmt.RuleGroup")) {
        GroupSpec spec = group(file, g, validator, errors, names);
        if (spec != null) {
          groups.add(spec);
        }
      }
    } catch (Yaml.YamlException e) {
      if (e.line() == 0) {
        errors.add(file + ": " + e.getMessage());
      } else {
        errors.add(file + ": yaml: unmarshal errors:\n  line " + e.line() + ": " + e.getMessage());
      }
    }
    if (!errors.isEmpty()) {
      throw new RuleFileException(errors);
    }
    return groups;
  }

  private static String pos(Yaml.YamlException e) {
    return e.line() > 0 ? e.line() + ":" + e.column() + ": " : "";
  }

  private static GroupSpec group(
      String file, Yaml g, ExpressionValidator validator, List<String> errors, Set<String> names) {
    Map<String, Yaml> m = g.map("rulefmt.RuleGroup", GROUP_KEYS);
    Yaml nameNode = m.get("name");
    String name = nameNode == null ? "" : nameNode.scalar("string");
    Yaml at = g;
    if (name.isEmpty()) {
      errors.add(file + ": " + at.line() + ":" + at.column() + ": Groupname must not be empty");
    } else if (!names.add(name)) {
      errors.add(
          file
              + ": "
              + at.line()
              + ":"
              + at.column()
              + ": groupname: \""
              + name
              + "\" is repeated in the same file");
    }
    long interval = duration(m.get("interval"));
    long offset = duration(m.get("query_offset"));
    int limit = m.get("limit") == null ? 0 : m.get("limit").integer("int");
    Map<String, String> groupLabels =
        m.get("labels") == null ? Map.of() : m.get("labels").stringMap("map[string]string");
    List<RuleSpec> rules = new ArrayList<>();
    List<Yaml> rs = m.get("rules") == null ? List.of() : m.get("rules").list("[]rulefmt.RuleNode");
    for (int i = 0; i < rs.size(); i++) {
      RuleSpec r = rule(file, name, i + 1, rs.get(i), validator, errors);
      if (r != null) {
        rules.add(r);
      }
    }
    return new GroupSpec(name, file, interval, offset, limit, groupLabels, rules);
  }

  private static long duration(Yaml y) {
    if (y == null) {
      return 0;
    }
    String s = y.scalar("model.Duration");
    try {
      return PromDuration.parseMillis(s);
    } catch (IllegalArgumentException e) {
      throw new Yaml.YamlException(0, 0, e.getMessage()); // promtool prints it without a position
    }
  }

  private static RuleSpec rule(
      String file,
      String group,
      int index,
      Yaml node,
      ExpressionValidator validator,
      List<String> errors) {
    Map<String, Yaml> m = node.map("rulefmt.RuleNode", RULE_KEYS);
    Yaml recordN = m.get("record");
    Yaml alertN = m.get("alert");
    Yaml exprN = m.get("expr");
    String record = recordN == null ? "" : recordN.scalar("string");
    String alert = alertN == null ? "" : alertN.scalar("string");
    String expr = exprN == null ? "" : exprN.scalar("string");
    long forMs = duration(m.get("for"));
    long keepMs = duration(m.get("keep_firing_for"));
    Map<String, String> labels =
        m.get("labels") == null ? Map.of() : m.get("labels").stringMap("map[string]string");
    Map<String, String> annotations =
        m.get("annotations") == null
            ? Map.of()
            : m.get("annotations").stringMap("map[string]string");
    String ruleName = alert.isEmpty() ? record : alert;
    String prefix = "group " + quote(group) + ", rule " + index + ", " + quote(ruleName) + ": ";
    List<String> errs = new ArrayList<>();
    Yaml recPos = recordN != null ? recordN : node;
    Yaml alertPos = alertN != null ? alertN : node;
    if (!record.isEmpty() && !alert.isEmpty()) {
      errs.add(at2(recPos, alertPos) + prefix + "only one of 'record' and 'alert' must be set");
    }
    if (record.isEmpty() && alert.isEmpty()) {
      errs.add(at2(recPos, alertPos) + prefix + "one of 'record' or 'alert' must be set");
    }
    if (expr.isEmpty()) {
      // promtool reports the absent node's zero position
      errs.add((exprN != null ? at(exprN) : "0:0: ") + prefix + "field 'expr' must be set in rule");
    } else {
      String perr = validator.validate(expr);
      if (perr != null) {
        errs.add(at(exprN) + prefix + "could not parse expression: " + perr);
      }
    }
    if (!record.isEmpty()) {
      if (!annotations.isEmpty()) {
        errs.add(at(recPos) + prefix + "invalid field 'annotations' in recording rule");
      }
      if (forMs != 0) {
        errs.add(at(recPos) + prefix + "invalid field 'for' in recording rule");
      }
      if (keepMs != 0) {
        errs.add(at(recPos) + prefix + "invalid field 'keep_firing_for' in recording rule");
      }
      if (!Labels.isValidMetricName(record)) {
        errs.add(at(recPos) + prefix + "invalid recording rule name: " + record);
      }
    }
    for (var e : new TreeMap<>(labels).entrySet()) {
      if (!Labels.isValidLabelName(e.getKey()) || e.getKey().equals(Labels.METRIC_NAME)) {
        errs.add(prefix + "invalid label name: " + e.getKey());
      }
    }
    for (String k : new TreeMap<>(annotations).keySet()) {
      if (!Labels.isValidLabelName(k)) {
        errs.add(prefix + "invalid annotation name: " + k);
      }
    }
    if (!alert.isEmpty()) {
      String tname = "__alert_" + alert;
      for (var e : new TreeMap<>(labels).entrySet()) {
        String terr = PromTemplates.check(tname, e.getValue());
        if (terr != null) {
          errs.add(prefix + "label " + quote(e.getKey()) + ": " + terr);
        }
      }
      for (var e : new TreeMap<>(annotations).entrySet()) {
        String terr = PromTemplates.check(tname, e.getValue());
        if (terr != null) {
          errs.add(prefix + "annotation " + quote(e.getKey()) + ": " + terr);
        }
      }
    }
    for (String e : errs) {
      errors.add(file + ": " + e);
    }
    if (!errs.isEmpty()) {
      return null;
    }
    return new RuleSpec(
        record.isEmpty() ? null : record,
        alert.isEmpty() ? null : alert,
        expr,
        forMs,
        keepMs,
        labels,
        annotations);
  }

  private static String at(Yaml y) {
    return y.line() + ":" + y.column() + ": ";
  }

  private static String at2(Yaml a, Yaml b) {
    return at(a) + at(b);
  }

  private static String quote(String s) {
    return Labels.quote(s);
  }

  /**
   * Promtool's duplicate check: rules of a group with the same name and labels. Returns one message
   * per duplicated rule, empty when there are none.
   */
  public static List<String> duplicates(List<GroupSpec> groups) {
    Map<String, Integer> counts = new TreeMap<>();
    Map<String, String> shown = new HashMap<>();
    for (GroupSpec g : groups) {
      for (RuleSpec r : g.rules()) {
        Labels l = Labels.fromMap(r.labels());
        String key = r.name() + "\u0000" + l;
        counts.merge(key, 1, Integer::sum);
        StringBuilder sb = new StringBuilder("Metric: ").append(r.name()).append("\nLabel(s):\n");
        l.forEach((k, v) -> sb.append('\t').append(k).append(": ").append(v).append('\n'));
        shown.put(key, sb.toString());
      }
    }
    int dups = 0;
    StringBuilder sb = new StringBuilder();
    for (var e : counts.entrySet()) {
      if (e.getValue() > 1) {
        dups++;
        sb.append(shown.get(e.getKey()));
      }
    }
    if (dups == 0) {
      return List.of();
    }
    return List.of(
        "lint error "
            + dups
            + " duplicate rule(s) found.\n"
            + sb
            + "Might cause inconsistency while recording expressions");
  }

  /**
   * {@code osprey rules check FILE...}: prints as {@code promtool check rules} and returns the exit
   * code (0 ok, 1 when any file failed).
   */
  public static int check(
      List<Path> files,
      ExpressionValidator validator,
      java.io.PrintStream out,
      java.io.PrintStream err) {
    int code = 0;
    for (Path f : files) {
      out.println("Checking " + f);
      try {
        List<GroupSpec> groups = load(f, validator);
        List<String> dups = duplicates(groups);
        if (!dups.isEmpty()) {
          // a lint finding, as promtool's default --lint=duplicate-rules: reported, not fatal
          err.println("  FAILED:");
          dups.forEach(err::println);
          out.println();
          continue;
        }
        int n = groups.stream().mapToInt(g -> g.rules().size()).sum();
        out.println("  SUCCESS: " + n + " rules found");
      } catch (RuleFileException e) {
        err.println("  FAILED:");
        e.errors().forEach(err::println);
        code = 1;
      } catch (IOException e) {
        err.println("  FAILED:");
        err.println("cannot read " + f + ": " + e.getMessage());
        code = 1;
      }
      out.println();
    }
    return code;
  }
}
