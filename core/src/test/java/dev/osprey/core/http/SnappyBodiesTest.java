package dev.osprey.core.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.xerial.snappy.Snappy;

class SnappyBodiesTest {

  /** A block whose header claims {@code claimed} decoded bytes, followed by one literal byte. */
  private static byte[] claiming(long claimed) {
    byte[] b = new byte[16];
    int i = 0;
    long v = claimed;
    while (v >= 0x80) {
      b[i++] = (byte) (v | 0x80);
      v >>>= 7;
    }
    b[i++] = (byte) v;
    b[i++] = 0; // literal of length 1
    b[i++] = 'x';
    return Arrays.copyOf(b, i);
  }

  @Test
  void validBlocksDecodeEvenAtTheLargestRatioSnappyReaches() throws IOException {
    byte[] text = "remote write ".repeat(1000).getBytes();
    assertThat(SnappyBodies.decode(Snappy.compress(text))).isEqualTo(text);
    // one repeated byte compresses as far as snappy goes: copies of 64 bytes, 3 bytes each
    byte[] zeros = new byte[1 << 20];
    byte[] packed = Snappy.compress(zeros);
    assertThat((double) zeros.length / packed.length).isGreaterThan(20);
    assertThat(SnappyBodies.decode(packed)).isEqualTo(zeros);
    assertThat(SnappyBodies.decode(Snappy.compress(new byte[0]))).isEmpty();
  }

  @Test
  void aHeaderClaimingMoreThanTheBodyCanHoldIsRefusedBeforeAllocating() {
    byte[] twoGigabytes = claiming(2_000_000_000L);
    assertThatThrownBy(() -> SnappyBodies.decodedLength(twoGigabytes))
        .isInstanceOf(IOException.class)
        .hasMessage(
            "the header claims 2000000000 decoded bytes, more than a "
                + twoGigabytes.length
                + "-byte block can hold");
    assertThatThrownBy(() -> SnappyBodies.decode(claiming(4_000_000_000L)))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("the header claims 4000000000 decoded bytes");
  }

  @Test
  void aHeaderWithinTheBoundButWrongIsStillRefused() {
    // claims 40 bytes, holds one literal byte: within 22 x 5 bytes, but not what the block decodes
    // to
    assertThatThrownBy(() -> SnappyBodies.decode(claiming(40))).isInstanceOf(IOException.class);
    assertThatThrownBy(() -> SnappyBodies.decode(new byte[] {(byte) 0xff}))
        .isInstanceOf(IOException.class);
  }
}
