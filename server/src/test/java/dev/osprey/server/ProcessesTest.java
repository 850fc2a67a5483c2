package dev.osprey.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class ProcessesTest {
  /** Prints whether this process was started with SIGHUP ignored. */
  public static final class Probe {
    public static void main(String[] args) {
      System.out.print(Processes.sighupIgnored());
    }
  }

  private static String probe(String... prefix) throws Exception {
    List<String> cmd = new ArrayList<>(List.of(prefix));
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), Probe.class.getName()));
    Process p = new ProcessBuilder(cmd).redirectErrorStream(false).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
    return out.trim();
  }

  @Test
  void seesASighupIgnoredByNohup() throws Exception {
    assertThat(probe("env", "--default-signal=HUP")).isEqualTo("false");
    assertThat(probe("nohup")).isEqualTo("true");
  }
}
