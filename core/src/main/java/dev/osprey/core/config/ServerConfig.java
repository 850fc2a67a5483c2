package dev.osprey.core.config;

import dev.osprey.core.util.ByteSize;

/**
 * The HTTP server and where data lives.
 *
 * @param listen address and port, {@code host:port}
 * @param dataDir directory for the tsdb, log index and alert state
 * @param maxRequestBody largest accepted request body after decompression (413 above)
 * @param workerThreads threads that run handlers (off the event loop)
 * @param maxQueuedRequests requests waiting for a worker before the server answers 503
 * @param accessLog whether to log one line per request
 * @param tls TLS from PEM files; off when null
 * @param auth bearer-token or basic authentication; off when null
 */
public record ServerConfig(
    String listen,
    String dataDir,
    ByteSize maxRequestBody,
    Integer workerThreads,
    Integer maxQueuedRequests,
    Boolean accessLog,
    TlsConfig tls,
    AuthConfig auth) {
  public ServerConfig {
    listen = listen != null ? listen : "0.0.0.0:9400";
    dataDir = dataDir != null ? dataDir : "./data";
    maxRequestBody = maxRequestBody != null ? maxRequestBody : new ByteSize(64L << 20);
    workerThreads =
        workerThreads != null
            ? workerThreads
            : Math.max(4, Runtime.getRuntime().availableProcessors() * 2);
    maxQueuedRequests = maxQueuedRequests != null ? maxQueuedRequests : 256;
    accessLog = accessLog != null ? accessLog : Boolean.FALSE;
  }

  public static final ServerConfig DEFAULTS =
      new ServerConfig(null, null, null, null, null, null, null, null);

  /**
   * TLS from PEM files.
   *
   * @param certFile certificate chain, PEM
   * @param keyFile private key, PKCS#8 PEM
   */
  public record TlsConfig(String certFile, String keyFile) {}

  /**
   * Authentication for every endpoint except the health checks.
   *
   * @param bearerToken a token clients send as {@code Authorization: Bearer <token>}
   * @param username basic-auth user
   * @param password basic-auth password
   */
  public record AuthConfig(@Secret String bearerToken, String username, @Secret String password) {
    @Override
    public String toString() {
      return "AuthConfig[bearerToken="
          + Secret.Masking.mask(bearerToken)
          + ", username="
          + username
          + ", password="
          + Secret.Masking.mask(password)
          + "]";
    }
  }
}
