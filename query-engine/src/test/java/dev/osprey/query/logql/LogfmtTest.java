package dev.osprey.query.logql;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Loki's logfmt decoder and its --strict and --keep-empty flags. */
class LogfmtTest {
  private record Out(Map<String, String> pairs, String err) {}

  private static Out decode(String line, boolean strict, boolean keepEmpty) {
    Map<String, String> m = new LinkedHashMap<>();
    String err = Logfmt.decode(line, strict, keepEmpty, m::put);
    return new Out(m, err);
  }

  @Test
  void pairsQuotesAndEscapes() {
    Out o = decode("a=1 b=\"two words\" c=\"q\\\"x\\\\y\\u00e9\\n\" d=\"tab\tin\" e", false, false);
    assertThat(o.pairs())
        .containsExactly(
            Map.entry("a", "1"),
            Map.entry("b", "two words"),
            Map.entry("c", "q\"x\\yé\n"),
            Map.entry("d", "tab\tin"));
    assertThat(o.err()).isNull();
    assertThat(decode("a=\"x\"b=2", false, false).pairs()).containsEntry("b", "2");
  }

  @Test
  void emptyValuesOnlyWithKeepEmpty() {
    assertThat(decode("a= b c=\"\" d=1", false, false).pairs())
        .containsExactly(Map.entry("d", "1"));
    assertThat(decode("a= b c=\"\" d=1", false, true).pairs())
        .containsExactly(
            Map.entry("a", ""), Map.entry("b", ""), Map.entry("c", ""), Map.entry("d", "1"));
    assertThat(decode("a=x\uFFFDy", false, false).pairs()).isEmpty();
  }

  @Test
  void errorsSkipAPairUnlessStrict() {
    String line = "a=1 =x b=2 c=d=e f\"g h=\"\\q\" i=\"open";
    Out lenient = decode(line, false, false);
    assertThat(lenient.pairs()).containsExactly(Map.entry("a", "1"), Map.entry("b", "2"));
    Out strict = decode(line, true, false);
    assertThat(strict.pairs()).containsExactly(Map.entry("a", "1"));
    assertThat(strict.err()).isEqualTo("logfmt syntax error at pos 5 : unexpected '='");
    assertThat(decode("a=\"\\q\" b=1", true, false).err())
        .isEqualTo("logfmt syntax error at pos 7 : invalid quoted value");
    assertThat(decode("a=\"open", true, false).err())
        .isEqualTo("logfmt syntax error at pos 8 : unterminated quoted value");
  }

  @Test
  void inPipelines() {
    String bad = "sev=error msg=\"open";
    Pipeline.State lenient = PipelineTest.run("| logfmt", bad);
    assertThat(lenient.labels().get("sev")).isEqualTo("error");
    assertThat(lenient.labels().get("__error__")).isEmpty();
    Pipeline.State strict = PipelineTest.run("| logfmt --strict", bad);
    assertThat(strict.labels().get("sev")).isEqualTo("error");
    assertThat(strict.labels().get("__error__")).isEqualTo("LogfmtParserErr");
    assertThat(strict.labels().get("__error_details__"))
        .isEqualTo("logfmt syntax error at pos 20 : unterminated quoted value");
    assertThat(PipelineTest.run("| logfmt --keep-empty | a=\"\"", "a= b=1")).isNotNull();
    assertThat(PipelineTest.run("| logfmt --strict --keep-empty lvl=\"sev\"", "sev=w x=1"))
        .extracting(s -> s.labels().get("lvl"))
        .isEqualTo("w");
  }
}
