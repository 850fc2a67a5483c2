package dev.osprey.pipeline;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;

/**
 * A plain-HTTP/1.1 POST client for one endpoint: one keep-alive connection, one sender thread, one
 * request at a time. It does what a forwarder needs and no more (status and a short body back;
 * Content-Length, chunked or close-delimited responses), at a fraction of the JDK client's cost per
 * request (no selector thread, no hand-off between its worker threads, no per-request publisher and
 * subscriber objects). {@code https} endpoints use the JDK client.
 *
 * <p>The request timeout bounds the connect and each read (not the whole exchange). A request on a
 * reused connection that fails before any response byte is sent once more on a new connection: the
 * server may have closed an idle connection (delivery is at least once anyway).
 */
final class Http1Sender implements AutoCloseable {
  /** A response: the status and up to {@link #MAX_BODY} bytes of its body. */
  record Response(int status, byte[] body) {}

  static final int MAX_BODY = 4096;

  private final URI endpoint;
  private final byte[] head; // request line and fixed headers, up to Content-Length's value
  private final int timeoutMillis;
  private final ExecutorService thread;
  private final byte[] buf = new byte[8192];
  private volatile Socket socket;
  private InputStream in;
  private OutputStream out;
  private volatile boolean closed;

  Http1Sender(URI endpoint, Map<String, String> headers, Duration timeout, String threadName) {
    if (!"http".equalsIgnoreCase(endpoint.getScheme()) || endpoint.getHost() == null) {
      throw new IllegalArgumentException("cannot send to " + endpoint + ": not an http:// URL");
    }
    this.endpoint = endpoint;
    this.timeoutMillis = (int) Math.min(Integer.MAX_VALUE, Math.max(1, timeout.toMillis()));
    String path =
        endpoint.getRawPath() == null || endpoint.getRawPath().isEmpty()
            ? "/"
            : endpoint.getRawPath();
    if (endpoint.getRawQuery() != null) {
      path += "?" + endpoint.getRawQuery();
    }
    StringBuilder h = new StringBuilder(256);
    h.append("POST ").append(path).append(" HTTP/1.1\r\n");
    h.append("Host: ").append(endpoint.getHost());
    if (endpoint.getPort() != -1) {
      h.append(':').append(endpoint.getPort());
    }
    h.append("\r\n");
    for (Map.Entry<String, String> e : headers.entrySet()) {
      check(e.getKey());
      check(e.getValue());
      h.append(e.getKey()).append(": ").append(e.getValue()).append("\r\n");
    }
    h.append("Content-Length: ");
    this.head = h.toString().getBytes(StandardCharsets.ISO_8859_1);
    this.thread =
        Executors.newSingleThreadExecutor(
            r -> {
              Thread t = new Thread(r, threadName);
              t.setDaemon(true);
              return t;
            });
  }

  private static void check(String s) {
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c == '\r' || c == '\n' || c > 0xff) {
        throw new IllegalArgumentException("cannot send header " + s + ": bad character");
      }
    }
  }

  /** POSTs {@code body} on the sender thread; completes with the response or an IOException. */
  CompletableFuture<Response> post(byte[] body) {
    CompletableFuture<Response> f = new CompletableFuture<>();
    try {
      thread.execute(
          () -> {
            try {
              f.complete(exchange(body));
            } catch (IOException | RuntimeException e) {
              f.completeExceptionally(e);
            }
          });
    } catch (RejectedExecutionException e) {
      f.completeExceptionally(new IOException("cannot send: closed", e));
    }
    return f;
  }

  private Response exchange(byte[] body) throws IOException {
    boolean reused = socket != null;
    try {
      return once(body, reused);
    } catch (StaleConnectionException e) {
      disconnect();
      return once(body, false);
    } catch (IOException | RuntimeException e) {
      disconnect();
      throw e;
    }
  }

  /** Thrown when a reused connection failed before the response began. */
  private static final class StaleConnectionException extends IOException {
    StaleConnectionException(IOException cause) {
      super(cause);
    }
  }

  private Response once(byte[] body, boolean reused) throws IOException {
    if (closed) {
      throw new IOException("cannot send to " + endpoint + ": closed");
    }
    if (socket == null) {
      connect();
    }
    int c;
    try {
      byte[] len = (body.length + "\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1);
      out.write(head);
      out.write(len);
      out.write(body);
      out.flush();
      c = in.read();
    } catch (IOException e) {
      // A server may answer (413, say) and close before reading the whole body: read that answer.
      Response early = earlyResponse();
      if (early != null) {
        disconnect();
        return early;
      }
      if (reused && !(e instanceof java.net.SocketTimeoutException)) {
        throw new StaleConnectionException(e); // a timeout is the server's, not the connection's
      }
      throw e;
    }
    if (c < 0) {
      IOException e = new IOException("cannot read response from " + endpoint + ": closed");
      if (reused) {
        throw new StaleConnectionException(e);
      }
      throw e;
    }
    return response(c);
  }

  /** The response already received on a connection whose request could not be sent, or null. */
  private Response earlyResponse() {
    try {
      int c = in.read();
      return c < 0 ? null : response(c);
    } catch (IOException e) {
      return null;
    }
  }

  private void connect() throws IOException {
    int port = endpoint.getPort() != -1 ? endpoint.getPort() : 80;
    Socket s = new Socket();
    try {
      s.setTcpNoDelay(true);
      s.setKeepAlive(true);
      s.connect(new InetSocketAddress(endpoint.getHost(), port), timeoutMillis);
      s.setSoTimeout(timeoutMillis);
      in = new BufferedInputStream(s.getInputStream(), 8192);
      out = s.getOutputStream();
      socket = s;
    } catch (IOException | RuntimeException e) {
      s.close();
      throw e;
    }
  }

  private void disconnect() {
    Socket s = socket;
    socket = null;
    in = null;
    out = null;
    if (s != null) {
      try {
        s.close();
      } catch (IOException ignored) {
        // nothing left to release
      }
    }
  }

  /** Reads a response whose first byte is {@code first}; 1xx responses are skipped. */
  private Response response(int first) throws IOException {
    while (true) {
      String status = line(first);
      first = -2;
      if (!status.startsWith("HTTP/1.") || status.length() < 12) {
        throw new IOException("cannot read response from " + endpoint + ": " + status);
      }
      int code;
      try {
        code = Integer.parseInt(status.substring(9, 12));
      } catch (NumberFormatException e) {
        throw new IOException("cannot read response from " + endpoint + ": " + status, e);
      }
      boolean http10 = status.startsWith("HTTP/1.0");
      long length = -1;
      boolean chunked = false;
      boolean close = http10;
      for (String h = line(-2); !h.isEmpty(); h = line(-2)) {
        int colon = h.indexOf(':');
        if (colon <= 0) {
          continue;
        }
        String name = h.substring(0, colon).trim().toLowerCase(Locale.ROOT);
        String value = h.substring(colon + 1).trim();
        switch (name) {
          case "content-length" -> {
            try {
              length = Long.parseLong(value);
            } catch (NumberFormatException e) {
              throw new IOException("cannot read response from " + endpoint + ": " + h, e);
            }
          }
          case "transfer-encoding" -> chunked = value.toLowerCase(Locale.ROOT).contains("chunked");
          case "connection" -> {
            String v = value.toLowerCase(Locale.ROOT);
            close = v.contains("close") || (http10 && !v.contains("keep-alive"));
          }
          default -> {}
        }
      }
      if (code >= 100 && code < 200) {
        continue; // interim response; the final one follows
      }
      byte[] body;
      if (code == 204 || code == 304) {
        body = new byte[0];
      } else if (chunked) {
        body = chunked();
      } else if (length >= 0) {
        body = fixed(length);
      } else {
        body = untilClose();
        close = true;
      }
      if (close) {
        disconnect();
      }
      return new Response(code, body);
    }
  }

  private byte[] chunked() throws IOException {
    java.io.ByteArrayOutputStream kept = new java.io.ByteArrayOutputStream();
    while (true) {
      String size = line(-2);
      int semi = size.indexOf(';');
      long n;
      try {
        n = Long.parseLong((semi >= 0 ? size.substring(0, semi) : size).trim(), 16);
      } catch (NumberFormatException e) {
        throw new IOException("cannot read response from " + endpoint + ": chunk " + size, e);
      }
      if (n == 0) {
        while (!line(-2).isEmpty()) {
          // trailers
        }
        return kept.toByteArray();
      }
      byte[] part = fixed(n);
      kept.write(part, 0, Math.min(part.length, MAX_BODY - kept.size()));
      line(-2); // CRLF after the chunk
    }
  }

  /** Reads {@code n} bytes, keeping the first {@link #MAX_BODY}. */
  private byte[] fixed(long n) throws IOException {
    byte[] kept = new byte[(int) Math.min(n, MAX_BODY)];
    long left = n;
    int k = 0;
    while (left > 0) {
      int r = in.read(buf, 0, (int) Math.min(buf.length, left));
      if (r < 0) {
        throw new IOException("cannot read response from " + endpoint + ": body cut short");
      }
      int keep = Math.min(r, kept.length - k);
      System.arraycopy(buf, 0, kept, k, keep);
      k += keep;
      left -= r;
    }
    return kept;
  }

  private byte[] untilClose() throws IOException {
    java.io.ByteArrayOutputStream kept = new java.io.ByteArrayOutputStream();
    int r;
    while ((r = in.read(buf)) >= 0) {
      kept.write(buf, 0, Math.min(r, Math.max(0, MAX_BODY - kept.size())));
    }
    return kept.toByteArray();
  }

  /** One header line without its CRLF; {@code first} is its first byte, or -2 to read it. */
  private String line(int first) throws IOException {
    StringBuilder sb = new StringBuilder(64);
    int c = first == -2 ? in.read() : first;
    while (c >= 0 && c != '\n') {
      if (c != '\r') {
        if (sb.length() >= 16 << 10) {
          throw new IOException("cannot read response from " + endpoint + ": header too long");
        }
        sb.append((char) c);
      }
      c = in.read();
    }
    if (c < 0) {
      throw new IOException("cannot read response from " + endpoint + ": closed mid-header");
    }
    return sb.toString();
  }

  @Override
  public void close() {
    closed = true;
    thread.shutdownNow();
    Socket s = socket; // unblocks a read in progress; the sender thread then ends
    if (s != null) {
      try {
        s.close();
      } catch (IOException ignored) {
        // nothing left to release
      }
    }
  }
}
