package dev.osprey.core.http;

import java.time.Duration;

/**
 * Limits of one websocket connection.
 *
 * @param maxQueuedMessages messages written but not yet on the wire before {@link
 *     WebSocketSession#sendText} refuses (drops) more
 * @param maxQueuedBytes bytes written but not yet on the wire before sends are refused
 * @param maxMessageBytes largest message accepted from the client (larger: close 1009)
 * @param pingInterval how often the server pings; a client that answers no ping for two intervals
 *     is disconnected
 * @param closeTimeout how long to wait for the client's close frame after sending ours
 */
public record WebSocketSettings(
    int maxQueuedMessages,
    long maxQueuedBytes,
    int maxMessageBytes,
    Duration pingInterval,
    Duration closeTimeout) {
  public WebSocketSettings {
    if (maxQueuedMessages <= 0 || maxQueuedBytes <= 0 || maxMessageBytes <= 0) {
      throw new IllegalArgumentException("cannot use websocket settings: limits must be positive");
    }
    if (pingInterval.isNegative() || pingInterval.isZero() || closeTimeout.isNegative()) {
      throw new IllegalArgumentException(
          "cannot use websocket settings: ping interval must be positive");
    }
  }

  /** 64 messages or 8 MiB queued per connection, 1 MiB messages, a ping every 30 s. */
  public static WebSocketSettings defaults() {
    return new WebSocketSettings(
        64, 8L << 20, 1 << 20, Duration.ofSeconds(30), Duration.ofSeconds(5));
  }

  public WebSocketSettings withQueue(int messages, long bytes) {
    return new WebSocketSettings(messages, bytes, maxMessageBytes, pingInterval, closeTimeout);
  }

  public WebSocketSettings withPingInterval(Duration d) {
    return new WebSocketSettings(
        maxQueuedMessages, maxQueuedBytes, maxMessageBytes, d, closeTimeout);
  }
}
