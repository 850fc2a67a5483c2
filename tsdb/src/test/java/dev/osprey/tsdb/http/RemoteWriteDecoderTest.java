package dev.osprey.tsdb.http;

import static org.assertj.core.api.Assertions.assertThat;

import dev.osprey.core.labels.Labels;
import dev.osprey.core.wire.prompb.Remote;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class RemoteWriteDecoderTest {
  private static List<Remote.Label> protos(String... nv) {
    List<Remote.Label> out = new ArrayList<>();
    for (int i = 0; i < nv.length; i += 2) {
      out.add(Remote.Label.newBuilder().setName(nv[i]).setValue(nv[i + 1]).build());
    }
    return out;
  }

  private static Labels decode(String... nv) {
    return RemoteWriteDecoder.labels(protos(nv), Labels.builder(), new String[1]);
  }

  private static String why(String... nv) {
    String[] why = new String[1];
    assertThat(RemoteWriteDecoder.labels(protos(nv), Labels.builder(), why)).isNull();
    return why[0];
  }

  @Test
  void sortedUnsortedAndEmptyValuesGiveTheSameLabels() {
    Labels expected = Labels.of("__name__", "up", "job", "a", "zone", "z");
    assertThat(decode("__name__", "up", "job", "a", "zone", "z")).isEqualTo(expected);
    assertThat(decode("zone", "z", "__name__", "up", "job", "a")).isEqualTo(expected);
    assertThat(decode("__name__", "up", "empty", "", "job", "a", "zone", "z")).isEqualTo(expected);
    assertThat(decode("zone", "z", "empty", "", "__name__", "up", "job", "a")).isEqualTo(expected);
    assertThat(decode("__name__", "up", "job", "a", "zone", "z").hash()).isEqualTo(expected.hash());
  }

  @Test
  void invalidLabelSetsAreNamed() {
    assertThat(why("__name__", "up", "job", "a", "job", "b"))
        .isEqualTo("duplicate label name \"job\"");
    assertThat(why("job", "b", "__name__", "up", "job", "a"))
        .isEqualTo("duplicate label name \"job\"");
    assertThat(why("__name__", "up", "bad-name", "x")).isEqualTo("invalid label name \"bad-name\"");
    assertThat(why("__name__", "1up")).isEqualTo("invalid metric name \"1up\"");
    assertThat(why("job", "")).isEqualTo("series without labels");
  }
}
