package dev.osprey.tsdb.head;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.osprey.core.labels.LabelMatcher;
import dev.osprey.core.labels.Labels;
import dev.osprey.core.storage.DuplicateSampleException;
import dev.osprey.core.storage.Querier;
import dev.osprey.core.storage.SampleIterator;
import dev.osprey.core.storage.SelectHints;
import dev.osprey.core.storage.SeriesSet;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Appenders reuse the arrays of earlier ones; nothing of an earlier batch may leak into a later.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS) // a stale probe table loops forever
class HeadAppenderReuseTest {
  private static final Labels A = Labels.of("__name__", "a");
  private static final Labels B = Labels.of("__name__", "b");

  private final Head head = new Head(Head.DEFAULT_BLOCK_RANGE, 0, new SimpleMeterRegistry());

  @Test
  void aLaterAppenderSeesNoneOfAnEarlierBatch() {
    HeadAppender first = head.appender();
    first.append(0, A, 1000, 1);
    first.append(0, B, 1000, 1);
    first.commit();

    HeadAppender rolledBack = head.appender();
    rolledBack.append(0, A, 2000, 2);
    rolledBack.rollback();
    rolledBack.rollback(); // twice is harmless

    // were the rolled-back batch's "last sample of A" still in the reused table, 1500 would be
    // out of order against 2000
    HeadAppender third = head.appender();
    third.append(0, A, 1500, 3);
    assertThatThrownBy(() -> third.append(0, B, 1000, 9))
        .isInstanceOf(DuplicateSampleException.class);
    third.commit();
    third.rollback(); // after commit: nothing to release twice

    assertThat(samples(A)).containsExactly(1000L, 1500L);
    assertThat(samples(B)).containsExactly(1000L);
  }

  @Test
  void manyBatchesOfGrowingSizeThroughReusedArrays() {
    for (int batch = 1; batch <= 300; batch += 37) {
      HeadAppender app = head.appender();
      for (int i = 0; i < batch; i++) {
        app.append(0, Labels.of("__name__", "s" + i), batch * 1000L, i);
      }
      app.commit();
    }
    // series s0 got a sample from every batch; s299 from none (the last batch has 297)
    assertThat(samples(Labels.of("__name__", "s0"))).hasSize(9);
    assertThat(samples(Labels.of("__name__", "s260"))).containsExactly(297_000L);
  }

  private List<Long> samples(Labels l) {
    List<Long> out = new ArrayList<>();
    try (Querier q = head.querier()) {
      SeriesSet set =
          q.select(
              0,
              1_000_000,
              SelectHints.of(0, 1_000_000),
              LabelMatcher.equal("__name__", l.get("__name__")));
      while (set.next()) {
        SampleIterator it = set.iterator(null);
        while (it.next()) {
          out.add(it.t());
        }
      }
    }
    return out;
  }
}
