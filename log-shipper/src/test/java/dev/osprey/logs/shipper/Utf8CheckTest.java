package dev.osprey.logs.shipper;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.Size;

/** Utf8Check agrees with the JDK's strict decoder on every input. */
class Utf8CheckTest {
  static boolean jdkValid(byte[] b, int off, int len) {
    try {
      StandardCharsets.UTF_8
          .newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(ByteBuffer.wrap(b, off, len));
      return true;
    } catch (CharacterCodingException e) {
      return false;
    }
  }

  @Property(tries = 5000)
  void agreesWithTheJdkOnArbitraryBytes(@ForAll @Size(max = 40) byte[] b) {
    for (int off = 0; off <= Math.min(3, b.length); off++) {
      int len = b.length - off;
      assertThat(Utf8Check.isValid(b, off, len)).isEqualTo(jdkValid(b, off, len));
    }
  }

  @Property(tries = 3000)
  void agreesWithTheJdkOnMostlyValidText(@ForAll("mutatedText") byte[] b) {
    assertThat(Utf8Check.isValid(b, 0, b.length)).isEqualTo(jdkValid(b, 0, b.length));
  }

  @Provide
  Arbitrary<byte[]> mutatedText() {
    return Arbitraries.strings()
        .ofMaxLength(30)
        .withChars("aé✓\uD83D\uDE00 z")
        .map(s -> s.getBytes(StandardCharsets.UTF_8))
        .flatMap(
            b ->
                b.length == 0
                    ? Arbitraries.just(b)
                    : Arbitraries.integers()
                        .between(0, b.length - 1)
                        .flatMap(
                            i ->
                                Arbitraries.bytes()
                                    .map(
                                        x -> {
                                          byte[] c = b.clone();
                                          c[i] = x;
                                          return c;
                                        })));
  }

  @Example
  void rejectsSurrogatesOverlongAndTruncatedSequences() {
    assertThat(Utf8Check.isValid(new byte[] {(byte) 0xED, (byte) 0xA0, (byte) 0x80}, 0, 3))
        .isFalse();
    assertThat(Utf8Check.isValid(new byte[] {(byte) 0xC0, (byte) 0xAF}, 0, 2)).isFalse();
    assertThat(Utf8Check.isValid(new byte[] {(byte) 0xE2, (byte) 0x9C}, 0, 2)).isFalse();
    byte[] ok = "0123456789abcdef✓".getBytes(StandardCharsets.UTF_8);
    assertThat(Utf8Check.isValid(ok, 0, ok.length)).isTrue();
    assertThat(Utf8Check.isValid(ok, 0, ok.length - 1)).isFalse();
  }
}
