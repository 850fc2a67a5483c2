package dev.osprey.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.osprey.core.config.ConfigLoader;
import dev.osprey.core.config.OspreyConfig;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.RecordComponent;
import java.lang.reflect.Type;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;

/** Every flag and every config key has its line in docs/configuration.md. */
class ConfigurationDocsTest {
  static Path repoRoot() {
    String root = System.getProperty("osprey.root");
    Path p = root != null ? Path.of(root) : Path.of("").toAbsolutePath();
    while (p != null && !Files.exists(p.resolve("docs/configuration.md"))) {
      p = p.getParent();
    }
    if (p == null) {
      throw new AssertionError("docs/configuration.md not found above " + root);
    }
    return p;
  }

  @Test
  void everyOptionIsDocumented() throws Exception {
    String doc = Files.readString(repoRoot().resolve("docs/configuration.md"));
    List<String> missing = new ArrayList<>();
    for (String flag : allFlags(Main.commandLine())) {
      if (!doc.contains("`" + flag + "`") && !doc.contains("`" + flag + " ")) {
        missing.add("flag " + flag);
      }
    }
    for (String key : configKeys(OspreyConfig.class, "")) {
      if (!doc.contains("`" + key + "`")) {
        missing.add("config key " + key);
      }
    }
    assertThat(missing).as("options without a line in docs/configuration.md").isEmpty();
  }

  static TreeSet<String> allFlags(CommandLine cl) {
    TreeSet<String> out = new TreeSet<>();
    collect(cl.getCommandSpec(), out);
    return out;
  }

  private static void collect(CommandSpec spec, TreeSet<String> out) {
    for (OptionSpec o : spec.options()) {
      if (o.usageHelp() || o.versionHelp()) {
        continue;
      }
      out.add(o.longestName());
    }
    for (CommandLine sub : spec.subcommands().values()) {
      collect(sub.getCommandSpec(), out);
    }
  }

  static List<String> configKeys(Class<?> record, String prefix) {
    List<String> out = new ArrayList<>();
    for (RecordComponent rc : record.getRecordComponents()) {
      String key = prefix + ConfigLoader.keyOf(rc.getName());
      Type t = rc.getGenericType();
      Class<?> raw = t instanceof ParameterizedType pt ? (Class<?>) pt.getRawType() : (Class<?>) t;
      if (raw.isRecord() && raw.getPackageName().equals("dev.osprey.core.config")) {
        out.addAll(configKeys(raw, key + "."));
      } else {
        out.add(key);
      }
    }
    return out;
  }
}
