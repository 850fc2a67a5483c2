package dev.osprey.core.storage.memory;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.osprey.core.histogram.FloatHistogram;
import dev.osprey.core.labels.LabelMatcher;
import dev.osprey.core.labels.Labels;
import dev.osprey.core.storage.Appender;
import dev.osprey.core.storage.DuplicateSampleException;
import dev.osprey.core.storage.Querier;
import dev.osprey.core.storage.SampleIterator;
import dev.osprey.core.storage.SeriesSet;
import dev.osprey.core.storage.Storage;
import dev.osprey.core.storage.StorageContractTest;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class MemStorageTest extends StorageContractTest {
  @Override
  protected Storage open(Path dir) {
    return new MemStorage();
  }

  private static FloatHistogram hist(double count) {
    return FloatHistogram.of(
        0,
        0,
        0,
        count,
        count,
        new int[] {0, 1},
        new double[] {count},
        null,
        null,
        null,
        FloatHistogram.CounterResetHint.UNKNOWN);
  }

  @Test
  void keepsHistogramSamplesBesideFloats() {
    MemStorage s = new MemStorage();
    Labels mixed = Labels.of("__name__", "m");
    Labels floats = Labels.of("__name__", "f");
    Appender a = s.appender();
    a.append(0, mixed, 1000, 1.5);
    a.appendHistogram(0, mixed, 2000, hist(3));
    a.append(0, floats, 1000, 2);
    a.commit();
    try (Querier q = s.querier()) {
      SeriesSet ss = q.select(0, 5000, null, LabelMatcher.equal("__name__", "m"));
      assertThat(ss.next()).isTrue();
      SampleIterator it = ss.iterator(null);
      assertThat(it.mayHaveHistograms()).isTrue();
      assertThat(it.next()).isTrue();
      assertThat(it.histogram()).isNull();
      assertThat(it.v()).isEqualTo(1.5);
      assertThat(it.next()).isTrue();
      assertThat(it.t()).isEqualTo(2000);
      assertThat(it.histogram()).isEqualTo(hist(3));
      assertThat(it.next()).isFalse();
      SeriesSet fs = q.select(0, 5000, null, LabelMatcher.equal("__name__", "f"));
      assertThat(fs.next()).isTrue();
      assertThat(fs.iterator(null).mayHaveHistograms()).isFalse(); // floats keep the bulk path
    }
    Appender again = s.appender();
    again.appendHistogram(0, mixed, 2000, hist(3)); // identical replay: accepted
    assertThatThrownBy(() -> again.appendHistogram(0, mixed, 2000, hist(4)))
        .isInstanceOf(DuplicateSampleException.class);
  }

  @Test
  void appendersThatKeepFloatsOnlyRefuseHistograms() {
    Appender floatsOnly =
        new Appender() {
          @Override
          public long append(long ref, Labels labels, long t, double v) {
            return 0;
          }

          @Override
          public void commit() {}

          @Override
          public void rollback() {}
        };
    assertThatThrownBy(() -> floatsOnly.appendHistogram(0, Labels.EMPTY, 0, hist(1)))
        .isInstanceOf(UnsupportedOperationException.class);
  }
}
