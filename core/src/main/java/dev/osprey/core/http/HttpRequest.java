package dev.osprey.core.http;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.Map;

/**
 * A request as a handler sees it: method, path, path parameters, query and form parameters (query
 * first, as Go's Request.FormValue), headers, and the body already decoded from gzip or deflate.
 *
 * <p>For an ordinary route the body is aggregated (up to the server's size limit) and {@link
 * #body()} may be called. For a streaming route ({@link Router#postStreaming}) only {@link
 * #bodyStream()} is available, fed while the handler reads, so a body of any size never sits in
 * memory.
 */
public final class HttpRequest {
  private final String method;
  private final String path;
  private final Map<String, List<String>> params;
  private final Map<String, String> pathParams;
  private final Map<String, String> headers; // lower-case names
  private final byte[] body;
  private final InputStream stream;
  private final String remoteAddress;

  public HttpRequest(
      String method,
      String path,
      Map<String, List<String>> params,
      Map<String, String> pathParams,
      Map<String, String> headers,
      byte[] body,
      InputStream stream,
      String remoteAddress) {
    this.method = method;
    this.path = path;
    this.params = params;
    this.pathParams = pathParams;
    this.headers = headers;
    this.body = body;
    this.stream = stream;
    this.remoteAddress = remoteAddress;
  }

  public String method() {
    return method;
  }

  public String path() {
    return path;
  }

  /** The first value of a query or form parameter, or null. */
  public String param(String name) {
    List<String> v = params.get(name);
    return v == null || v.isEmpty() ? null : v.get(0);
  }

  /** The first value of a parameter, or {@code dflt} when absent or empty. */
  public String param(String name, String dflt) {
    String v = param(name);
    return v == null || v.isEmpty() ? dflt : v;
  }

  /** Every value of a repeated parameter such as {@code match[]}, in order; never null. */
  public List<String> params(String name) {
    List<String> v = params.get(name);
    return v == null ? List.of() : v;
  }

  public Map<String, List<String>> allParams() {
    return params;
  }

  public String pathParam(String name) {
    return pathParams.get(name);
  }

  /** A header value by case-insensitive name, or null. */
  public String header(String name) {
    return headers.get(name.toLowerCase(java.util.Locale.ROOT));
  }

  public Map<String, String> headers() {
    return headers;
  }

  public String contentType() {
    String ct = header("content-type");
    return ct == null ? "" : ct;
  }

  /** The whole decoded body. Not available on streaming routes. */
  public byte[] body() {
    if (body == null) {
      throw new IllegalStateException("BUG: body() on a streaming route; use bodyStream()");
    }
    return body;
  }

  /** The decoded body as a stream; on streaming routes it is fed as the client sends. */
  public InputStream bodyStream() {
    return stream != null ? stream : new ByteArrayInputStream(body);
  }

  public String remoteAddress() {
    return remoteAddress;
  }

  /** Reads the whole stream (for tests and small bodies). */
  public static byte[] readAll(InputStream in) {
    try {
      return in.readAllBytes();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
