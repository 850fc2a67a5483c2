package dev.osprey.tsdb.head;

import static org.assertj.core.api.Assertions.assertThat;

import dev.osprey.core.labels.Labels;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class SeriesMapTest {
  @Test
  void labelSetsWithTheSameHashStayDistinct() {
    SeriesMap map = new SeriesMap(l -> 42L); // every label set collides
    AtomicInteger ids = new AtomicInteger(1);
    Labels a = Labels.of("__name__", "a");
    Labels b = Labels.of("__name__", "b");
    MemSeries sa = map.getOrCreate(a, l -> new MemSeries(ids.getAndIncrement(), l));
    MemSeries sb = map.getOrCreate(b, l -> new MemSeries(ids.getAndIncrement(), l));
    assertThat(sa.id).isNotEqualTo(sb.id);
    assertThat(map.get(Labels.of("__name__", "a"))).isSameAs(sa);
    assertThat(map.get(Labels.of("__name__", "b"))).isSameAs(sb);
    assertThat(map.get(Labels.of("__name__", "c"))).isNull();
    assertThat(map.getOrCreate(Labels.of("__name__", "a"), l -> null)).isSameAs(sa);
  }

  @Test
  void growsPastManySeries() {
    SeriesMap map = new SeriesMap();
    AtomicInteger ids = new AtomicInteger(1);
    for (int i = 0; i < 20_000; i++) {
      map.getOrCreate(
          Labels.of("i", Integer.toString(i)), l -> new MemSeries(ids.getAndIncrement(), l));
    }
    for (int i = 0; i < 20_000; i++) {
      assertThat(map.get(Labels.of("i", Integer.toString(i))).id).isEqualTo(i + 1);
    }
  }
}
