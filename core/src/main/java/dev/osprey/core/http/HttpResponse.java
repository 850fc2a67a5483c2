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
