package dev.osprey.core.http;

import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One open websocket connection, for sending. Thread-safe. Sends go through a bounded queue (the
 * messages written but not yet on the wire, counted against {@link WebSocketSettings}): when a slow
 * client has let it fill, {@link #sendText} drops the message and says so instead of growing
 * memory, and the caller decides what to report (Loki's tail reports {@code dropped_entries}).
 */
public final class WebSocketSession {
  private final Channel channel;
  private final WebSocketSettings settings;
  private final AtomicInteger queuedMessages = new AtomicInteger();
  private final AtomicLong queuedBytes = new AtomicLong();
  private final AtomicLong dropped = new AtomicLong();
  private final AtomicBoolean closeSent = new AtomicBoolean();
  private volatile boolean open = true;

  WebSocketSession(Channel channel, WebSocketSettings settings) {
    this.channel = channel;
    this.settings = settings;
  }

  /**
   * Queues a text message. Returns false, and sends nothing, when the connection is closed or its
   * send queue is full.
   */
  public boolean sendText(String text) {
    if (!open || closeSent.get()) {
      return false;
    }
    byte[] utf8 = text.getBytes(StandardCharsets.UTF_8);
    long bytes = utf8.length;
    int messages = queuedMessages.incrementAndGet();
    long total = queuedBytes.addAndGet(bytes);
    // One message larger than the byte limit still goes when nothing else waits.
    if (messages > settings.maxQueuedMessages()
        || (total > settings.maxQueuedBytes() && messages > 1)) {
      queuedMessages.decrementAndGet();
      queuedBytes.addAndGet(-bytes);
      dropped.incrementAndGet();
      return false;
    }
    TextWebSocketFrame frame = new TextWebSocketFrame(channel.alloc().buffer(utf8.length));
    frame.content().writeBytes(utf8);
    channel
        .writeAndFlush(frame)
        .addListener(
            f -> {
              queuedMessages.decrementAndGet();
              queuedBytes.addAndGet(-bytes);
            });
    return true;
  }

  /**
   * Starts the closing handshake: sends a close frame with {@code code} and {@code reason}, then
   * closes the connection when the client answers or after the close timeout. Idempotent.
   */
  public void close(int code, String reason) {
    if (!closeSent.compareAndSet(false, true)) {
      return;
    }
    if (!channel.isActive()) {
      return;
    }
    channel
        .writeAndFlush(new CloseWebSocketFrame(code, reason == null ? "" : reason))
        .addListener(
            (ChannelFutureListener)
                f -> {
                  if (!f.isSuccess()) {
                    f.channel().close();
                  } else {
                    f.channel()
                        .eventLoop()
                        .schedule(
                            () -> {
                              f.channel().close();
                            },
                            settings.closeTimeout().toMillis(),
                            TimeUnit.MILLISECONDS);
                  }
                });
  }

  /** True until the connection closed or a close frame was sent. */
  public boolean isOpen() {
    return open && !closeSent.get();
  }

  /** Messages refused because the send queue was full. */
  public long dropped() {
    return dropped.get();
  }

  /** Messages written and not yet on the wire. */
  public int queuedMessages() {
    return queuedMessages.get();
  }

  public String remoteAddress() {
    return String.valueOf(channel.remoteAddress());
  }

  boolean closeSent() {
    return closeSent.get();
  }

  /** Marks the close frame sent without sending one (the handler echoed the client's). */
  boolean markCloseSent() {
    return closeSent.compareAndSet(false, true);
  }

  void markClosed() {
    open = false;
  }

  Channel channel() {
    return channel;
  }
}
