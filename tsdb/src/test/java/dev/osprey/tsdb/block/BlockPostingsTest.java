package dev.osprey.tsdb.block;

import static org.assertj.core.api.Assertions.assertThat;

import dev.osprey.core.labels.LabelMatcher;
import dev.osprey.core.labels.Labels;
import dev.osprey.tsdb.chunk.ChunkCodec;
import dev.osprey.tsdb.index.PostingsSource;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.roaringbitmap.RoaringBitmap;

/**
 * Matchers resolved through a block's index equal a brute-force match over every series' labels:
 * regexes with a literal prefix (looked up as a range of the sorted values), prefix + ".*" and
 * ".+", negated ones (which must not use the range), alternations, values sharing prefixes with
 * non-ASCII characters.
 */
class BlockPostingsTest {
  @TempDir Path dir;

  @Test
  void indexSelectEqualsBruteForce() throws IOException {
    SplittableRandom r = new SplittableRandom(20261203_11L);
    String[] pods = new String[120];
    for (int i = 0; i < pods.length; i++) {
      pods[i] =
          switch (i % 5) {
            case 0 -> "app-" + i;
            case 1 -> "app-1" + i;
            case 2 -> "api-" + i;
            case 3 -> "app-é" + i;
            default -> "db-" + i;
          };
    }
    TreeSet<Labels> set = new TreeSet<>();
    while (set.size() < 400) {
      String pod = pods[r.nextInt(pods.length)];
      set.add(
          r.nextInt(6) == 0
              ? Labels.of("__name__", "m" + r.nextInt(3), "ns", "ns-" + r.nextInt(6))
              : Labels.of("__name__", "m" + r.nextInt(3), "ns", "ns-" + r.nextInt(6), "pod", pod));
    }
    List<Labels> series = new ArrayList<>(set); // the writer wants them in label order
    ChunkCodec codec = new ChunkCodec();
    Path block;
    try (BlockWriter w = new BlockWriter(dir, 1)) {
      for (Labels l : series) {
        codec.encode(new long[] {1000}, new long[] {Double.doubleToRawLongBits(1)}, 1);
        w.addChunk(codec.bytes(), 0, codec.length(), 1000, 1000, 1);
        w.finishSeries(l);
      }
      block = w.finish(Long.MIN_VALUE, Long.MIN_VALUE, 1, List.of());
    }
    BlockReader b = BlockReader.open(block);
    String[] regexes = {
      "app-1.*",
      "app-.*",
      "app-.+",
      "app-1",
      "app-1[0-3].*",
      "a.*",
      "ap(p|i)-.*",
      "app-é.*",
      "app-1.*|db-.*",
      "db-(1|2)",
      "ns-[0-3]",
      "ns-.*",
      "x.*",
      "",
      ".*",
      ".+",
      "app-1\\d+"
    };
    int nonEmpty = 0;
    for (String re : regexes) {
      for (String name : new String[] {"pod", "ns"}) {
        for (boolean negate : new boolean[] {false, true}) {
          LabelMatcher m = negate ? LabelMatcher.notRegex(name, re) : LabelMatcher.regex(name, re);
          LabelMatcher[][] sets = {
            {m}, {LabelMatcher.equal("__name__", "m1"), m}, {m, LabelMatcher.regex("ns", "ns-[13]")}
          };
          for (LabelMatcher[] ms : sets) {
            RoaringBitmap want = new RoaringBitmap();
            for (int i = 0; i < series.size(); i++) {
              boolean all = true;
              for (LabelMatcher x : ms) {
                all &= x.matches(series.get(i).get(x.name()));
              }
              if (all) {
                want.add(i);
              }
            }
            assertThat(PostingsSource.select(b, ms))
                .as(java.util.Arrays.toString(ms))
                .isEqualTo(want);
            nonEmpty += want.isEmpty() ? 0 : 1;
          }
        }
      }
    }
    assertThat(nonEmpty).isGreaterThan(100);
    assertThat(b.values("pod", "app-1"))
        .isNotEmpty()
        .isEqualTo(b.values("pod").stream().filter(v -> v.startsWith("app-1")).toList());
    // postings are decoded once and shared; the selects above modified only their own results
    String pod = b.values("pod").get(0);
    assertThat(b.postings("pod", pod)).isSameAs(b.postings("pod", pod));
    RoaringBitmap fresh = BlockReader.open(block).postings("pod", pod);
    assertThat(b.postings("pod", pod)).isEqualTo(fresh).isNotSameAs(fresh);
  }
}
