package dev.osprey.alerting.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class XxHash64Test {
  @Test
  void knownVectors() {
    assertThat(XxHash64.hash(new byte[0])).isEqualTo(0xEF46DB3751D8E999L);
    assertThat(XxHash64.hash("abc".getBytes(StandardCharsets.UTF_8)))
        .isEqualTo(0x44BC2CF5AD770999L);
    assertThat(
            XxHash64.hash(
                "Nobody inspects the spammish repetition".getBytes(StandardCharsets.UTF_8)))
        .isEqualTo(0xFBCEA83C8A378BF1L);
  }
}
