package dev.osprey.logs.shipper;

import static org.assertj.core.api.Assertions.assertThat;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.Size;

/** The word-at-a-time newline search finds what a byte loop finds, from every start. */
class NewlineScanTest {
  @Property(tries = 3000)
  void agreesWithAByteLoop(@ForAll @Size(max = 40) byte[] any) {
    byte[] dense = new byte[any.length]; // many newlines: bytes 8 to 11
    for (int i = 0; i < any.length; i++) {
      dense[i] = (byte) (8 + (any[i] & 3));
    }
    for (byte[] b : new byte[][] {dense, any}) {
      for (int from = 0; from <= b.length; from++) {
        for (int end = from; end <= b.length; end += 3) {
          int expected = -1;
          for (int i = from; i < end; i++) {
            if (b[i] == '\n') {
              expected = i;
              break;
            }
          }
          assertThat(FileTailer.indexOfNewline(b, from, end)).isEqualTo(expected);
        }
      }
    }
  }
}
