package dev.osprey.logs.shipper;

import dev.osprey.core.labels.Labels;
import dev.osprey.core.util.Utf8;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * Joins the lines of one file into multi-line records, per stream (stdout and stderr lines of a CRI
 * file interleave; each has its own open record), after partial-line joining.
 *
 * <p>Offsets: a record's entry covers its first line's start; its {@code nextOffset} (where a
 * restart resumes) is the <em>safe point</em>: the largest offset before which every line belongs
 * to a record already shipped and at which no shipped record is cut. With one stream in a record's
 * span this is the record's last line's end, so a restart neither duplicates nor loses part of a
 * record. When another stream's record is still open across it, the safe point stays at that
 * record's start: a restart then reads the lines after it again and ships the same whole records
 * again (same stream, timestamp, text and offset: a replay a receiver drops), never a part.
 */
final class MultilineJoiner {
  /** Where joined records go (the tailer's emit). */
  interface Sink {
    void record(Labels labels, long ts, String text, long offset, long next);
  }

  /** Continuation rules. States are small ints; {@link #NO} means "does not continue". */
  abstract static class Rule {
    static final int NO = -1;

    /** State of a record that starts with {@code line}. */
    abstract int start(String line);

    /** State after {@code line} continues a record in {@code state}, or {@link #NO}. */
    abstract int next(int state, String line);

    static Rule of(MultilineConfig c) {
      if (c.start() != null) {
        Pattern p = Pattern.compile(c.start());
        return new Rule() {
          @Override
          int start(String line) {
            return 0;
          }

          @Override
          int next(int state, String line) {
            return p.matcher(line).find() ? NO : 0;
          }
        };
      }
      return switch (c.preset()) {
        case "java" -> JAVA;
        case "python" -> PYTHON;
        case "go" -> GO;
        default -> throw new IllegalStateException("BUG: preset " + c.preset());
      };
    }
  }

  // Java: "pkg.SomeException: msg" (or "Exception in thread ...") opens a trace; frames "\tat ...",
  // "\t... 12 more", "Caused by: ...", "Suppressed: ..." and other indented lines continue it.
  private static final Pattern JAVA_HEADER =
      Pattern.compile("(?:^|[\\s:])(?:[\\w$]+\\.)*[\\w$]*(?:Exception|Error|Throwable)(?::|$)");
  private static final Pattern JAVA_CONT =
      Pattern.compile("^(?:\\s+\\S|\\s*(?:Caused by|Suppressed): )");

  static final Rule JAVA =
      new Rule() {
        @Override
        int start(String line) {
          return JAVA_HEADER.matcher(line).find() ? 1 : 0;
        }

        @Override
        int next(int state, String line) {
          return state == 1 && JAVA_CONT.matcher(line).find() ? 1 : NO;
        }
      };

  // Python: "Traceback (most recent call last):", indented frames, the exception line; chained
  // tracebacks ("During handling of the above exception ..." / "The above exception was the
  // direct cause ...") stay in the record.
  private static final String TRACEBACK = "Traceback (most recent call last):";
  private static final int PY_FRAMES = 1;
  private static final int PY_DONE = 2;
  private static final int PY_CHAIN = 3;

  static final Rule PYTHON =
      new Rule() {
        @Override
        int start(String line) {
          return line.startsWith(TRACEBACK) ? PY_FRAMES : 0;
        }

        @Override
        int next(int state, String line) {
          return switch (state) {
            case PY_FRAMES -> indented(line) ? PY_FRAMES : PY_DONE; // the exception line ends it
            case PY_DONE ->
                line.isBlank()
                        || line.startsWith("During handling of the above exception")
                        || line.startsWith("The above exception was the direct cause")
                    ? PY_CHAIN
                    : NO;
            case PY_CHAIN ->
                line.isBlank()
                        || line.startsWith("During handling of the above exception")
                        || line.startsWith("The above exception was the direct cause")
                    ? PY_CHAIN
                    : line.startsWith(TRACEBACK) ? PY_FRAMES : NO;
            default -> NO;
          };
        }
      };

  // Go: "panic: ..." or "fatal error: ..." (or a goroutine dump) opens; blank lines, "goroutine N
  // [state]:", function lines "pkg.fn(...)", indented file:line lines, "created by ...",
  // "[signal ...]" continue.
  private static final Pattern GO_GOROUTINE = Pattern.compile("^goroutine \\d+ \\[");
  private static final Pattern GO_CONT =
      Pattern.compile(
          "^(?:\\s|$|goroutine \\d+ \\[|created by |\\[signal |\\.\\.\\.additional frames"
              + "|[\\w./*()\\[\\]{}%-]+\\(.*\\)$)");

  static final Rule GO =
      new Rule() {
        @Override
        int start(String line) {
          return line.startsWith("panic: ")
                  || line.startsWith("fatal error: ")
                  || GO_GOROUTINE.matcher(line).find()
              ? 1
              : 0;
        }

        @Override
        int next(int state, String line) {
          return state == 1 && GO_CONT.matcher(line).find() ? 1 : NO;
        }
      };

  private static boolean indented(String line) {
    return !line.isEmpty() && (line.charAt(0) == ' ' || line.charAt(0) == '\t');
  }

  private static final class Open {
    final Labels labels;
    final long ts;
    final long start;
    final StringBuilder text = new StringBuilder();
    long end;
    int lines;
    int bytes;
    int state;
    long lastNanos;

    Open(Labels labels, long ts, long start) {
      this.labels = labels;
      this.ts = ts;
      this.start = start;
    }
  }

  private final Rule rule;
  private final int maxLines;
  private final int maxBytes;
  private final long flushNanos;
  private final Sink sink;
  private final List<Open> open = new ArrayList<>(3); // at most one per stream
  private final List<long[]> shipped =
      new ArrayList<>(); // [start, end) possibly cut by the safe point
  private long lastEnd;

  MultilineJoiner(MultilineConfig c, long offset, Sink sink) {
    this.rule = Rule.of(c);
    this.maxLines = c.maxLines();
    this.maxBytes = c.maxBytes();
    this.flushNanos = c.flushTimeout().toNanos();
    this.sink = sink;
    this.lastEnd = offset;
  }

  /** One line (after partial-line joining) of stream {@code labels}, spanning [offset, next). */
  void line(Labels labels, long ts, String text, long offset, long next, long nowNanos) {
    Open o = openOf(labels);
    int len = Utf8.length(text);
    lastEnd = Math.max(lastEnd, next);
    if (o != null) {
      int s = rule.next(o.state, text);
      if (s != Rule.NO && o.lines < maxLines && o.bytes + 1 + len <= maxBytes) {
        o.text.append('\n').append(text);
        o.lines++;
        o.bytes += 1 + len;
        o.end = next;
        o.state = s;
        o.lastNanos = nowNanos;
        return;
      }
      open.remove(o);
      Open n = begin(labels, ts, text, offset, next, len, nowNanos);
      if (s != Rule.NO) {
        n.state = s; // cut at a limit: the rest continues as its own record
      }
      ship(o);
      return;
    }
    begin(labels, ts, text, offset, next, len, nowNanos);
  }

  /** A line that ships nothing (empty): only moves the safe point when no record is open. */
  void skip(long next) {
    lastEnd = Math.max(lastEnd, next);
  }

  /** Ships records whose last line is older than the flush timeout. */
  void flushIdle(long nowNanos) {
    for (Open o : List.copyOf(open)) {
      if (nowNanos - o.lastNanos >= flushNanos) {
        open.remove(o);
        ship(o);
      }
    }
  }

  /** Ships every open record (end of a file being let go, or a piece of an over-long line). */
  void flushAll() {
    while (!open.isEmpty()) {
      ship(open.removeFirst());
    }
  }

  boolean hasOpen() {
    return !open.isEmpty();
  }

  /** Where a restart would resume now (see the class comment). */
  long safePoint() {
    long x = lastEnd;
    for (Open o : open) {
      x = Math.min(x, o.start);
    }
    boolean moved = true;
    while (moved) {
      moved = false;
      for (long[] r : shipped) {
        if (r[0] < x && x < r[1]) {
          x = r[0];
          moved = true;
        }
      }
    }
    final long safe = x;
    shipped.removeIf(r -> r[1] <= safe);
    return safe;
  }

  private Open begin(
      Labels labels, long ts, String text, long offset, long next, int len, long now) {
    Open n = new Open(labels, ts, offset);
    n.text.append(text);
    n.lines = 1;
    n.bytes = len;
    n.end = next;
    n.state = rule.start(text);
    n.lastNanos = now;
    open.add(n);
    return n;
  }

  private void ship(Open o) {
    shipped.add(new long[] {o.start, o.end});
    sink.record(o.labels, o.ts, o.text.toString(), o.start, safePoint());
  }

  private Open openOf(Labels labels) {
    for (Open o : open) {
      if (o.labels == labels) {
        return o;
      }
    }
    return null;
  }
}
