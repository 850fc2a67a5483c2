package dev.osprey.server;

import java.io.IOException;
import java.io.InputStream;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Properties;
import picocli.CommandLine;

/** Version facts baked in at build time, shaped for Prometheus's /api/v1/status/buildinfo. */
public final class BuildInfo implements CommandLine.IVersionProvider {
  private static final Properties PROPS = load();

  private static Properties load() {
    Properties p = new Properties();
    try (InputStream in = BuildInfo.class.getResourceAsStream("/osprey-build.properties")) {
      if (in != null) {
        p.load(in);
      }
    } catch (IOException e) {
      throw new IllegalStateException("BUG: cannot read osprey-build.properties", e);
    }
    return p;
  }

  public static String version() {
    String v = PROPS.getProperty("version", "unknown");
    return v.startsWith("${") ? "dev" : v;
  }

  public static String buildDate() {
    String v = PROPS.getProperty("buildDate", "");
    return v.startsWith("${") ? "" : v;
  }

  /** The {@code data} object of /api/v1/status/buildinfo, with Prometheus's keys. */
  public static Map<String, String> asPrometheusData() {
    Map<String, String> m = new LinkedHashMap<>();
    m.put("version", version());
    m.put("revision", "");
    m.put("branch", "");
    m.put("buildUser", "osprey");
    m.put("buildDate", buildDate());
    m.put("goVersion", "java" + Runtime.version().feature());
    m.put("application", "osprey");
    return m;
  }

  @Override
  public String[] getVersion() {
    return new String[] {
      "osprey "
          + version()
          + " (built "
          + buildDate()
          + ", running on Java "
          + Runtime.version()
          + ")"
    };
  }
}
