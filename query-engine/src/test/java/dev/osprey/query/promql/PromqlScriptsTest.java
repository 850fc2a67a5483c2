package dev.osprey.query.promql;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * Runs Prometheus's own PromQL test scripts ({@code <repo>/../shared/promql-tests/*.test}) and
 * fails on regressions: every failing eval must be listed in {@code promql-known-failures.txt}
 * (file:line and a reason). Per-file pass counts go to stdout and {@code
 * target/promql-conformance.txt}.
 *
 * <p>Run with {@code -Dosprey.promql.writeKnownFailures=true} to rewrite the list from the current
 * failures (only ever to shrink it).
 */
class PromqlScriptsTest {
  static final String NH_REASON = "native histograms not implemented yet";

  static Path scriptsDir() {
    String root = System.getProperty("osprey.root");
    List<Path> candidates = new ArrayList<>();
    if (root != null) {
      candidates.add(Path.of(root).resolve("../shared/promql-tests"));
    }
    Path d = Path.of("").toAbsolutePath();
    for (int i = 0; i < 6 && d != null; i++, d = d.getParent()) {
      candidates.add(d.resolve("../shared/promql-tests"));
      candidates.add(d.resolve("shared/promql-tests"));
    }
    for (Path c : candidates) {
      if (Files.isDirectory(c)) {
        return c.normalize();
      }
    }
    return null;
  }

  @Test
  void upstreamScriptsHaveNoRegressions() throws IOException {
    Path dir = scriptsDir();
    Assumptions.assumeTrue(dir != null, "shared/promql-tests not found");
    Map<String, String> known = readKnownFailures();
    List<ScriptRunner.EvalResult> all = new ArrayList<>();
    List<Path> files;
    try (Stream<Path> s = Files.list(dir)) {
      files = s.filter(p -> p.toString().endsWith(".test")).sorted().toList();
    }
    StringBuilder report = new StringBuilder();
    int total = 0;
    int passed = 0;
    int nhFailed = 0;
    for (Path f : files) {
      String name = f.getFileName().toString();
      List<ScriptRunner.EvalResult> rs =
          new ScriptRunner(name).run(Files.readString(f, StandardCharsets.UTF_8));
      all.addAll(rs);
      int p = (int) rs.stream().filter(ScriptRunner.EvalResult::passed).count();
      int nh = (int) rs.stream().filter(r -> !r.passed() && r.histogram()).count();
      total += rs.size();
      passed += p;
      nhFailed += nh;
      report.append(
          String.format(
              "%-28s %4d / %4d passed  (%d failing evals involve native histograms)%n",
              name, p, rs.size(), nh));
    }
    int floatTotal = total - nhFailed;
    report.append(
        String.format(
            "TOTAL %d / %d evals passed (%.2f%%); float-sample evals: %d / %d (%.2f%%)%n",
            passed,
            total,
            100.0 * passed / total,
            passed,
            floatTotal,
            100.0 * passed / floatTotal));
    List<String> regressions = new ArrayList<>();
    List<String> fixed = new ArrayList<>();
    TreeMap<String, String> current = new TreeMap<>();
    for (ScriptRunner.EvalResult r : all) {
      String key = r.file() + ":" + r.line();
      if (!r.passed()) {
        String reason = r.histogram() ? NH_REASON : oneLine(r.error());
        current.put(key, reason + "  | " + r.header());
        if (!known.containsKey(key)) {
          regressions.add(key + " " + r.header() + " -> " + r.error());
        }
      } else if (known.containsKey(key)) {
        fixed.add(key + " " + r.header());
      }
    }
    if (!fixed.isEmpty()) {
      report.append("Known failures that now pass (remove them from the list):\n");
      fixed.forEach(x -> report.append("  ").append(x).append('\n'));
    }
    System.out.print(report);
    Path target = Path.of("target");
    Files.createDirectories(target);
    Files.writeString(target.resolve("promql-conformance.txt"), report.toString());
    StringBuilder failures = new StringBuilder();
    for (ScriptRunner.EvalResult r : all) {
      if (!r.passed()) {
        failures
            .append(r.file())
            .append(':')
            .append(r.line())
            .append(r.histogram() ? " [NH] " : " ")
            .append(r.header())
            .append("\n    -> ")
            .append(r.error())
            .append('\n');
      }
    }
    Files.writeString(target.resolve("promql-failures.txt"), failures.toString());
    if (Boolean.getBoolean("osprey.promql.writeKnownFailures")) {
      StringBuilder sb = new StringBuilder();
      sb.append(
          "# PromQL evals of the upstream scripts that fail today: <file>:<line> <reason>.\n");
      sb.append("# This list may only shrink. Written by PromqlScriptsTest.\n");
      current.forEach((k, v) -> sb.append(k).append(' ').append(v).append('\n'));
      Files.writeString(Path.of("src/test/resources/promql-known-failures.txt"), sb.toString());
    }
    assertThat(regressions).as("evals failing that are not in promql-known-failures.txt").isEmpty();
  }

  private static String oneLine(String s) {
    if (s == null) {
      return "failed";
    }
    s = s.replace('\n', ' ');
    return s.length() > 160 ? s.substring(0, 160) + "..." : s;
  }

  private static Map<String, String> readKnownFailures() throws IOException {
    Map<String, String> out = new LinkedHashMap<>();
    try (var in = PromqlScriptsTest.class.getResourceAsStream("/promql-known-failures.txt")) {
      if (in == null) {
        return out;
      }
      for (String line : new String(in.readAllBytes(), StandardCharsets.UTF_8).split("\n")) {
        line = line.strip();
        if (line.isEmpty() || line.startsWith("#")) {
          continue;
        }
        int sp = line.indexOf(' ');
        out.put(sp < 0 ? line : line.substring(0, sp), sp < 0 ? "" : line.substring(sp + 1));
      }
    }
    return out;
  }
}
