package dev.osprey.logs.shipper;

import dev.osprey.core.labels.Labels;
import dev.osprey.pipeline.LogEntry;
import java.io.IOException;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.function.Consumer;

/**
 * Reads one file from a byte offset and turns its lines into {@link LogEntry}s: format detected
 * from the first line (CRI, Docker json-file or plain), partial lines joined up to the maximum,
 * longer lines split (counted), invalid UTF-8 replaced, malformed CRI shipped as plain (counted).
 *
 * <p>Every entry carries the file's identity and byte range. {@code nextOffset} is where reading
 * resumes after a restart: just after the entry, or, for a piece of a line that is still being
 * split, the start of that line (re-reading yields the same pieces at the same offsets, which a
 * receiver recognises as replays).
 */
final class FileTailer implements AutoCloseable {
  /** Stream indexes in {@link #streams()}. */
  static final int PLAIN = 0;

  static final int STDOUT = 1;
  static final int STDERR = 2;

  /**
   * Where entries go. {@code b[off, off+len)} is the line as valid UTF-8, only valid during the
   * call (the caller copies it); {@code stream} indexes {@link #streams()}.
   */
  interface Sink {
    void entry(
        FileTailer source, int stream, long ts, byte[] b, int off, int len, long offset, long next);

    /** A sink that makes a {@link LogEntry} of each entry (tests, tools). */
    static Sink entries(Consumer<LogEntry> out) {
      return (t, stream, ts, b, off, len, offset, next) ->
          out.accept(
              new LogEntry(
                  t.streams()[stream],
                  ts,
                  new String(b, off, len, StandardCharsets.UTF_8),
                  Labels.EMPTY,
                  t.sourceId,
                  offset,
                  next));
    }
  }

  enum Format {
    UNKNOWN,
    CRI,
    DOCKER,
    PLAIN
  }

  private static final int READ_BUFFER = 64 << 10;

  final Path path;

  /** The source: the content generation being read (for a copytruncate copy, the original's). */
  final FileIdentity id;

  final String sourceId;

  /** (device, inode) of the file actually read; differs from {@link #id} for a copy. */
  final long fileDev;

  final long fileIno;
  private final FileChannel ch;
  private final int maxLine;
  private final Labels plainLabels;
  private final Labels stdoutLabels;
  private final Labels stderrLabels;
  private final Labels[] streams;
  private final Sink sink;
  private final ShipperMetrics metrics;
  private final ByteBuffer readBuf = ByteBuffer.allocate(READ_BUFFER);
  private final CriParser.Result cri = new CriParser.Result();

  private long readPos;
  private long emittedPos;
  private Format format = Format.UNKNOWN;

  // Bytes of the current physical line not yet complete.
  private byte[] carry = new byte[4096];
  private int carryLen;
  private long carryStart;
  private long lineStart; // file offset where the current physical line began
  private boolean continuing; // pieces of the current physical line were emitted already
  private long contTs;
  private boolean contStderr;

  // Partial (CRI "P", Docker without newline) lines being joined.
  private byte[] join = new byte[4096];
  private int joinLen;
  private long joinStart = -1;
  private long joinTs;
  private boolean joinStderr;

  /** Multi-line joining (after partial-line joining), or null. */
  private MultilineJoiner joiner;

  /** The file read, when known by name (a rotated file or a copy); null for one at its path. */
  Path file;

  boolean draining;
  int eofStreak;
  long quietSince;

  /**
   * Re-check the fingerprint after every read (the live file at its path): bytes read after a
   * copytruncate replaced the content are dropped, not shipped as the old content's.
   */
  boolean verifyReads;

  FileTailer(
      Path path,
      FileChannel ch,
      FileIdentity id,
      long offset,
      Labels base,
      int maxLine,
      Sink sink,
      ShipperMetrics metrics) {
    this(path, ch, id, id.dev(), id.ino(), offset, base, maxLine, sink, metrics);
  }

  FileTailer(
      Path path,
      FileChannel ch,
      FileIdentity id,
      long fileDev,
      long fileIno,
      long offset,
      Labels base,
      int maxLine,
      Sink sink,
      ShipperMetrics metrics) {
    this.path = path;
    this.ch = ch;
    this.id = id;
    this.sourceId = id.sourceId();
    this.fileDev = fileDev;
    this.fileIno = fileIno;
    this.maxLine = maxLine;
    this.plainLabels = base;
    this.stdoutLabels = base.toBuilder().set("stream", "stdout").build();
    this.stderrLabels = base.toBuilder().set("stream", "stderr").build();
    this.streams = new Labels[] {plainLabels, stdoutLabels, stderrLabels};
    this.sink = sink;
    this.metrics = metrics;
    this.readPos = offset;
    this.emittedPos = offset;
    this.carryStart = offset;
    this.lineStart = offset;
  }

  static FileChannel openChannel(Path p) throws IOException {
    return FileChannel.open(p, StandardOpenOption.READ);
  }

  /** Where reading resumes after a restart. */
  long position() {
    return emittedPos;
  }

  long readPosition() {
    return readPos;
  }

  long size() throws IOException {
    return ch.size();
  }

  FileChannel channel() {
    return ch;
  }

  /** The stream label sets entries refer to: {@link #PLAIN}, {@link #STDOUT}, {@link #STDERR}. */
  Labels[] streams() {
    return streams;
  }

  Format format() {
    return format;
  }

  /** Joins multi-line records from here on (set before the first poll). */
  FileTailer multiline(MultilineConfig c) {
    if (c != null) {
      joiner = new MultilineJoiner(c, emittedPos, this::record);
    }
    return this;
  }

  /** Ships multi-line records whose last line is older than their flush timeout. */
  void flushIdle(long nowNanos) {
    if (joiner != null && joiner.hasOpen()) {
      joiner.flushIdle(nowNanos);
      emittedPos = joiner.safePoint();
    }
  }

  FileTailer readingFile(Path f) {
    this.file = f;
    return this;
  }

  boolean readsFile(long dev, long ino) {
    return fileDev == dev && fileIno == ino;
  }

  /**
   * Reads up to one buffer and emits the complete lines in it.
   *
   * @return bytes read; 0 at the end of the file; -1 when {@link #verifyReads} found the file's
   *     first bytes changed (truncated, copytruncate): nothing of that read was emitted
   */
  int poll() throws IOException {
    readBuf.clear();
    int n = ch.read(readBuf, readPos);
    if (n <= 0) {
      return 0;
    }
    if (verifyReads && !id.fingerprintMatches(ch)) {
      // Truncated (and maybe rewritten) before or after our read: either way the bytes we would
      // ship from here are in the copy, which is read from our position instead.
      return -1;
    }
    byte[] b = readBuf.array();
    int segStart = 0;
    for (int i = indexOfNewline(b, 0, n); i >= 0; i = indexOfNewline(b, i + 1, n)) {
      long nlOffset = readPos + i;
      if (carryLen == 0 && i - segStart <= maxLine) {
        line(b, segStart, i - segStart, nlOffset + 1, true);
      } else {
        appendCarry(b, segStart, i - segStart);
        line(carry, 0, carryLen, nlOffset + 1, true);
        carryLen = 0;
      }
      segStart = i + 1;
      carryStart = nlOffset + 1;
      lineStart = nlOffset + 1;
      continuing = false;
    }
    if (segStart < n) {
      appendCarry(b, segStart, n - segStart);
    }
    readPos += n;
    metrics.bytesRead.increment(n);
    return n;
  }

  private static final VarHandle LONG =
      MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
  private static final long ONES = 0x0101010101010101L;
  private static final long NEWLINES = 0x0A0A0A0A0A0A0A0AL;

  /**
   * The index of the first {@code '\n'} in {@code b[from, end)}, or -1; eight bytes per step (the
   * agent's JVM runs C1 only, which does not vectorize a byte loop: about 3.5 ns per byte).
   */
  static int indexOfNewline(byte[] b, int from, int end) {
    int i = from;
    for (; i + 8 <= end; i += 8) {
      long x = (long) LONG.get(b, i) ^ NEWLINES;
      long found = (x - ONES) & ~x & 0x8080808080808080L;
      if (found != 0) {
        // The lowest flagged byte is a true match (a borrow only flags bytes above one).
        return i + (Long.numberOfTrailingZeros(found) >>> 3);
      }
    }
    for (; i < end; i++) {
      if (b[i] == '\n') {
        return i;
      }
    }
    return -1;
  }

  /** At the end of a file that is being let go: the last line had no newline; ship it. */
  void flushAtEnd() {
    if (carryLen > 0) {
      line(carry, 0, carryLen, carryStart + carryLen, true);
      carryLen = 0;
      carryStart = readPos;
      lineStart = readPos;
      continuing = false;
    }
    flushJoin(readPos);
    if (joiner != null) {
      joiner.flushAll();
      emittedPos = joiner.safePoint();
    }
  }

  private void appendCarry(byte[] b, int off, int len) {
    while (carryLen + len > maxLine) {
      int take = maxLine - carryLen;
      int pieceLen = utf8Boundary(b, off, take, carry, carryLen);
      byte[] piece = new byte[carryLen + pieceLen];
      System.arraycopy(carry, 0, piece, 0, carryLen);
      System.arraycopy(b, off, piece, carryLen, pieceLen);
      metrics.linesSplit.increment();
      line(piece, 0, piece.length, lineStart, false);
      carryStart += piece.length;
      carryLen = 0;
      off += pieceLen;
      len -= pieceLen;
    }
    if (carryLen + len > carry.length) {
      carry = Arrays.copyOf(carry, Math.max(carry.length * 2, carryLen + len));
    }
    System.arraycopy(b, off, carry, carryLen, len);
    carryLen += len;
  }

  /** How many of {@code take} bytes to cut so a UTF-8 sequence is not split (when possible). */
  private static int utf8Boundary(byte[] b, int off, int take, byte[] carry, int carryLen) {
    int cut = take;
    for (int k = 0; k < 3 && cut > 0 && (b[off + cut] & 0xC0) == 0x80; k++) {
      cut--;
    }
    if (cut == 0 && carryLen == 0) {
      return Math.max(1, take); // no boundary near: cut anyway, the decoder replaces
    }
    return cut;
  }

  /**
   * One physical line, or a piece of one ({@code complete} false: cut at the maximum).
   *
   * @param next for a complete line, the offset after its newline; for a piece, the line's start
   */
  private void line(byte[] b, int off, int len, long next, boolean complete) {
    long start = complete ? carryStartFor(next, len) : carryStart;
    if (format == Format.UNKNOWN) {
      format = detect(b, off, len);
    }
    if (continuing) {
      // The rest of a line whose first pieces were emitted already: raw text, same stream.
      int l = format == Format.PLAIN ? PLAIN : (contStderr ? STDERR : STDOUT);
      emit(l, contTs, b, off, len, start, complete ? next : lineStart);
      return;
    }
    switch (format) {
      case CRI -> criLine(b, off, len, start, next, complete);
      case DOCKER -> dockerLine(b, off, len, start, next, complete);
      default -> plainLine(b, off, len, start, next, complete);
    }
  }

  /** Offset where a complete line of {@code len} bytes ending before {@code next} started. */
  private long carryStartFor(long next, int len) {
    return continuing ? next - 1 - len : lineStart;
  }

  private void criLine(byte[] b, int off, int len, long start, long next, boolean complete) {
    if (!CriParser.parse(b, off, len, cri)) {
      metrics.criMalformed.increment();
      plainLine(b, off, len, start, next, complete);
      return;
    }
    int msgLen = off + len - cri.messageOffset;
    if (!complete) {
      flushJoin(start);
      startContinuation(cri.timestampNanos, cri.stderr);
      emit(
          cri.stderr ? STDERR : STDOUT,
          cri.timestampNanos,
          b,
          cri.messageOffset,
          msgLen,
          start,
          lineStart);
      return;
    }
    if (cri.partial) {
      addToJoin(b, cri.messageOffset, msgLen, start, cri.timestampNanos, cri.stderr);
      return;
    }
    if (joinStart >= 0) {
      if (joinLen + msgLen > maxLine) {
        flushJoin(start);
        metrics.linesSplit.increment();
      } else {
        appendJoin(b, cri.messageOffset, msgLen);
        flushJoin(next);
        return;
      }
    }
    emit(
        cri.stderr ? STDERR : STDOUT,
        cri.timestampNanos,
        b,
        cri.messageOffset,
        msgLen,
        start,
        next);
  }

  private void dockerLine(byte[] b, int off, int len, long start, long next, boolean complete) {
    DockerJsonParser.Result r =
        complete ? DockerJsonParser.parse(new String(b, off, len, StandardCharsets.UTF_8)) : null;
    if (r == null) {
      metrics.dockerMalformed.increment();
      plainLine(b, off, len, start, next, complete);
      return;
    }
    byte[] msg = r.log().getBytes(StandardCharsets.UTF_8);
    if (r.partial()) {
      addToJoin(msg, 0, msg.length, start, r.timestampNanos(), r.stderr());
      return;
    }
    if (joinStart >= 0 && joinLen + msg.length <= maxLine) {
      appendJoin(msg, 0, msg.length);
      flushJoin(next);
      return;
    }
    if (joinStart >= 0) {
      flushJoin(start);
      metrics.linesSplit.increment();
    }
    emit(r.stderr() ? STDERR : STDOUT, r.timestampNanos(), msg, 0, msg.length, start, next);
  }

  private void plainLine(byte[] b, int off, int len, long start, long next, boolean complete) {
    flushJoin(start);
    long now = System.currentTimeMillis() * 1_000_000L;
    if (!complete) {
      startContinuation(now, false);
      emit(PLAIN, now, b, off, len, start, lineStart);
      return;
    }
    if (len == 0 || (len == 1 && b[off] == '\r')) {
      if (joiner != null) {
        joiner.skip(next);
        emittedPos = joiner.safePoint();
        return;
      }
      emittedPos = next; // nothing to ship
      return;
    }
    emit(PLAIN, now, b, off, len, start, next);
  }

  private void startContinuation(long ts, boolean stderr) {
    continuing = true;
    contTs = ts;
    contStderr = stderr;
  }

  private void addToJoin(byte[] b, int off, int len, long start, long ts, boolean stderr) {
    if (joinStart >= 0 && joinLen + len > maxLine) {
      flushJoin(start);
      metrics.linesSplit.increment();
    }
    if (joinStart < 0) {
      joinStart = start;
      joinTs = ts;
      joinStderr = stderr;
    }
    appendJoin(b, off, len);
  }

  private void appendJoin(byte[] b, int off, int len) {
    if (joinLen + len > join.length) {
      join = Arrays.copyOf(join, Math.max(join.length * 2, joinLen + len));
    }
    System.arraycopy(b, off, join, joinLen, len);
    joinLen += len;
  }

  /** Ships the partial lines joined so far; {@code resume} is where the next line starts. */
  private void flushJoin(long resume) {
    if (joinStart < 0) {
      return;
    }
    long start = joinStart;
    int len = joinLen;
    joinStart = -1;
    joinLen = 0;
    emit(joinStderr ? STDERR : STDOUT, joinTs, join, 0, len, start, resume);
    if (join.length > (1 << 20)) {
      join = new byte[4096];
    }
  }

  private void emit(int stream, long ts, byte[] b, int off, int len, long offset, long next) {
    if (joiner != null) {
      if (!continuing) {
        joiner.line(streams[stream], ts, text(b, off, len), offset, next, System.nanoTime());
        emittedPos = joiner.safePoint();
        return;
      }
      // A piece of an over-long line: ship what is open first, then the piece as it is.
      joiner.flushAll();
      joiner.skip(next);
    }
    if (!Utf8Check.isValid(b, off, len)) {
      // Invalid UTF-8 is kept with U+FFFD in place of the bad bytes (the JDK decoder's rule).
      byte[] fixed = text(b, off, len).getBytes(StandardCharsets.UTF_8);
      b = fixed;
      off = 0;
      len = fixed.length;
    }
    sink.entry(this, stream, ts, b, off, len, offset, next);
    metrics.lines.increment();
    if (joinStart >= 0) {
      throw new IllegalStateException("BUG: entry emitted while partial lines are pending");
    }
    emittedPos = next;
  }

  /** A joined multi-line record from the joiner. */
  private void record(Labels labels, long ts, String text, long offset, long next) {
    byte[] b = text.getBytes(StandardCharsets.UTF_8);
    int stream = labels == stderrLabels ? STDERR : labels == stdoutLabels ? STDOUT : PLAIN;
    sink.entry(this, stream, ts, b, 0, b.length, offset, next);
    metrics.lines.increment();
  }

  private static String text(byte[] b, int off, int len) {
    // The JDK decoder replaces malformed input with U+FFFD: bad bytes are kept visibly, not lost.
    return new String(b, off, len, StandardCharsets.UTF_8);
  }

  private static Format detect(byte[] b, int off, int len) {
    if (CriParser.looksLikeCri(b, off, len)) {
      return Format.CRI;
    }
    if (len > 0
        && b[off] == '{'
        && DockerJsonParser.parse(new String(b, off, len, StandardCharsets.UTF_8)) != null) {
      return Format.DOCKER;
    }
    return Format.PLAIN;
  }

  @Override
  public void close() throws IOException {
    ch.close();
  }
}
