package dev.osprey.core.http;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayDeque;

/**
 * A request body fed chunk by chunk from the event loop and read by a handler on a worker thread.
 * Reading from the socket pauses (autoRead off) while more than {@link #HIGH_WATER} bytes wait, so
 * a body of any size passes through in bounded memory.
 */
final class StreamingBody extends InputStream {
  static final int HIGH_WATER = 4 << 20;
  static final int LOW_WATER = 1 << 20;

  private final Channel channel;
  private final long maxBytes;
  private final ArrayDeque<ByteBuf> chunks = new ArrayDeque<>();
  private long queuedBytes;
  private long totalBytes;
  private boolean ended;
  private IOException failure;
  private boolean closed;

  StreamingBody(Channel channel, long maxBytes) {
    this.channel = channel;
    this.maxBytes = maxBytes;
  }

  /** Called on the event loop. Takes ownership of {@code buf}. */
  synchronized void offer(ByteBuf buf) {
    if (closed || failure != null) {
      buf.release();
      return;
    }
    totalBytes += buf.readableBytes();
    if (maxBytes > 0 && totalBytes > maxBytes) {
      buf.release();
      failure = new IOException("request body exceeds the limit of " + maxBytes + " bytes");
      notifyAll();
      return;
    }
    chunks.add(buf);
    queuedBytes += buf.readableBytes();
    if (queuedBytes > HIGH_WATER) {
      channel.config().setAutoRead(false);
    }
    notifyAll();
  }

  synchronized void end() {
    ended = true;
    notifyAll();
  }

  synchronized void fail(IOException e) {
    if (failure == null) {
      failure = e;
    }
    notifyAll();
  }

  @Override
  public int read() throws IOException {
    byte[] one = new byte[1];
    int n = read(one, 0, 1);
    return n < 0 ? -1 : one[0] & 0xff;
  }

  @Override
  public synchronized int read(byte[] b, int off, int len) throws IOException {
    if (len == 0) {
      return 0;
    }
    while (true) {
      if (failure != null) {
        throw failure;
      }
      ByteBuf head = chunks.peek();
      if (head != null) {
        int n = Math.min(len, head.readableBytes());
        head.readBytes(b, off, n);
        queuedBytes -= n;
        if (!head.isReadable()) {
          chunks.poll().release();
        }
        if (queuedBytes < LOW_WATER && !channel.config().isAutoRead()) {
          channel.eventLoop().execute(() -> channel.config().setAutoRead(true));
        }
        return n;
      }
      if (ended) {
        return -1;
      }
      try {
        wait(30_000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IOException("interrupted while reading the request body");
      }
      if (chunks.isEmpty() && !ended && failure == null) {
        failure = new IOException("timed out waiting 30 s for the request body");
      }
    }
  }

  @Override
  public synchronized void close() {
    closed = true;
    ByteBuf b;
    while ((b = chunks.poll()) != null) {
      b.release();
    }
    if (!channel.config().isAutoRead()) {
      channel.eventLoop().execute(() -> channel.config().setAutoRead(true));
    }
  }
}
