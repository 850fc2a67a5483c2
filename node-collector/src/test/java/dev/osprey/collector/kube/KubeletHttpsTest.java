package dev.osprey.collector.kube;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The kubelet's authenticated port: a JDK HTTPS server on 127.0.0.1 with a certificate made by
 * keytool, checking the bearer token.
 */
class KubeletHttpsTest {
  static void run(String... cmd) throws Exception {
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    byte[] out = p.getInputStream().readAllBytes();
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).as(new String(out)).isZero();
  }

  @Test
  void tokenAndCaOrInsecure(@TempDir Path tmp) throws Exception {
    Path keytool = Path.of(System.getProperty("java.home"), "bin", "keytool");
    assumeTrue(Files.isExecutable(keytool), "needs the JDK's keytool");
    Path ks = tmp.resolve("kubelet.p12");
    run(
        keytool.toString(),
        "-genkeypair",
        "-alias",
        "kubelet",
        "-keyalg",
        "EC",
        "-keystore",
        ks.toString(),
        "-storetype",
        "PKCS12",
        "-storepass",
        "changeit",
        "-dname",
        "CN=node-1",
        "-ext",
        "san=ip:127.0.0.1",
        "-validity",
        "2");
    Path ca = tmp.resolve("ca.crt");
    run(
        keytool.toString(),
        "-exportcert",
        "-rfc",
        "-alias",
        "kubelet",
        "-keystore",
        ks.toString(),
        "-storepass",
        "changeit",
        "-file",
        ca.toString());

    KeyStore store = KeyStore.getInstance("PKCS12");
    try (InputStream in = Files.newInputStream(ks)) {
      store.load(in, "changeit".toCharArray());
    }
    KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
    kmf.init(store, "changeit".toCharArray());
    SSLContext serverCtx = SSLContext.getInstance("TLS");
    serverCtx.init(kmf.getKeyManagers(), null, null);
    HttpsServer server =
        HttpsServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.setHttpsConfigurator(new HttpsConfigurator(serverCtx));
    AtomicReference<String> auth = new AtomicReference<>();
    byte[] body =
        Files.readAllBytes(Path.of(getClass().getResource("/fixtures/pods.json").toURI()));
    server.createContext(
        "/pods",
        ex -> {
          auth.set(ex.getRequestHeaders().getFirst("Authorization"));
          boolean ok = "Bearer s3cret".equals(auth.get());
          ex.sendResponseHeaders(ok ? 200 : 401, ok ? body.length : -1);
          try (OutputStream os = ex.getResponseBody()) {
            if (ok) {
              os.write(body);
            }
          }
        });
    server.start();
    try {
      String url = "https://127.0.0.1:" + server.getAddress().getPort() + "/pods";
      Path token = tmp.resolve("token");
      Files.writeString(token, "s3cret\n");

      KubeletPodList withCa =
          new KubeletPodList(new KubeletConfig(url, token, ca, false), Duration.ZERO);
      withCa.refresh();
      assertThat(withCa.pods()).hasSize(2);
      assertThat(auth.get()).isEqualTo("Bearer s3cret");

      KubeletPodList insecure =
          new KubeletPodList(new KubeletConfig(url, token, null, true), Duration.ZERO);
      insecure.refresh();
      assertThat(insecure.pods()).hasSize(2);

      // the JDK trust store does not know this certificate
      KubeletPodList untrusted =
          new KubeletPodList(new KubeletConfig(url, token, null, false), Duration.ZERO);
      assertThatThrownBy(untrusted::refresh).hasMessageContaining("cannot read kubelet pod list");

      // a wrong token: the kubelet's 401 is reported, the last good view kept
      Files.writeString(token, "wrong");
      assertThatThrownBy(withCa::refresh).hasMessageContaining("HTTP status 401");
      assertThat(withCa.pods()).hasSize(2);
    } finally {
      server.stop(0);
    }
  }
}
