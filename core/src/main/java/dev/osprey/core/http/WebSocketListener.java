package dev.osprey.core.http;

/**
 * The server side of one websocket connection, as a route hands it to the kit with {@link
 * HttpResponse#webSocket}. Callbacks run on the connection's event loop: they must not block (hand
 * storage or query work to an executor of your own); sending from any thread is fine.
 */
public interface WebSocketListener {
  /** The handshake has been written; {@code socket} may be used (and kept) from now on. */
  default void onOpen(WebSocketSession socket) {}

  /** A complete text message from the client. */
  default void onText(WebSocketSession socket, String text) {}

  /**
   * The connection ended: the client's close code and reason, ours when we closed first, or 1006
   * when the connection was lost without a close frame. Called once, also when the handshake never
   * completed (then without {@link #onOpen}), so a listener can always release what it holds.
   */
  default void onClose(WebSocketSession socket, int code, String reason) {}
}
