package dev.osprey.core.http;

import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.CorruptedFrameException;
import io.netty.handler.codec.TooLongFrameException;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PingWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PongWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import io.netty.util.concurrent.ScheduledFuture;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The frames of an upgraded connection (after a {@code WebSocketFrameAggregator}): text to the
 * listener, pings answered, pongs noted, the closing handshake completed, a ping every interval and
 * a disconnect when two intervals pass without a pong.
 */
final class WebSocketFrameHandler extends SimpleChannelInboundHandler<WebSocketFrame> {
  private static final Logger log = LoggerFactory.getLogger(WebSocketFrameHandler.class);

  private final WebSocketSession session;
  private final WebSocketListener listener;
  private final WebSocketSettings settings;
  private final Set<WebSocketSession> open;
  private ScheduledFuture<?> pinger;
  private long lastPong = System.nanoTime();
  private boolean notified;

  WebSocketFrameHandler(
      WebSocketSession session,
      WebSocketListener listener,
      WebSocketSettings settings,
      Set<WebSocketSession> open) {
    this.session = session;
    this.listener = listener;
    this.settings = settings;
    this.open = open;
  }

  /** Called on the event loop once the handshake response is on the wire. */
  void opened(ChannelHandlerContext c) {
    open.add(session);
    long every = settings.pingInterval().toNanos();
    pinger =
        c.executor()
            .scheduleAtFixedRate(
                () -> {
                  if (System.nanoTime() - lastPong > 2 * every + every / 2) {
                    log.info("event=websocket_timeout remote={}", session.remoteAddress());
                    c.close();
                    return;
                  }
                  if (!session.closeSent()) {
                    c.writeAndFlush(new PingWebSocketFrame());
                  }
                },
                every,
                every,
                TimeUnit.NANOSECONDS);
    try {
      listener.onOpen(session);
    } catch (RuntimeException e) {
      log.error("event=websocket_listener_failed callback=open error={}", e.toString(), e);
      session.close(1011, "internal error");
    }
  }

  @Override
  protected void channelRead0(ChannelHandlerContext c, WebSocketFrame frame) {
    if (frame instanceof TextWebSocketFrame t) {
      if (!session.closeSent()) {
        try {
          listener.onText(session, t.text());
        } catch (RuntimeException e) {
          log.error("event=websocket_listener_failed callback=text error={}", e.toString(), e);
          session.close(1011, "internal error");
        }
      }
    } else if (frame instanceof PingWebSocketFrame p) {
      c.writeAndFlush(new PongWebSocketFrame(p.content().retain()));
    } else if (frame instanceof PongWebSocketFrame) {
      lastPong = System.nanoTime();
    } else if (frame instanceof CloseWebSocketFrame cf) {
      int code = cf.statusCode() < 0 ? 1005 : cf.statusCode();
      String reason = cf.reasonText();
      if (session.markCloseSent()) {
        // The client closed first: echo its code, then end the connection.
        c.writeAndFlush(new CloseWebSocketFrame(code == 1005 ? 1000 : code, ""))
            .addListener(ChannelFutureListener.CLOSE);
      } else {
        c.close(); // the answer to our close frame
      }
      notifyClosed(code, reason);
    } else if (frame instanceof BinaryWebSocketFrame) {
      session.close(1003, "binary messages are not supported");
    }
  }

  private void notifyClosed(int code, String reason) {
    if (notified) {
      return;
    }
    notified = true;
    session.markClosed();
    open.remove(session);
    if (pinger != null) {
      pinger.cancel(false);
    }
    try {
      listener.onClose(session, code, reason);
    } catch (RuntimeException e) {
      log.error("event=websocket_listener_failed callback=close error={}", e.toString(), e);
    }
  }

  @Override
  public void channelInactive(ChannelHandlerContext c) throws Exception {
    notifyClosed(1006, "connection closed without a close frame");
    super.channelInactive(c);
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext c, Throwable cause) {
    if (cause instanceof TooLongFrameException) {
      session.close(1009, "message too big: the limit is " + settings.maxMessageBytes() + " bytes");
    } else if (cause instanceof CorruptedFrameException) {
      session.close(1002, "protocol error: " + cause.getMessage());
    } else {
      c.close();
    }
  }
}
