package dev.osprey.core.storage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.osprey.core.labels.LabelMatcher;
import dev.osprey.core.labels.Labels;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The contract every {@link Storage} keeps. Each implementation runs it by extending this class
 * (Lucene's BaseDirectoryTestCase pattern).
 */
public abstract class StorageContractTest {
  @TempDir protected Path dir;
  protected Storage storage;

  protected abstract Storage open(Path dir) throws Exception;

  @BeforeEach
  void openStorage() throws Exception {
    storage = open(dir);
  }

  @AfterEach
  void closeStorage() {
    storage.close();
  }

  protected static final Labels A1 = Labels.of("__name__", "up", "job", "a", "instance", "1");
  protected static final Labels A2 = Labels.of("__name__", "up", "job", "a", "instance", "2");
  protected static final Labels B1 = Labels.of("__name__", "up", "job", "b", "instance", "1");
  protected static final Labels C = Labels.of("__name__", "other", "env", "prod");

  protected void load() {
    Appender app = storage.appender();
    for (int i = 0; i < 10; i++) {
      long t = i * 15_000L;
      app.append(0, A1, t, i);
      app.append(0, A2, t, 10 + i);
      app.append(0, B1, t, 100 + i);
      app.append(0, C, t, -i);
    }
    app.commit();
  }

  protected record Sample(long t, double v) {}

  protected static List<Labels> labelsOf(SeriesSet set) {
    List<Labels> out = new ArrayList<>();
    while (set.next()) {
      out.add(set.labels());
    }
    return out;
  }

  protected static List<Sample> samplesOf(SampleIterator it) {
    List<Sample> out = new ArrayList<>();
    while (it.next()) {
      out.add(new Sample(it.t(), it.v()));
    }
    return out;
  }

  private List<Labels> select(long mint, long maxt, LabelMatcher... ms) {
    try (Querier q = storage.querier()) {
      return labelsOf(q.select(mint, maxt, SelectHints.of(mint, maxt), ms));
    }
  }

  /** Whether this storage keeps the start times of samples (see {@link SampleIterator#st()}). */
  protected boolean keepsStartTimes() {
    return false;
  }

  @Test
  void samplesAppendedWithoutStartTimeReportNone() {
    load();
    Appender app = storage.appender();
    app.appendWithStartTime(0, A1, SampleIterator.NO_START_TIME, 150_000, 10);
    app.commit();
    try (Querier q = storage.querier()) {
      SeriesSet ss = q.select(0, 1_000_000, SelectHints.of(0, 1_000_000));
      int samples = 0;
      while (ss.next()) {
        SampleIterator it = ss.iterator(null);
        assertThat(it.mayHaveStartTimes()).as("%s", ss.labels()).isFalse();
        while (it.next()) {
          assertThat(it.st()).isEqualTo(SampleIterator.NO_START_TIME);
          samples++;
        }
      }
      assertThat(samples).isEqualTo(41);
    }
  }

  @Test
  void startTimesAreKeptOrRefusedNeverDropped() {
    Appender app = storage.appender();
    app.append(0, A1, 1_000, 1);
    if (!keepsStartTimes()) {
      assertThatThrownBy(() -> app.appendWithStartTime(0, A1, 1_500, 2_000, 2))
          .isInstanceOf(UnsupportedOperationException.class);
      app.commit();
      try (Querier q = storage.querier()) {
        SeriesSet ss = q.select(0, 10_000, SelectHints.of(0, 10_000));
        assertThat(ss.next()).isTrue();
        assertThat(samplesOf(ss.iterator(null))).containsExactly(new Sample(1_000, 1));
      }
      return;
    }
    app.appendWithStartTime(0, A1, 1_500, 2_000, 2);
    app.appendWithStartTime(0, A1, 1_500, 3_000, 3);
    app.append(0, A1, 4_000, 4);
    app.commit();
    try (Querier q = storage.querier()) {
      SeriesSet ss = q.select(0, 10_000, SelectHints.of(0, 10_000));
      assertThat(ss.next()).isTrue();
      SampleIterator it = ss.iterator(null);
      assertThat(it.mayHaveStartTimes()).isTrue();
      List<long[]> got = new ArrayList<>();
      while (it.next()) {
        got.add(new long[] {it.t(), it.st()});
      }
      assertThat(got)
          .containsExactly(
              new long[] {1_000, SampleIterator.NO_START_TIME},
              new long[] {2_000, 1_500},
              new long[] {3_000, 1_500},
              new long[] {4_000, SampleIterator.NO_START_TIME});
    }
  }

  @Test
  void selectsByEachMatcherTypeSorted() {
    load();
    assertThat(select(0, 1_000_000, LabelMatcher.equal("job", "a"))).containsExactly(A1, A2);
    assertThat(select(0, 1_000_000, LabelMatcher.notEqual("job", "a"))).containsExactly(C, B1);
    assertThat(select(0, 1_000_000, LabelMatcher.regex("job", "a|b"))).containsExactly(A1, B1, A2);
    assertThat(select(0, 1_000_000, LabelMatcher.notRegex("instance", "1|2"))).containsExactly(C);
    assertThat(
            select(
                0,
                1_000_000,
                LabelMatcher.regex("__name__", "u.*"),
                LabelMatcher.equal("instance", "1")))
        .containsExactly(A1, B1);
  }

  @Test
  void emptyValueMatchesMissingLabel() {
    load();
    assertThat(select(0, 1_000_000, LabelMatcher.equal("job", ""))).containsExactly(C);
    assertThat(select(0, 1_000_000, LabelMatcher.regex("env", "prod|")))
        .containsExactly(C, A1, B1, A2);
  }

  @Test
  void returnsOnlySamplesInRange() {
    load();
    try (Querier q = storage.querier()) {
      SeriesSet set =
          q.select(30_000, 60_000, SelectHints.of(30_000, 60_000), LabelMatcher.equal("job", "b"));
      assertThat(set.next()).isTrue();
      assertThat(samplesOf(set.iterator(null)))
          .containsExactly(
              new Sample(30_000, 102), new Sample(45_000, 103), new Sample(60_000, 104));
      assertThat(set.next()).isFalse();
    }
    assertThat(select(1_000_000, 2_000_000, LabelMatcher.equal("job", "b"))).isEmpty();
  }

  @Test
  void seekMovesForwardOnly() {
    load();
    try (Querier q = storage.querier()) {
      SeriesSet set =
          q.select(0, 1_000_000, SelectHints.of(0, 1_000_000), LabelMatcher.equal("instance", "2"));
      assertThat(set.next()).isTrue();
      SampleIterator it = set.iterator(null);
      assertThat(it.seek(20_000)).isTrue();
      assertThat(it.t()).isEqualTo(30_000);
      assertThat(it.seek(10_000)).isTrue();
      assertThat(it.t()).isEqualTo(30_000);
      assertThat(it.next()).isTrue();
      assertThat(it.t()).isEqualTo(45_000);
      assertThat(it.seek(1_000_000)).isFalse();
    }
  }

  @Test
  void bulkReadYieldsWhatNextYields() {
    load();
    Appender app = storage.appender();
    for (int i = 10; i < 1000; i++) {
      app.append(0, B1, i * 15_000L + i % 7, i % 3 == 0 ? i * 0.5 : 100 + i);
    }
    app.commit();
    long[][] ranges = {{0, 100_000_000}, {20_000, 9_000_000}, {1_800_001, 6_300_001}};
    for (long[] r : ranges) {
      List<Sample> expected;
      try (Querier q = storage.querier()) {
        SeriesSet set =
            q.select(r[0], r[1], SelectHints.of(r[0], r[1]), LabelMatcher.equal("job", "b"));
        assertThat(set.next()).isTrue();
        expected = samplesOf(set.iterator(null));
      }
      assertThat(expected).hasSizeGreaterThan(100);
      for (int batch : new int[] {1, 7, 120, 5000}) {
        try (Querier q = storage.querier()) {
          SeriesSet set =
              q.select(r[0], r[1], SelectHints.of(r[0], r[1]), LabelMatcher.equal("job", "b"));
          assertThat(set.next()).isTrue();
          SampleIterator it = set.iterator(null);
          List<Sample> got = new ArrayList<>();
          if (batch % 2 == 1) { // a sample by next() first, then in batches
            assertThat(it.next()).isTrue();
            got.add(new Sample(it.t(), it.v()));
          }
          long[] t = new long[batch + 3];
          double[] v = new double[batch + 3];
          for (int round = 0; round < 10_000; round++) {
            int k = it.read(t, v, 3, batch);
            for (int i = 0; i < k; i++) {
              got.add(new Sample(t[3 + i], v[3 + i]));
            }
            if (k < batch) {
              break;
            }
            assertThat(it.t()).as("on the last sample copied").isEqualTo(t[3 + k - 1]);
          }
          assertThat(it.next()).isFalse();
          assertThat(got).as("range %d..%d, batch %d", r[0], r[1], batch).isEqualTo(expected);
        }
      }
    }
  }

  @Test
  void labelNamesAndValues() {
    load();
    try (Querier q = storage.querier()) {
      assertThat(q.labelNames(0, 1_000_000)).containsExactly("__name__", "env", "instance", "job");
      assertThat(q.labelNames(0, 1_000_000, LabelMatcher.equal("job", "a")))
          .containsExactly("__name__", "instance", "job");
      assertThat(q.labelValues(0, 1_000_000, "job")).containsExactly("a", "b");
      assertThat(q.labelValues(0, 1_000_000, "instance", LabelMatcher.equal("job", "b")))
          .containsExactly("1");
      assertThat(q.labelValues(0, 1_000_000, "nope")).isEmpty();
    }
  }

  @Test
  void outOfOrderRejectedDuplicateSameValueAccepted() {
    load();
    Appender app = storage.appender();
    assertThatThrownBy(() -> app.append(0, A1, 15_000, 5))
        .isInstanceOf(OutOfOrderSampleException.class);
    assertThatThrownBy(() -> app.append(0, A1, 135_000, 42))
        .isInstanceOf(DuplicateSampleException.class)
        .hasMessageContaining("duplicate sample for timestamp");
    app.append(0, A1, 135_000, 9); // the same value again: accepted
    app.append(0, A1, 150_000, 10);
    app.commit();
    try (Querier q = storage.querier()) {
      SeriesSet set =
          q.select(
              120_000,
              200_000,
              SelectHints.of(120_000, 200_000),
              LabelMatcher.equal("instance", "1"),
              LabelMatcher.equal("job", "a"));
      assertThat(set.next()).isTrue();
      assertThat(samplesOf(set.iterator(null)))
          .containsExactly(new Sample(120_000, 8), new Sample(135_000, 9), new Sample(150_000, 10));
    }
  }

  @Test
  void rollbackDiscards() {
    Appender app = storage.appender();
    app.append(0, A1, 1000, 1);
    app.rollback();
    assertThat(select(0, 10_000, LabelMatcher.equal("job", "a"))).isEmpty();
  }

  @Test
  void staleMarkerIsStoredBitExact() {
    Appender app = storage.appender();
    app.append(0, A1, 1000, 1);
    app.append(0, A1, 2000, StaleNaN.VALUE);
    app.commit();
    try (Querier q = storage.querier()) {
      SeriesSet set =
          q.select(0, 10_000, SelectHints.of(0, 10_000), LabelMatcher.equal("job", "a"));
      assertThat(set.next()).isTrue();
      SampleIterator it = set.iterator(null);
      assertThat(it.next()).isTrue();
      assertThat(it.next()).isTrue();
      assertThat(StaleNaN.is(it.v())).isTrue();
    }
  }

  @Test
  void refFromAppendCanBeReused() {
    Appender app = storage.appender();
    long ref = app.append(0, A1, 1000, 1);
    app.append(ref, A1, 2000, 2);
    app.commit();
    Appender app2 = storage.appender();
    app2.append(ref, A1, 3000, 3);
    app2.commit();
    try (Querier q = storage.querier()) {
      SeriesSet set =
          q.select(0, 10_000, SelectHints.of(0, 10_000), LabelMatcher.equal("job", "a"));
      assertThat(set.next()).isTrue();
      assertThat(samplesOf(set.iterator(null))).hasSize(3);
    }
  }
}
