package dev.osprey.core.util;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class Utf8Test {
  @ParameterizedTest
  @ValueSource(
      strings = {
        "",
        "plain ascii",
        "naïve café",
        "€ 12",
        "日本語のログ",
        "emoji 😀 and 𝄞",
        "mixed é€😀x"
      })
  void lengthIsTheEncodedByteCount(String s) {
    assertThat(Utf8.length(s)).isEqualTo(s.getBytes(StandardCharsets.UTF_8).length);
  }
}
