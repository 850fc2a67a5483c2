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

  @Override
  protected boolean keepsStartTimes() {
    return true;
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
  void startTimesStayAlignedWithTheirSamplesInASelectedRange() {
    MemStorage s = new MemStorage();
    Labels withSt = Labels.of("__name__", "c_total");
    Labels plain = Labels.of("__name__", "p_total");
    Appender a = s.appender();
    for (int i = 0; i < 20; i++) { // past the initial capacity of 8: the arrays grow together
      long t = i * 1000L;
      a.appendWithStartTime(0, withSt, i % 3 == 0 ? SampleIterator.NO_START_TIME : t - 1, t, i);
      a.append(0, plain, t, i);
    }
    a.appendHistogramWithStartTime(0, withSt, 19_500, 20_000, hist(5));
    a.commit();
    try (Querier q = s.querier()) {
      SeriesSet ss = q.select(5_000, 20_000, null, LabelMatcher.equal("__name__", "c_total"));
      assertThat(ss.next()).isTrue();
      SampleIterator it = ss.iterator(null);
      assertThat(it.mayHaveStartTimes()).isTrue();
      for (int i = 5; i < 20; i++) {
        assertThat(it.next()).isTrue();
        assertThat(it.t()).isEqualTo(i * 1000L);
        assertThat(it.v()).isEqualTo(i);
        assertThat(it.st()).isEqualTo(i % 3 == 0 ? SampleIterator.NO_START_TIME : i * 1000L - 1);
      }
      assertThat(it.next()).isTrue();
      assertThat(it.histogram()).isEqualTo(hist(5));
      assertThat(it.st()).isEqualTo(19_500);
      assertThat(it.next()).isFalse();
      SeriesSet ps = q.select(0, 20_000, null, LabelMatcher.equal("__name__", "p_total"));
      assertThat(ps.next()).isTrue();
      SampleIterator pit = ps.iterator(null);
      assertThat(pit.mayHaveStartTimes()).isFalse(); // floats without start times keep read()
      long[] t = new long[32];
      double[] v = new double[32];
      assertThat(pit.read(t, v, 0, 32)).isEqualTo(20);
    }
  }

  @Test
  void aReplayWithAnotherStartTimeIsADuplicate() {
    MemStorage s = new MemStorage();
    Labels l = Labels.of("__name__", "c_total");
    Appender a = s.appender();
    a.appendWithStartTime(0, l, 500, 1000, 1);
    a.commit();
    Appender again = s.appender();
    again.appendWithStartTime(0, l, 500, 1000, 1); // identical replay: accepted
    assertThatThrownBy(() -> again.appendWithStartTime(0, l, 400, 1000, 1))
        .isInstanceOf(DuplicateSampleException.class);
    assertThatThrownBy(() -> again.append(0, l, 1000, 1))
        .isInstanceOf(DuplicateSampleException.class);
  }

  @Test
  void appendersWithoutStartTimesRefuseThemButTakeSamplesWithout() {
    long[] appended = new long[1];
    Appender floatsOnly =
        new Appender() {
          @Override
          public long append(long ref, Labels labels, long t, double v) {
            appended[0]++;
            return 0;
          }

          @Override
          public void commit() {}

          @Override
          public void rollback() {}
        };
    floatsOnly.appendWithStartTime(0, Labels.EMPTY, SampleIterator.NO_START_TIME, 1, 1);
    assertThat(appended[0]).isEqualTo(1);
    assertThatThrownBy(() -> floatsOnly.appendWithStartTime(0, Labels.EMPTY, 1, 2, 1))
        .isInstanceOf(UnsupportedOperationException.class);
    assertThatThrownBy(
            () -> floatsOnly.appendHistogramWithStartTime(0, Labels.EMPTY, 1, 2, hist(1)))
        .isInstanceOf(UnsupportedOperationException.class);
    assertThat(appended[0]).isEqualTo(1);
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
