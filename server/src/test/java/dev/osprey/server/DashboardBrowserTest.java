package dev.osprey.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.osprey.core.config.OspreyConfig;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The dashboard in a real headless Chromium against a real server on 127.0.0.1. */
class DashboardBrowserTest {
  private static final Path CHROMIUM = Path.of("/usr/bin/chromium");
  private final HttpClient client = HttpClient.newHttpClient();

  /** Loads {@code url} in headless Chromium, lets its scripts run, and returns the final DOM. */
  static String renderedDom(String url, Path profile) throws Exception {
    List<String> cmd =
        new ArrayList<>(
            List.of(
                CHROMIUM.toString(),
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--user-data-dir=" + profile,
                "--virtual-time-budget=15000",
                "--dump-dom",
                url));
    Process p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.DISCARD).start();
    byte[] out = p.getInputStream().readAllBytes();
    assertThat(p.waitFor(90, TimeUnit.SECONDS)).as("chromium finished").isTrue();
    return new String(out, java.nio.charset.StandardCharsets.UTF_8);
  }

  @Test
  void logsTabShowsPushedLinesAndStatusTabShowsTheServer(@TempDir Path dir) throws Exception {
    assumeTrue(Files.isExecutable(CHROMIUM), "chromium is not installed");
    try (OspreyServer s =
        new OspreyServer(OspreyServerTest.config(dir.resolve("data")), SelfMetrics.create())
            .start()) {
      long nowNs = System.currentTimeMillis() * 1_000_000L;
      String push =
          "{\"streams\":[{\"stream\":{\"namespace\":\"shop\",\"pod\":\"web-1\"},\"values\":[[\""
              + nowNs
              + "\",\"GET /checkout 200 needle-7f3a\"],[\""
              + (nowNs + 1)
              + "\",\"GET /cart 404 other\"]]}]}";
      HttpResponse<String> r =
          client.send(
              HttpRequest.newBuilder(URI.create(s.baseUrl() + "/loki/api/v1/push"))
                  .header("Content-Type", "application/json")
                  .POST(HttpRequest.BodyPublishers.ofString(push))
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      assertThat(r.statusCode()).isEqualTo(204);
      // Lines are searchable within 1 s of the push (near-real-time refresh); wait for that.
      long deadline = System.nanoTime() + 5_000_000_000L;
      while (System.nanoTime() < deadline) {
        String q =
            client
                .send(
                    HttpRequest.newBuilder(
                            URI.create(
                                s.baseUrl()
                                    + "/loki/api/v1/query_range?limit=10&query="
                                    + java.net.URLEncoder.encode(
                                        "{namespace=\"shop\"}",
                                        java.nio.charset.StandardCharsets.UTF_8)))
                        .build(),
                    HttpResponse.BodyHandlers.ofString())
                .body();
        if (q.contains("needle-7f3a")) {
          break;
        }
        Thread.sleep(100);
      }

      String dom = renderedDom(s.baseUrl() + "/#logs", dir.resolve("profile1"));
      assertThat(dom).contains("needle-7f3a").contains("GET /cart 404 other").contains("2 lines");
      assertThat(dom).contains("shop/web-1");

      String status = renderedDom(s.baseUrl() + "/#status", dir.resolve("profile2"));
      assertThat(status).contains("ready").contains(BuildInfo.version());
    }
  }

  @Test
  void logsTabSendsTheTenantFromItsUrlWhenAuthIsEnabled(@TempDir Path dir) throws Exception {
    assumeTrue(Files.isExecutable(CHROMIUM), "chromium is not installed");
    OspreyConfig plain = OspreyServerTest.config(dir.resolve("data"));
    OspreyConfig c = plain.withLogs(plain.logs().withAuthEnabled(true));
    try (OspreyServer s = new OspreyServer(c, SelfMetrics.create()).start()) {
      long nowNs = System.currentTimeMillis() * 1_000_000L;
      for (String tenant : new String[] {"team-a", "team-b"}) {
        String push =
            "{\"streams\":[{\"stream\":{\"namespace\":\"shop\",\"pod\":\"web-1\"},"
                + "\"values\":[[\""
                + nowNs
                + "\",\"line of "
                + tenant
                + "\"]]}]}";
        HttpResponse<String> r =
            client.send(
                HttpRequest.newBuilder(URI.create(s.baseUrl() + "/loki/api/v1/push"))
                    .header("Content-Type", "application/json")
                    .header("X-Scope-OrgID", tenant)
                    .POST(HttpRequest.BodyPublishers.ofString(push))
                    .build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as(r.body()).isEqualTo(204);
      }
      Thread.sleep(1500); // searchable within 1 s of the push
      String dom = renderedDom(s.baseUrl() + "/?tenant=team-a#logs", dir.resolve("profile1"));
      assertThat(dom).contains("line of team-a").doesNotContain("line of team-b");
      String none = renderedDom(s.baseUrl() + "/#logs", dir.resolve("profile2"));
      assertThat(none).contains("no org id").doesNotContain("line of team-");
    }
  }

  @Test
  void staticAssetsRefuseTraversal(@TempDir Path dir) throws Exception {
    try (OspreyServer s =
        new OspreyServer(OspreyServerTest.config(dir.resolve("data")), SelfMetrics.create())
            .start()) {
      for (String bad :
          List.of(
              "/static/../../osprey-build.properties", "/static/%2e%2e/x.js", "/static/nope.js")) {
        HttpResponse<String> r =
            client.send(
                HttpRequest.newBuilder(URI.create(s.baseUrl() + bad)).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as(bad).isEqualTo(404);
      }
      HttpResponse<String> js =
          client.send(
              HttpRequest.newBuilder(URI.create(s.baseUrl() + "/static/app.js")).build(),
              HttpResponse.BodyHandlers.ofString());
      assertThat(js.statusCode()).isEqualTo(200);
      assertThat(js.headers().firstValue("content-type"))
          .contains("text/javascript; charset=utf-8");
    }
  }
}
