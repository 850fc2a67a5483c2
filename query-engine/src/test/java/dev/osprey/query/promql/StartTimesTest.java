package dev.osprey.query.promql;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.osprey.core.labels.Labels;
import dev.osprey.core.storage.Appender;
import dev.osprey.core.storage.memory.MemStorage;
import dev.osprey.query.promql.Values.Sample;
import dev.osprey.query.promql.Values.Series;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

class StartTimesTest {
  private static final long MIN = 60_000;

  @Test
  void resetsFromStartTimesFollowUpstream() {
    // prevSt, prevT, curSt, curT, reset?
    long[][] cases = {
      {0, 60_000, 0, 120_000, 0}, // no start times
      {1, 60_000, 60_000, 120_000, 1}, // delta: starts where the previous sample ended
      {0, 60_000, 60_000, 120_000, 0}, // cumulative with unknown start (OTel)
      {60_000, 60_000, 60_000, 120_000, 0}, // previous start == its own timestamp: unknown
      {120_000, 60_000, 60_000, 120_000, 0}, // previous start after its sample: invalid
      {30_000, 60_000, 60_001, 120_000, 1}, // started after the previous sample
      {30_000, 60_000, 30_000, 120_000, 0}, // same start: the counter went on
      {30_000, 60_000, 120_000, 120_000, 0}, // start == own timestamp: unknown
      {30_000, 60_000, 130_000, 120_000, 0}, // start after its sample: invalid
    };
    for (long[] c : cases) {
      assertThat(StartTimes.isReset(c[0], c[1], c[2], c[3]))
          .as("%s", Arrays.toString(c))
          .isEqualTo(c[4] == 1);
    }
    assertThat(StartTimes.overlaps(0, 60_000, 30_000)).isTrue();
    assertThat(StartTimes.overlaps(30_000, 60_000, 30_000)).isFalse(); // cumulative
    assertThat(StartTimes.overlaps(1, 60_000, 60_000)).isFalse(); // delta
    assertThat(StartTimes.overlaps(0, 60_000, 0)).isFalse(); // unknown
  }

  /**
   * Three delta series (60 per minute, each sample starting at the previous one) and a plain one.
   */
  private static MemStorage deltas() {
    MemStorage s = new MemStorage();
    Appender a = s.appender();
    for (int pod = 0; pod < 3; pod++) {
      Labels l = Labels.of("__name__", "d_total", "pod", "p" + pod);
      for (int i = 1; i <= 20; i++) {
        a.appendWithStartTime(0, l, (i - 1) * MIN, i * MIN, 60);
      }
    }
    Labels plain = Labels.of("__name__", "d_total", "pod", "plain");
    for (int i = 1; i <= 20; i++) {
      a.append(0, plain, i * MIN, 60);
    }
    a.commit();
    return s;
  }

  @Test
  void aggregatedRangeQueriesSeeStartTimes() {
    Engine e = new Engine(deltas(), 60_000, 50_000_000, 300_000, 60_000);
    // the fused range path must not compute these from values alone (that would give 0)
    QueryResult r = e.rangeQuery("sum(increase(d_total[5m]))", 10 * MIN, 15 * MIN, MIN);
    assertThat(r.matrix()).hasSize(1);
    Series s = r.matrix().get(0);
    assertThat(s.n).isEqualTo(6);
    for (int i = 0; i < s.n; i++) {
      assertThat(s.v[i]).as("at %d", s.t[i]).isEqualTo(900.0);
      QueryResult inst = e.instantQuery("sum(increase(d_total[5m]))", s.t[i]);
      assertThat(inst.vector().get(0).v).isEqualTo(900.0);
    }
    List<Sample> plain = e.instantQuery("rate(d_total{pod=\"plain\"}[5m])", 12 * MIN).vector();
    assertThat(plain.get(0).v).isEqualTo(0.0);
    assertThat(e.instantQuery("resets(d_total{pod=\"p1\"}[5m])", 12 * MIN).vector().get(0).v)
        .isEqualTo(4.0);
  }

  @Test
  void subqueriesAndExpressionsCutStartTimes() {
    Engine e = new Engine(deltas(), 60_000, 50_000_000, 300_000, 60_000);
    List<Sample> v = e.instantQuery("increase(d_total{pod=\"p0\"}[5m:1m])", 12 * MIN).vector();
    assertThat(v.get(0).v).isEqualTo(0.0);
    assertThat(e.instantQuery("start_timestamp(d_total * 1)", 12 * MIN).vector()).isEmpty();
    List<Sample> st =
        e.instantQuery("sort_by_label(start_timestamp(d_total), \"pod\")", 12 * MIN).vector();
    assertThat(st).extracting(x -> x.v).containsExactly(660.0, 660.0, 660.0, 0.0);
    assertThat(st.get(0).labels.metricName()).isEmpty();
  }

  @Test
  void startTimeLinesExpandAsFormatSays() {
    StartTimeLine l = StartTimeLine.parse("m{a=\"b\"}@st _ -30s-1mx2 _x2 -0ms +1m 1ms 0 -5sx1");
    assertThat(l.labels()).isEqualTo(Labels.of("__name__", "m", "a", "b"));
    assertThat(l.offsets())
        .containsExactly(
            null, -30_000L, -90_000L, -150_000L, null, null, 0L, 60_000L, 1L, 0L, -5_000L, -5_000L);
    assertThatThrownBy(() -> StartTimeLine.parse("m@st 1m30s"))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void misplacedStartTimeLinesAreErrors() {
    String[] bad = {
      "load 1m\n  m@st 0 0\n  n 1 2\n", // another series
      "load 1m\n  m@st 0 0 0\n  m 1 2\n", // length
      "load 1m\n  m@st 0 0\n  m@st 0 0\n  m 1 2\n", // two in a row
      "load 1m\n  m 1 2\n  m@st 0 0\n", // at the end of the block
    };
    for (String script : bad) {
      assertThatThrownBy(() -> new ScriptRunner("t").run(script))
          .as(script)
          .isInstanceOf(IllegalArgumentException.class);
    }
    assertThat(new ScriptRunner("t").run("load 1m\n  m@st _ -1m\n  m 1 2\n")).isEmpty();
  }
}
