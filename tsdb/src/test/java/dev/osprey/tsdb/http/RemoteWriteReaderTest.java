package dev.osprey.tsdb.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.UnknownFieldSet;
import dev.osprey.core.wire.prompb.Remote;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The hand-written remote_write reader against payloads written by the generated protobuf classes:
 * it must see exactly what the generated parser sees, and refuse exactly what it refuses.
 */
class RemoteWriteReaderTest {
  private static final String[] NAMES = {
    "__name__", "job", "instance", "namespace", "pod", "container", "le", "zone", "a_b", "x"
  };
  private static final String[] VALUES = {
    "up",
    "node",
    "10.0.0.1:9100",
    "kube-system",
    "coredns-5d78c9869d-abcde",
    "",
    "0.5",
    "é",
    "日本",
    "\uD83D\uDE00",
    "a\"b\\c",
    "with space"
  };

  private static UnknownFieldSet unknown(SplittableRandom r) {
    return UnknownFieldSet.newBuilder()
        .addField(
            50 + r.nextInt(50),
            UnknownFieldSet.Field.newBuilder()
                .addVarint(r.nextLong())
                .addFixed64(r.nextLong())
                .addLengthDelimited(ByteString.copyFromUtf8("junk" + r.nextInt(100)))
                .build())
        .build();
  }

  /** A random request; {@code histograms} adds native histograms and exemplars. */
  static Remote.WriteRequest random(SplittableRandom r, boolean histograms) {
    Remote.WriteRequest.Builder w = Remote.WriteRequest.newBuilder();
    int series = r.nextInt(12);
    for (int s = 0; s < series; s++) {
      Remote.TimeSeries.Builder ts = Remote.TimeSeries.newBuilder();
      int nl = r.nextInt(7);
      for (int i = 0; i < nl; i++) {
        Remote.Label.Builder l =
            Remote.Label.newBuilder()
                .setName(NAMES[r.nextInt(NAMES.length)])
                .setValue(VALUES[r.nextInt(VALUES.length)]);
        if (r.nextInt(10) == 0) {
          l.setUnknownFields(unknown(r));
        }
        ts.addLabels(l);
      }
      int ns = r.nextInt(4);
      for (int i = 0; i < ns; i++) {
        Remote.Sample.Builder sb = Remote.Sample.newBuilder();
        switch (r.nextInt(5)) {
          case 0 -> sb.setValue(Double.longBitsToDouble(0x7ff0000000000002L)); // stale marker
          case 1 -> sb.setValue(-0.0);
          case 2 -> {} // both fields absent: zero
          default -> sb.setValue(r.nextDouble() * 1e6).setTimestamp(r.nextLong(1L << 42));
        }
        if (r.nextInt(3) == 0) {
          sb.setTimestamp(-r.nextLong(1L << 40)); // before 1970
        }
        if (r.nextInt(10) == 0) {
          sb.setUnknownFields(unknown(r));
        }
        ts.addSamples(sb);
      }
      if (histograms && r.nextInt(3) == 0) {
        ts.addHistograms(
            Remote.Histogram.newBuilder()
                .setCountInt(r.nextInt(100))
                .setSum(r.nextDouble())
                .setSchema(3)
                .addPositiveSpans(Remote.BucketSpan.newBuilder().setOffset(-2).setLength(2))
                .addPositiveDeltas(1)
                .addPositiveDeltas(-1)
                .setTimestamp(r.nextLong(1L << 42)));
        ts.addExemplars(
            Remote.Exemplar.newBuilder()
                .addLabels(Remote.Label.newBuilder().setName("trace_id").setValue("abc"))
                .setValue(1)
                .setTimestamp(5));
      }
      if (r.nextInt(10) == 0) {
        ts.setUnknownFields(unknown(r));
      }
      w.addTimeseries(ts);
    }
    if (r.nextInt(3) == 0) {
      w.addMetadata(
          Remote.MetricMetadata.newBuilder()
              .setType(Remote.MetricMetadata.MetricType.COUNTER)
              .setMetricFamilyName("http_requests_total")
              .setHelp("Requests é")
              .setUnit("requests"));
    }
    if (r.nextInt(10) == 0) {
      w.setUnknownFields(unknown(r));
    }
    return w.build();
  }

  @Test
  void readsWhatTheGeneratedClassesWrote() throws Exception {
    SplittableRandom r = new SplittableRandom(7);
    int seriesSeen = 0;
    int hits = 0;
    // rd2 validates with a cache of every label run seen in earlier rounds: known runs are not
    // checked label by label, and must read the same
    SeriesRefCache known = new SeriesRefCache();
    for (int round = 0; round < 2000; round++) {
      Remote.WriteRequest req = random(r, true);
      byte[] bytes = req.toByteArray();
      RemoteWriteReader rd = RemoteWriteReader.validated(bytes, bytes.length);
      // the same request at another offset of a longer array
      byte[] shifted = new byte[bytes.length + 5];
      System.arraycopy(bytes, 0, shifted, 0, bytes.length);
      RemoteWriteReader rd2 = RemoteWriteReader.validated(shifted, bytes.length, null, null, known);
      List<long[]> toPut = new ArrayList<>();
      // and a third reader for assertSameSeries, which reads each series to its end
      RemoteWriteReader rd3 = RemoteWriteReader.validated(bytes, bytes.length);
      for (Remote.TimeSeries ts : req.getTimeseriesList()) {
        assertThat(rd.nextSeries()).isTrue();
        assertThat(rd2.nextSeries()).isTrue();
        assertThat(rd3.nextSeries()).isTrue();
        seriesSeen++;
        assertSameSeries(rd3, ts);
        String[] expected = new String[2 * ts.getLabelsCount()];
        for (int i = 0; i < ts.getLabelsCount(); i++) {
          expected[2 * i] = ts.getLabels(i).getName();
          expected[2 * i + 1] = ts.getLabels(i).getValue();
        }
        assertThat(rd.labelStrings()).containsExactly(expected);
        assertThat(rd.sampleCount()).isEqualTo(ts.getSamplesCount());
        assertThat(rd.histogramCount()).isEqualTo(ts.getHistogramsCount());
        for (Remote.Sample s : ts.getSamplesList()) {
          assertThat(rd.nextSample()).isTrue();
          assertThat(rd.t()).isEqualTo(s.getTimestamp());
          assertThat(Double.doubleToRawLongBits(rd.v()))
              .isEqualTo(Double.doubleToRawLongBits(s.getValue()));
        }
        assertThat(rd.nextSample()).isFalse();
        assertThat(rd2.labelStrings()).containsExactly(expected);
        assertThat(rd2.sampleCount()).isEqualTo(ts.getSamplesCount());

        // the cache key is a function of the label bytes alone
        assertThat(rd2.labelsContiguous()).isEqualTo(rd.labelsContiguous());
        if (rd.labelsContiguous()) {
          long h1 = rd.labelsHash();
          long h2 = rd.labelsHash2();
          assertThat(rd2.labelsHash()).isEqualTo(h1);
          assertThat(rd2.labelsHash2()).isEqualTo(h2);
          if (ts.getLabelsCount() > 0) {
            assertThat(rd2.lookedUp()).isTrue();
            assertThat(rd2.knownEntry()).isEqualTo(known.get(h1, h2));
            hits += rd2.knownEntry() != 0 ? 1 : 0;
            toPut.add(new long[] {h1, h2, seriesSeen}); // after the round, as a handler would
          }
        } else {
          assertThat(rd2.lookedUp()).isFalse();
        }
      }
      assertThat(rd.nextSeries()).isFalse();
      for (long[] e : toPut) {
        known.put(e[0], e[1], e[2], 0, 1 << 20);
      }
    }
    assertThat(seriesSeen).isGreaterThan(5000);
    assertThat(hits).isGreaterThan(100);
  }

  @Test
  void aKnownLabelRunDoesNotExcuseAnotherSeriesInvalidUtf8() throws Exception {
    byte[] good = request("__name__", "up", "job", "a");
    RemoteWriteReader first = RemoteWriteReader.validated(good, good.length);
    assertThat(first.nextSeries()).isTrue();
    SeriesRefCache known = new SeriesRefCache();
    known.put(first.labelsHash(), first.labelsHash2(), 1, 0, 10);
    // the known series, then one whose label value is not UTF-8
    byte[] bad = request("__name__", "up", "job", "b");
    int at = indexOf(bad, (byte) 'b');
    bad[at] = (byte) 0xC0;
    byte[] both = Arrays.copyOf(good, good.length + bad.length);
    System.arraycopy(bad, 0, both, good.length, bad.length);
    assertThatThrownBy(() -> RemoteWriteReader.validated(both, both.length, null, null, known))
        .isInstanceOf(RemoteWriteReader.MalformedException.class)
        .hasMessageContaining("invalid UTF-8");
    // alone, the known series passes with its entry found
    RemoteWriteReader rd = RemoteWriteReader.validated(good, good.length, null, null, known);
    assertThat(rd.nextSeries()).isTrue();
    assertThat(SeriesRefCache.ref(rd.knownEntry())).isEqualTo(1);
    assertThat(rd.labelStrings()).containsExactly("__name__", "up", "job", "a");
  }

  private static int indexOf(byte[] b, byte x) {
    for (int i = b.length - 1; i >= 0; i--) {
      if (b[i] == x) {
        return i;
      }
    }
    throw new IllegalArgumentException("not found");
  }

  /** Asserts that {@code rd}, moved to a series, reads exactly {@code ts}'s labels and samples. */
  private static void assertSameSeries(RemoteWriteReader rd, Remote.TimeSeries ts) {
    String[] expected = new String[2 * ts.getLabelsCount()];
    for (int i = 0; i < ts.getLabelsCount(); i++) {
      expected[2 * i] = ts.getLabels(i).getName();
      expected[2 * i + 1] = ts.getLabels(i).getValue();
    }
    assertThat(rd.sampleCount()).isEqualTo(ts.getSamplesCount());
    assertThat(rd.histogramCount()).isEqualTo(ts.getHistogramsCount());
    for (Remote.Sample s : ts.getSamplesList()) {
      assertThat(rd.nextSample()).isTrue();
      assertThat(rd.t()).isEqualTo(s.getTimestamp());
      assertThat(Double.doubleToRawLongBits(rd.v()))
          .isEqualTo(Double.doubleToRawLongBits(s.getValue()));
    }
    assertThat(rd.nextSample()).isFalse();
    assertThat(rd.labelStrings()).containsExactly(expected);
    int histograms = 0;
    while (rd.nextHistogram()) {
      histograms++;
    }
    assertThat(histograms).isEqualTo(ts.getHistogramsCount());
  }

  @Test
  void sameLabelBytesHashTheSameAndOthersDiffer() throws Exception {
    byte[] a = request("__name__", "up", "job", "a");
    byte[] b = request("__name__", "up", "job", "b");
    assertThat(hashOfFirst(a)).isEqualTo(hashOfFirst(request("__name__", "up", "job", "a")));
    assertThat(hashOfFirst(a)).isNotEqualTo(hashOfFirst(b));
    // no two of 200,000 distinct label byte strings share either half
    java.util.Set<Long> h1 = new java.util.HashSet<>();
    java.util.Set<Long> h2 = new java.util.HashSet<>();
    long[] out = new long[2];
    for (int i = 0; i < 200_000; i++) {
      byte[] x = ("pod-" + i + "-abcde").getBytes(java.nio.charset.StandardCharsets.US_ASCII);
      RemoteWriteReader.hash128(x, 0, x.length, 7, out);
      assertThat(h1.add(out[0])).isTrue();
      assertThat(h2.add(out[1])).isTrue();
    }
  }

  @Test
  void hash128IsMurmurHash3x64() {
    // reference values of MurmurHash3_x64_128 with seed 0 (as Guava's murmur3_128(0) prints them)
    long[] out = new long[2];
    byte[] empty = new byte[0];
    RemoteWriteReader.hash128(empty, 0, 0, 0, out);
    assertThat(out).containsExactly(0L, 0L);
    byte[] fox =
        "The quick brown fox jumps over the lazy dog"
            .getBytes(java.nio.charset.StandardCharsets.US_ASCII);
    RemoteWriteReader.hash128(fox, 0, fox.length, 0, out);
    assertThat(out).containsExactly(0xe34bbc7bbc071b6cL, 0x7a433ca9c49a9347L);
  }

  private static long hashOfFirst(byte[] bytes) throws Exception {
    RemoteWriteReader rd = RemoteWriteReader.validated(bytes, bytes.length);
    assertThat(rd.nextSeries()).isTrue();
    assertThat(rd.labelsContiguous()).isTrue();
    return rd.labelsHash();
  }

  private static byte[] request(String... nv) {
    Remote.TimeSeries.Builder ts = Remote.TimeSeries.newBuilder();
    for (int i = 0; i < nv.length; i += 2) {
      ts.addLabels(Remote.Label.newBuilder().setName(nv[i]).setValue(nv[i + 1]));
    }
    ts.addSamples(Remote.Sample.newBuilder().setTimestamp(1000).setValue(1));
    return Remote.WriteRequest.newBuilder().addTimeseries(ts).build().toByteArray();
  }

  /** label, sample, label: legal protobuf, though no sender writes it. */
  private static byte[] interleaved() throws Exception {
    byte[] l1 = Remote.Label.newBuilder().setName("__name__").setValue("up").build().toByteArray();
    byte[] s = Remote.Sample.newBuilder().setTimestamp(5).setValue(2).build().toByteArray();
    byte[] l2 = Remote.Label.newBuilder().setName("job").setValue("a").build().toByteArray();
    java.io.ByteArrayOutputStream ts = new java.io.ByteArrayOutputStream();
    for (Object[] f : new Object[][] {{1, l1}, {2, s}, {1, l2}}) {
      byte[] v = (byte[]) f[1];
      ts.write(((int) f[0]) << 3 | 2);
      ts.write(v.length);
      ts.write(v);
    }
    byte[] tsb = ts.toByteArray();
    byte[] req = new byte[tsb.length + 2];
    req[0] = 1 << 3 | 2;
    req[1] = (byte) tsb.length;
    System.arraycopy(tsb, 0, req, 2, tsb.length);
    return req;
  }

  @Test
  void labelsInterleavedWithSamplesAreReadButNotHashed() throws Exception {
    byte[] req = interleaved();
    Remote.WriteRequest parsed = Remote.WriteRequest.parseFrom(req);
    assertThat(parsed.getTimeseries(0).getLabelsCount()).isEqualTo(2);

    RemoteWriteReader rd = RemoteWriteReader.validated(req, req.length);
    assertThat(rd.nextSeries()).isTrue();
    assertThat(rd.labelsContiguous()).isFalse();
    assertThat(rd.labelStrings()).containsExactly("__name__", "up", "job", "a");
    assertThat(rd.nextSample()).isTrue();
    assertThat(rd.t()).isEqualTo(5);
    assertThat(rd.v()).isEqualTo(2);
  }

  /** Whether the generated parser accepts {@code b}. */
  private static boolean generatedAccepts(byte[] b) {
    try {
      Remote.WriteRequest.parseFrom(b);
      return true;
    } catch (InvalidProtocolBufferException e) {
      return false;
    }
  }

  private static boolean readerAccepts(byte[] b) {
    // the check that fills the series table refuses the same requests with the same message
    String tableCheck = null;
    try {
      RemoteWriteReader.validated(b, b.length);
    } catch (RemoteWriteReader.MalformedException e) {
      tableCheck = e.getMessage();
    }
    try {
      RemoteWriteReader.validate(b, b.length);
      assertThat(tableCheck).isNull();
      return true;
    } catch (RemoteWriteReader.MalformedException e) {
      assertThat(e.getMessage()).contains("at byte");
      assertThat(tableCheck).isEqualTo(e.getMessage());
      return false;
    }
  }

  @Test
  void refusesWhatTheGeneratedParserRefuses() {
    // truncations and byte flips of random requests (without native histograms: their packed
    // fields are skipped, not checked, since histograms are refused anyway)
    SplittableRandom r = new SplittableRandom(11);
    int refused = 0;
    int cases = 0;
    for (int round = 0; round < 1500; round++) {
      byte[] good = random(r, false).toByteArray();
      if (good.length == 0) {
        continue;
      }
      byte[] bad;
      if (r.nextBoolean()) {
        bad = Arrays.copyOf(good, r.nextInt(good.length));
      } else {
        bad = good.clone();
        for (int k = 0, n = 1 + r.nextInt(3); k < n; k++) {
          bad[r.nextInt(bad.length)] = (byte) r.nextInt(256);
        }
      }
      boolean expected = generatedAccepts(bad);
      assertThat(readerAccepts(bad)).as("payload %s", Arrays.toString(bad)).isEqualTo(expected);
      cases++;
      refused += expected ? 0 : 1;
    }
    assertThat(refused).isGreaterThan(cases / 4);
  }

  @Test
  void namedMalformations() throws Exception {
    List<byte[]> bad = new ArrayList<>();
    bad.add(new byte[] {0x0A, 0x05, 0x0A}); // length past the end
    bad.add(new byte[] {0x08, (byte) 0x80}); // truncated varint
    bad.add(new byte[] {0x00, 0x01}); // field 0
    bad.add(new byte[] {0x0F}); // wire type 7
    bad.add(new byte[] {0x0C}); // end group without start
    bad.add(new byte[] {0x0B, 0x08, 0x01}); // unterminated group
    // a label whose value is invalid UTF-8
    bad.add(new byte[] {0x0A, 0x06, 0x0A, 0x04, 0x12, 0x02, (byte) 0xC3, 0x28});
    for (byte[] b : bad) {
      assertThat(generatedAccepts(b)).as(Arrays.toString(b)).isFalse();
      assertThatThrownBy(() -> RemoteWriteReader.validate(b, b.length))
          .isInstanceOf(RemoteWriteReader.MalformedException.class)
          .hasMessageContaining("at byte");
      assertThatThrownBy(() -> RemoteWriteReader.validated(b, b.length))
          .isInstanceOf(RemoteWriteReader.MalformedException.class)
          .hasMessageContaining("at byte");
    }
    byte[] empty = new byte[0];
    assertThat(readerAccepts(empty)).isTrue();
    assertThat(RemoteWriteReader.validated(empty, 0).nextSeries()).isFalse();
  }
}
