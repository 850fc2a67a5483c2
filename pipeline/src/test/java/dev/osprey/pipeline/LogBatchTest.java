package dev.osprey.pipeline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.Timestamp;
import dev.osprey.core.labels.Labels;
import dev.osprey.core.wire.logproto.Push;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import net.openhft.chronicle.bytes.Bytes;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xerial.snappy.Snappy;

class LogBatchTest {
  @TempDir Path dir;
  final SimpleMeterRegistry registry = new SimpleMeterRegistry();
  static final Labels OUT = Labels.of("pod", "p", "stream", "stdout");
  static final Labels ERR = Labels.of("pod", "p", "stream", "stderr");

  private Spool open() {
    return Spool.open(
        new SpoolConfig(
            dir,
            "t",
            "FAST_HOURLY",
            64 << 10,
            1L << 30,
            SpoolConfig.Overflow.PAUSE_WRITERS,
            Duration.ofHours(1)),
        registry);
  }

  private static void add(LogBatchWriter w, int stream, long ts, long off, String line) {
    byte[] b = ("xx" + line + "yy").getBytes(StandardCharsets.UTF_8);
    w.add(stream, ts, off, off + b.length - 3, b, 2, b.length - 4);
  }

  private static List<SpoolRecord> readAll(Spool s) {
    List<SpoolRecord> out = new ArrayList<>();
    try (SpoolCursor c = s.cursor("read-" + System.nanoTime())) {
      for (SpoolEntry e; (e = c.next()) != null; ) {
        out.add(e.record());
      }
    }
    return out;
  }

  @Test
  void batchRoundTripsEveryEntryWithItsStreamAndOffsets() {
    String big = "z".repeat(5000) + "é✓";
    try (Spool s = open()) {
      LogBatchWriter w = s.logBatchWriter();
      w.begin("8:9:64:abc", new Labels[] {OUT, ERR});
      add(w, 0, 1_000_000_123L, 0, "first");
      add(w, 1, -5, 10, "");
      add(w, 0, Long.MAX_VALUE, 20, big);
      long idx = w.commit();
      assertThat(idx).isEqualTo(s.lastIndex());
      List<SpoolRecord> read = readAll(s);
      assertThat(read).hasSize(1);
      LogBatch b = (LogBatch) read.get(0);
      assertThat(b.sourceId()).isEqualTo("8:9:64:abc");
      assertThat(b.entries())
          .containsExactly(
              new LogEntry(OUT, 1_000_000_123L, "first", null, "8:9:64:abc", 0, 6),
              new LogEntry(ERR, -5, "", null, "8:9:64:abc", 10, 11),
              new LogEntry(
                  OUT,
                  Long.MAX_VALUE,
                  big,
                  null,
                  "8:9:64:abc",
                  20,
                  20 + big.getBytes().length + 1));
      assertThat(registry.counter("osprey_pipeline_records_queued", "spool", "t").count())
          .isEqualTo(3);
    }
  }

  @Test
  void anOpenOrAbortedBatchIsNeverSeenAndOthersWaitForIt() throws Exception {
    try (Spool s = open();
        SpoolCursor c = s.cursor("d")) {
      LogBatchWriter w = s.logBatchWriter();
      w.begin("src", new Labels[] {OUT});
      add(w, 0, 1, 0, "a");
      add(w, 0, 2, 2, "b");
      assertThat(c.next()).as("open batch is invisible").isNull();
      w.abort();
      assertThat(c.next()).as("aborted batch is invisible").isNull();
      w.begin("src", new Labels[] {OUT});
      add(w, 0, 3, 0, "c");
      // An append from another thread waits until the batch is committed: order is kept.
      Thread other = new Thread(() -> s.append(new LogEntry(ERR, 4, "d", null, "src", 2, 4)));
      other.start();
      other.join(200);
      assertThat(other.isAlive()).isTrue();
      assertThat(c.next()).isNull();
      w.commit();
      other.join(10_000);
      assertThat(other.isAlive()).isFalse();
      List<String> lines = new ArrayList<>();
      for (SpoolEntry e; (e = c.next()) != null; ) {
        if (e.record() instanceof LogBatch b) {
          b.entries().forEach(x -> lines.add(x.line()));
        } else {
          lines.add(((LogEntry) e.record()).line());
        }
      }
      assertThat(lines).containsExactly("c", "d");
      assertThat(w.commit()).as("nothing open").isEqualTo(-1);
      w.begin("src", new Labels[] {OUT});
      assertThat(w.commit()).as("empty batch writes nothing").isEqualTo(-1);
      assertThat(c.next()).isNull();
    }
  }

  @Test
  void aBatchWithABadByteIsSkippedAndCountedNeverPartlyRead() throws IOException {
    try (Spool s = open()) {
      LogBatchWriter w = s.logBatchWriter();
      w.begin("src", new Labels[] {OUT});
      add(w, 0, 1, 0, "MARKER-one");
      add(w, 0, 2, 13, "MARKER-two");
      w.commit();
      w.begin("src", new Labels[] {OUT});
      add(w, 0, 3, 26, "after");
      w.commit();
    }
    Path cycle;
    try (Stream<Path> files = Files.list(dir)) {
      cycle = files.filter(p -> p.toString().endsWith(".cq4")).findFirst().orElseThrow();
    }
    byte[] content = Files.readAllBytes(cycle);
    int at = indexOf(content, "MARKER-two".getBytes(StandardCharsets.UTF_8));
    assertThat(at).isPositive();
    try (RandomAccessFile f = new RandomAccessFile(cycle.toFile(), "rw")) {
      f.seek(at);
      f.write('X');
    }
    try (Spool s = open()) {
      List<SpoolRecord> read = readAll(s);
      assertThat(read).hasSize(1);
      assertThat(((LogBatch) read.get(0)).entries())
          .extracting(LogEntry::line)
          .containsExactly("after");
      assertThat(registry.counter("osprey_pipeline_records_corrupt", "spool", "t").count())
          .isEqualTo(1);
    }
  }

  private static int indexOf(byte[] hay, byte[] needle) {
    outer:
    for (int i = 0; i + needle.length <= hay.length; i++) {
      for (int j = 0; j < needle.length; j++) {
        if (hay[i + j] != needle[j]) {
          continue outer;
        }
      }
      return i;
    }
    return -1;
  }

  @Test
  void scanningBackwardsFindsTheLastEntryOfTheLastBatch() {
    try (Spool s = open()) {
      LogBatchWriter w = s.logBatchWriter();
      for (int b = 0; b < 3; b++) {
        w.begin("src", new Labels[] {OUT, ERR});
        for (int i = 0; i < 5; i++) {
          long off = (b * 5L + i) * 10;
          w.add(i % 2, off, off, off + 10, new byte[9], 0, 9);
        }
        w.commit();
      }
      w.begin("src", new Labels[] {OUT});
      add(w, 0, 1, 150, "torn: never committed");
      w.abort();
      long[] resume = {-1};
      s.scanBackwards(
          e -> {
            LogBatch b = (LogBatch) e.record();
            resume[0] = b.nextOffset(b.size() - 1);
            return false;
          });
      assertThat(resume[0]).isEqualTo(150);
    }
  }

  /** A record as another format version would have written it (header byte and CRC changed). */
  private static byte[] asVersion(SpoolRecord r, int version) {
    Bytes<byte[]> b = Spool.encodeInto(Bytes.allocateElasticOnHeap(64), r);
    byte[] arr = Arrays.copyOf(b.underlyingObject(), (int) b.writePosition());
    arr[0] = (byte) version;
    int c = arr.length - 4;
    int crc = RecordFormat.crc32c(arr, 0, c);
    for (int i = 0; i < 4; i++) {
      arr[c + i] = (byte) (crc >>> (8 * i));
    }
    return arr;
  }

  @Test
  void version1RecordsAreReadAndUnknownVersionsRefusedByName() {
    LogEntry e = new LogEntry(OUT, 5, "old line", null, "1:2:64:ff", 10, 19);
    assertThat(Spool.decode(asVersion(e, 1), 7).record()).isEqualTo(e);
    SourceCheckpoint cp =
        new SourceCheckpoint(List.of(new SourceCheckpoint.Position("1:2:64:ff", "/p", 19, false)));
    assertThat(Spool.decode(asVersion(cp, 1), 8).record()).isEqualTo(cp);
    assertThatThrownBy(() -> Spool.decode(asVersion(e, 4), 9))
        .isInstanceOf(RecordFormat.CorruptRecordException.class)
        .hasMessageContaining("format version 4")
        .hasMessageContaining("reads 1 to 3");
  }

  /** A version 2 log batch record, entry headers at their fixed 29 bytes, built by hand. */
  private static byte[] version2Batch(String source, Labels[] streams, List<LogEntry> entries) {
    Bytes<byte[]> b = Bytes.allocateElasticOnHeap(256);
    b.writeByte((byte) 2);
    b.writeByte((byte) RecordFormat.TYPE_LOG_BATCH);
    b.writeLong(123L);
    RecordFormat.writeString(b, source);
    b.writeStopBit(streams.length);
    for (Labels l : streams) {
      RecordFormat.writeLabels(b, l);
    }
    for (LogEntry e : entries) {
      byte[] line = e.line().getBytes(StandardCharsets.UTF_8);
      b.writeByte((byte) Arrays.asList(streams).indexOf(e.stream()));
      b.writeLong(e.timestampNanos());
      b.writeLong(e.offset());
      b.writeLong(e.nextOffset());
      b.writeInt(line.length);
      b.write(line);
    }
    int len = (int) b.writePosition();
    b.writeInt(RecordFormat.crc32c(b.underlyingObject(), 0, len));
    return Arrays.copyOf(b.underlyingObject(), (int) b.writePosition());
  }

  /**
   * A spool written by the previous build holds version 2 batches: they are read, and written again
   * (as the dead-letter queue does) they come out in the current layout with the same entries.
   */
  @Test
  void version2BatchesAreReadAndRewrittenInTheCurrentLayout() {
    List<LogEntry> entries =
        List.of(
            new LogEntry(OUT, 1_700_000_000_123_456_789L, "first ✓", null, "8:9:64:abc", 0, 50),
            new LogEntry(ERR, -5, "", null, "8:9:64:abc", 50, 90),
            new LogEntry(OUT, Long.MAX_VALUE, "piece", null, "8:9:64:abc", 1L << 40, 7),
            new LogEntry(OUT, Long.MIN_VALUE, "last", null, "8:9:64:abc", 91, 200));
    byte[] v2 = version2Batch("8:9:64:abc", new Labels[] {OUT, ERR}, entries);
    LogBatch read = (LogBatch) Spool.decode(v2, 1).record();
    assertThat(read.entries()).containsExactlyElementsOf(entries);
    Bytes<byte[]> again = Spool.encodeInto(Bytes.allocateElasticOnHeap(64), read);
    byte[] v3 = Arrays.copyOf(again.underlyingObject(), (int) again.writePosition());
    assertThat(v3[0]).isEqualTo((byte) RecordFormat.VERSION);
    assertThat(v3.length).as("smaller than version 2").isLessThan(v2.length);
    assertThat(((LogBatch) Spool.decode(v3, 2).record()).entries())
        .containsExactlyElementsOf(entries);
  }

  /**
   * A version 3 payload cut anywhere inside its last entry, or with a stream index past the table,
   * is refused whole: never read in part (the checksum catches damage on disk; this catches a
   * writer's bug).
   */
  @Test
  void aVersion3PayloadCutShortOrWithABadStreamIsRefused() {
    try (Spool s = open();
        SpoolCursor c = s.cursor("d")) {
      LogBatchWriter w = s.logBatchWriter();
      w.begin("s", new Labels[] {OUT, ERR});
      add(w, 1, 1_700_000_000_000_000_000L, 0, "one");
      add(w, 0, 1_700_000_000_000_000_001L, 8, "x".repeat(300));
      w.commit();
      LogBatch b = (LogBatch) c.next().record();
      byte[] p = b.bytes();
      int from = RecordFormat.HEADER_BYTES;
      int end = b.lineStart(1) + b.lineLength(1);
      assertThat(LogBatch.parse(p, from, end, 3).size()).isEqualTo(2);
      int lastEntry = b.lineStart(0) + b.lineLength(0);
      for (int cut = lastEntry + 1; cut < end; cut++) {
        int at = cut;
        assertThatThrownBy(() -> LogBatch.parse(p, from, at, 3))
            .as("cut at %d", at)
            .isInstanceOf(RecordFormat.CorruptRecordException.class);
      }
      byte[] bad = p.clone();
      bad[lastEntry] = 2; // only streams 0 and 1 exist
      assertThatThrownBy(() -> LogBatch.parse(bad, from, end, 3))
          .isInstanceOf(RecordFormat.CorruptRecordException.class)
          .hasMessageContaining("stream 2");
    }
  }

  /**
   * Golden bytes of version 3 entries: stream, then varints of the timestamp's difference from the
   * entry before (zigzag), the offset's from the previous next offset (zigzag), the length, and
   * next minus (offset + length) (zigzag).
   */
  @Test
  void version3EntryHeadersAreVarintsOfDifferences() {
    try (Spool s = open();
        SpoolCursor c = s.cursor("d")) {
      LogBatchWriter w = s.logBatchWriter();
      w.begin("s", new Labels[] {OUT, ERR});
      byte[] line = "ab".getBytes(StandardCharsets.UTF_8);
      w.add(1, 1000, 100, 143, line, 0, 2); // a CRI line: 40 bytes of prefix and a newline
      w.add(0, 999, 143, 186, line, 0, 2); // a timestamp one nanosecond back
      w.add(0, 999, 186, 180, line, 0, 1); // a piece: next is before the offset
      w.commit();
      SpoolEntry e = c.next();
      LogBatch b = (LogBatch) e.record();
      byte[] p = b.bytes();
      int at = b.lineStart(0) - 7;
      assertThat(Arrays.copyOfRange(p, at, b.lineStart(2) + b.lineLength(2)))
          .containsExactly(
              // stream 1, ts 1000 -> zigzag 2000 = 0xd0 0x0f, offset 100 -> 200 = 0xc8 0x01,
              // length 2, next - offset - length = 41 -> 82
              1,
              0xd0 - 256,
              0x0f,
              0xc8 - 256,
              0x01,
              2,
              82,
              'a',
              'b',
              // stream 0, ts -1 -> 1, offset +0 -> 0, length 2, 41 -> 82
              0,
              1,
              0,
              2,
              82,
              'a',
              'b',
              // stream 0, ts +0, offset +0, length 1, 180 - 187 = -7 -> 13
              0,
              0,
              0,
              1,
              13,
              'a');
      assertThat(b.entries())
          .extracting(LogEntry::timestampNanos, LogEntry::offset, LogEntry::nextOffset)
          .containsExactly(
              org.assertj.core.groups.Tuple.tuple(1000L, 100L, 143L),
              org.assertj.core.groups.Tuple.tuple(999L, 143L, 186L),
              org.assertj.core.groups.Tuple.tuple(999L, 186L, 180L));
    }
  }

  /** The hand-written protobuf is byte for byte what protobuf-java writes for the same request. */
  @Test
  void lokiPushBodyEqualsProtobufJavasEncoding() throws IOException {
    try (Spool s = open();
        SpoolCursor c = s.cursor("d")) {
      LogBatchWriter w = s.logBatchWriter();
      w.begin("1:2:64:ff", new Labels[] {OUT, ERR, Labels.EMPTY});
      add(w, 0, 1_700_000_000_123_456_789L, 0, "hello");
      add(w, 1, 1_700_000_001_000_000_000L, 9, "é✓ unicode");
      add(w, 0, 0, 30, "");
      add(w, 2, -1, 40, "before the epoch, empty labels");
      add(w, 0, 5, 80, "x".repeat(300));
      // Timestamps split into seconds and nanos as protobuf's Timestamp wants them (floorDiv and
      // floorMod): the same second again, the next one, backwards, either side of 0, the extremes.
      long[] ts = {
        1_700_000_000_999_999_999L,
        1_700_000_000_000_000_000L,
        1_700_000_001_000_000_000L,
        1_700_000_000_999_999_999L,
        1_699_999_999_999_999_999L,
        -1_000_000_000L,
        -999_999_999L,
        -1_000_000_001L,
        999_999_999L,
        1_000_000_000L,
        Long.MAX_VALUE,
        Long.MAX_VALUE - 1,
        Long.MIN_VALUE,
        Long.MIN_VALUE + 1,
        -1,
        0,
        Long.MAX_VALUE / 1_000_000_000L * 1_000_000_000L,
        Long.MIN_VALUE / 1_000_000_000L * 1_000_000_000L - 1
      };
      for (int i = 0; i < ts.length; i++) {
        add(w, 1 - (i % 3 == 0 ? 1 : 0), ts[i], 400 + i, "t" + i);
      }
      w.commit();
      s.append(
          new LogEntry(ERR, 7, "legacy ✓", Labels.of("trace_id", "abc"), "1:2:64:ff", 400, 420));
      List<SpoolEntry> batch = new ArrayList<>();
      for (SpoolEntry e; (e = c.next()) != null; ) {
        batch.add(e);
      }
      for (boolean position : new boolean[] {false, true}) {
        PayloadEncoder.Payload p = new LokiPushEncoder(position).encode(batch);
        assertThat(p.records()).isEqualTo(24);
        byte[] expected = reference(batch, position);
        assertThat(Snappy.uncompress(p.body())).isEqualTo(expected);
      }
    }
  }

  /** The request as the generated protobuf classes build it. */
  @Test
  void varintSizeMatchesTheBytesPutVarintWrites() {
    byte[] buf = new byte[10];
    for (int bit = 0; bit < 64; bit++) {
      for (long v : new long[] {1L << bit, (1L << bit) - 1, (1L << bit) + 1, -(1L << bit)}) {
        assertThat(LokiPushEncoder.varintSize(v))
            .as("varint size of %d", v)
            .isEqualTo(LokiPushEncoder.putVarint(buf, 0, v));
      }
    }
  }

  private static byte[] reference(List<SpoolEntry> batch, boolean position) {
    Map<Labels, Push.StreamAdapter.Builder> streams = new LinkedHashMap<>();
    List<LogEntry> all = new ArrayList<>();
    for (SpoolEntry e : batch) {
      if (e.record() instanceof LogBatch b) {
        all.addAll(b.entries());
      } else {
        all.add((LogEntry) e.record());
      }
    }
    for (LogEntry l : all) {
      Push.EntryAdapter.Builder entry =
          Push.EntryAdapter.newBuilder()
              .setTimestamp(
                  Timestamp.newBuilder()
                      .setSeconds(Math.floorDiv(l.timestampNanos(), 1_000_000_000L))
                      .setNanos((int) Math.floorMod(l.timestampNanos(), 1_000_000_000L)))
              .setLine(l.line());
      Labels md = l.metadata();
      for (int i = 0; i < md.size(); i++) {
        entry.addStructuredMetadata(pair(md.name(i), md.value(i)));
      }
      if (position) {
        entry.addStructuredMetadata(pair("source", l.sourceId()));
        entry.addStructuredMetadata(pair("offset", Long.toString(l.offset())));
      }
      streams
          .computeIfAbsent(
              l.stream(),
              k -> Push.StreamAdapter.newBuilder().setLabels(LokiPushEncoder.labelsString(k)))
          .addEntries(entry);
    }
    Push.PushRequest.Builder req = Push.PushRequest.newBuilder();
    streams.values().forEach(req::addStreams);
    return req.build().toByteArray();
  }

  private static Push.LabelPairAdapter pair(String name, String value) {
    return Push.LabelPairAdapter.newBuilder().setName(name).setValue(value).build();
  }
}
