package dev.osprey.core.http;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Base64;

/**
 * Optional authentication of requests: a bearer token, basic credentials, or none. Health checks
 * ({@code /-/healthy}, {@code /-/ready}) are always open so that probes work.
 */
public record Auth(String bearerToken, String username, String password) {
  public static final Auth NONE = new Auth(null, null, null);

  public boolean enabled() {
    return bearerToken != null || username != null;
  }

  /** Whether the {@code Authorization} header value grants access. */
  public boolean allows(String authorization) {
    if (!enabled()) {
      return true;
    }
    if (authorization == null) {
      return false;
    }
    if (bearerToken != null && authorization.startsWith("Bearer ")) {
      return constantTimeEquals(authorization.substring(7).trim(), bearerToken);
    }
    if (username != null && authorization.startsWith("Basic ")) {
      String expected = username + ":" + (password == null ? "" : password);
      try {
        String got =
            new String(
                Base64.getDecoder().decode(authorization.substring(6).trim()),
                StandardCharsets.UTF_8);
        return constantTimeEquals(got, expected);
      } catch (IllegalArgumentException e) {
        return false;
      }
    }
    return false;
  }

  /** The WWW-Authenticate challenge to send with a 401. */
  public String challenge() {
    return username != null ? "Basic realm=\"osprey\"" : "Bearer realm=\"osprey\"";
  }

  private static boolean constantTimeEquals(String a, String b) {
    return MessageDigest.isEqual(
        a.getBytes(StandardCharsets.UTF_8), b.getBytes(StandardCharsets.UTF_8));
  }

  public static boolean isOpenPath(String path) {
    return path.equals("/-/healthy") || path.equals("/-/ready");
  }
}
