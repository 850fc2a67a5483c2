package dev.osprey.core.http;

import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;

/** A complete response: status, content type, extra headers and a body. */
public final class HttpResponse {
  public static final String JSON = "application/json";
  public static final String TEXT = "text/plain; charset=utf-8";

  private final int status;
  private final String contentType;
  private final byte[] body;
  private final Map<String, String> headers = new LinkedHashMap<>();
  private WebSocketListener webSocket;
  private WebSocketSettings webSocketSettings;

  public HttpResponse(int status, String contentType, byte[] body) {
    this.status = status;
    this.contentType = contentType;
    this.body = body == null ? new byte[0] : body;
  }

  public static HttpResponse json(int status, byte[] body) {
    return new HttpResponse(status, JSON, body);
  }

  /** 200 with {@code {"status":"success","data":<data>}}. */
  public static HttpResponse success(Object data) {
    return json(200, Json.success(data));
  }

  public static HttpResponse text(int status, String body) {
    return new HttpResponse(status, TEXT, body.getBytes(StandardCharsets.UTF_8));
  }

  public static HttpResponse noContent() {
    return new HttpResponse(204, null, null);
  }

  public static HttpResponse error(ApiException e) {
    return json(e.status(), Json.error(e.errorType(), e.getMessage()));
  }

  /**
   * Accepts a websocket handshake: the server answers 101 and hands the connection to {@code
   * listener}. A route validates its parameters before returning this, so a bad request is answered
   * with an ordinary error instead. A request that is not a websocket handshake gets 400.
   */
  public static HttpResponse webSocket(WebSocketListener listener, WebSocketSettings settings) {
    HttpResponse r = new HttpResponse(101, null, null);
    r.webSocket = java.util.Objects.requireNonNull(listener);
    r.webSocketSettings = java.util.Objects.requireNonNull(settings);
    return r;
  }

  public static HttpResponse webSocket(WebSocketListener listener) {
    return webSocket(listener, WebSocketSettings.defaults());
  }

  /** The listener of an accepted websocket handshake, or null for an ordinary response. */
  public WebSocketListener webSocketListener() {
    return webSocket;
  }

  public WebSocketSettings webSocketSettings() {
    return webSocketSettings;
  }

  public HttpResponse header(String name, String value) {
    headers.put(name, value);
    return this;
  }

  public int status() {
    return status;
  }

  public String contentType() {
    return contentType;
  }

  public byte[] body() {
    return body;
  }

  public Map<String, String> headers() {
    return headers;
  }
}
