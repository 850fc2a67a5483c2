package dev.osprey.core.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest.BodyPublishers;
import java.net.http.HttpResponse.BodyHandlers;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.zip.GZIPInputStream;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509TrustManager;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The server on a real socket on 127.0.0.1. */
class HttpServerTest {
  private final HttpClient client =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  private static java.net.http.HttpRequest.Builder req(HttpServer s, String path) {
    return java.net.http.HttpRequest.newBuilder(URI.create(s.baseUrl() + path))
        .timeout(Duration.ofSeconds(30));
  }

  @Test
  void compressesLargeResponsesForClientsThatAsk() throws Exception {
    String big = "x".repeat(100_000);
    Router router = new Router().get("/big", r -> HttpResponse.text(200, big));
    try (HttpServer s = new HttpServer(HttpServer.Options.local(0), router, null).start()) {
      var resp =
          client.send(
              req(s, "/big").header("Accept-Encoding", "gzip").build(), BodyHandlers.ofByteArray());
      assertThat(resp.headers().firstValue("content-encoding")).contains("gzip");
      assertThat(resp.body().length).isLessThan(10_000);
      byte[] plain =
          new GZIPInputStream(new java.io.ByteArrayInputStream(resp.body())).readAllBytes();
      assertThat(plain).hasSize(100_000);
      var uncompressed = client.send(req(s, "/big").build(), BodyHandlers.ofString());
      assertThat(uncompressed.body()).isEqualTo(big);
    }
  }

  @Test
  void streamingRouteReadsABodyLargerThanTheLimit() throws Exception {
    Router router =
        new Router()
            .postStreaming(
                "/import",
                r -> {
                  long n = 0;
                  byte[] buf = new byte[8192];
                  int k;
                  try (InputStream in = r.bodyStream()) {
                    while ((k = in.read(buf)) > 0) {
                      n += k;
                    }
                  }
                  return HttpResponse.text(200, Long.toString(n));
                });
    // 40 MiB through a server whose aggregation limit is 1 MiB.
    HttpServer.Options opts = HttpServer.Options.local(0).withLimits(1 << 20, 2, 4);
    try (HttpServer s = new HttpServer(opts, router, null).start()) {
      long size = 40L << 20;
      var resp =
          client.send(
              req(s, "/import")
                  .POST(BodyPublishers.ofInputStream(() -> new ZeroStream(size)))
                  .build(),
              BodyHandlers.ofString());
      assertThat(resp.statusCode()).isEqualTo(200);
      assertThat(resp.body()).isEqualTo(Long.toString(size));
    }
  }

  @Test
  void closeLetsInFlightRequestsFinish() throws Exception {
    CountDownLatch entered = new CountDownLatch(1);
    Router router =
        new Router()
            .get(
                "/slow",
                r -> {
                  entered.countDown();
                  Thread.sleep(500);
                  // Large enough that writing it outlasts close()'s shutdown of the event loops
                  // unless close() waits for the write, not only for the handler.
                  return HttpResponse.text(200, "done" + "x".repeat(32 << 20));
                });
    HttpServer s = new HttpServer(HttpServer.Options.local(0), router, null).start();
    CompletableFuture<java.net.http.HttpResponse<String>> f =
        client.sendAsync(req(s, "/slow").build(), BodyHandlers.ofString());
    assertThat(entered.await(10, TimeUnit.SECONDS)).isTrue();
    s.close();
    var resp = f.get(10, TimeUnit.SECONDS);
    assertThat(resp.statusCode()).isEqualTo(200);
    assertThat(resp.body()).hasSize(4 + (32 << 20)).startsWith("done");
  }

  @Test
  void portInUseIsOneClearMessage() {
    try (HttpServer a = new HttpServer(HttpServer.Options.local(0), new Router(), null).start()) {
      HttpServer b = new HttpServer(HttpServer.Options.local(a.port()), new Router(), null);
      assertThatThrownBy(b::start)
          .isInstanceOf(HttpServer.HttpServerException.class)
          .hasMessage("cannot listen on 127.0.0.1:" + a.port() + ": address already in use");
    }
  }

  @Test
  void servesTlsFromPemFiles(@TempDir Path dir) throws Exception {
    assumeTrue(Files.isExecutable(Path.of("/usr/bin/openssl")), "openssl is not installed");
    Path cert = dir.resolve("cert.pem");
    Path key = dir.resolve("key.pem");
    Process p =
        new ProcessBuilder(
                "/usr/bin/openssl",
                "req",
                "-x509",
                "-newkey",
                "rsa:2048",
                "-nodes",
                "-days",
                "1",
                "-subj",
                "/CN=127.0.0.1",
                "-addext",
                "subjectAltName=IP:127.0.0.1",
                "-keyout",
                key.toString(),
                "-out",
                cert.toString())
            .redirectErrorStream(true)
            .start();
    p.getInputStream().readAllBytes();
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).isZero();
    Router router = new Router().get("/-/healthy", r -> HttpResponse.text(200, "OK\n"));
    HttpServer.Options opts = HttpServer.Options.local(0).withTls(cert.toString(), key.toString());
    try (HttpServer s = new HttpServer(opts, router, null).start()) {
      assertThat(s.baseUrl()).startsWith("https://");
      SSLContext ctx = SSLContext.getInstance("TLS");
      ctx.init(null, new TrustManager[] {new TrustAll()}, null);
      HttpClient tls = HttpClient.newBuilder().sslContext(ctx).build();
      var resp = tls.send(req(s, "/-/healthy").build(), BodyHandlers.ofString());
      assertThat(resp.statusCode()).isEqualTo(200);
      assertThat(resp.body()).isEqualTo("OK\n");
    }
  }

  @Test
  void unreadableTlsFilesAreOneClearMessage(@TempDir Path dir) {
    HttpServer.Options opts =
        HttpServer.Options.local(0)
            .withTls(dir.resolve("missing.pem").toString(), dir.resolve("key.pem").toString());
    assertThatThrownBy(() -> new HttpServer(opts, new Router(), null).start())
        .isInstanceOf(HttpServer.HttpServerException.class)
        .hasMessageStartingWith("cannot load TLS certificate " + dir.resolve("missing.pem"));
  }

  private static final class TrustAll implements X509TrustManager {
    @Override
    public void checkClientTrusted(X509Certificate[] c, String a) {}

    @Override
    public void checkServerTrusted(X509Certificate[] c, String a) {}

    @Override
    public X509Certificate[] getAcceptedIssuers() {
      return new X509Certificate[0];
    }
  }

  /** An input stream of {@code n} zero bytes, produced without holding them in memory. */
  private static final class ZeroStream extends InputStream {
    private long left;

    ZeroStream(long n) {
      left = n;
    }

    @Override
    public int read() {
      if (left <= 0) {
        return -1;
      }
      left--;
      return 0;
    }

    @Override
    public int read(byte[] b, int off, int len) {
      if (left <= 0) {
        return -1;
      }
      int n = (int) Math.min(len, left);
      java.util.Arrays.fill(b, off, off + n, (byte) 0);
      left -= n;
      return n;
    }
  }
}
