package dev.osprey.logs.shipper;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.Size;

/** The parsers never throw and only return clean results, whatever the bytes. */
class ParserFuzzTest {
  @Property(tries = 3000)
  void criParserTotalOnArbitraryBytes(@ForAll @Size(max = 200) byte[] b) {
    checkCri(b);
  }

  @Property(tries = 3000)
  void criParserTotalOnMutatedValidLines(@ForAll("mutatedCri") byte[] b) {
    checkCri(b);
  }

  @Property(tries = 3000)
  void dockerParserTotalOnMutatedValidLines(@ForAll("mutatedDocker") String s) {
    DockerJsonParser.Result r = DockerJsonParser.parse(s);
    if (r != null) {
      assertThat(r.log()).isNotNull();
      assertThat(r.timestampNanos()).isNotEqualTo(Long.MIN_VALUE);
    }
  }

  @Property(tries = 2000)
  void dockerParserTotalOnArbitraryStrings(@ForAll @Size(max = 200) String s) {
    DockerJsonParser.parse(s);
    DockerJsonParser.parse("{" + s);
    DockerJsonParser.parse("{\"log\":\"" + s + "\",\"time\":\"2026-11-22T04:05:06Z\"}");
  }

  private static void checkCri(byte[] b) {
    CriParser.Result r = new CriParser.Result();
    if (CriParser.parse(b, 0, b.length, r)) {
      assertThat(r.messageOffset).isBetween(0, b.length);
      String head = new String(b, 0, Math.min(b.length, 40), StandardCharsets.ISO_8859_1);
      assertThat(head).containsAnyOf(" stdout ", " stderr ");
    }
  }

  @Provide
  Arbitrary<byte[]> mutatedCri() {
    return mutate("2026-11-22T04:05:06.123456789Z stdout P some message é✓");
  }

  @Provide
  Arbitrary<String> mutatedDocker() {
    return mutate(
            "{\"log\":\"a \\\"b\\\" \\u00e9\\n\",\"stream\":\"stdout\",\"time\":\"2026-11-22T04:05:06.1Z\"}")
        .map(b -> new String(b, StandardCharsets.UTF_8));
  }

  private static Arbitrary<byte[]> mutate(String seed) {
    byte[] base = seed.getBytes(StandardCharsets.UTF_8);
    return Arbitraries.integers()
        .between(0, base.length - 1)
        .list()
        .ofMinSize(1)
        .ofMaxSize(4)
        .flatMap(
            positions ->
                Arbitraries.bytes()
                    .list()
                    .ofSize(positions.size())
                    .flatMap(
                        values ->
                            Arbitraries.integers()
                                .between(0, base.length)
                                .map(
                                    cut -> {
                                      byte[] b = base.clone();
                                      for (int i = 0; i < positions.size(); i++) {
                                        b[positions.get(i)] = values.get(i);
                                      }
                                      return java.util.Arrays.copyOf(b, cut);
                                    })));
  }
}
