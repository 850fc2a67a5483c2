package dev.osprey.logs.index;

import dev.osprey.core.http.ApiException;
import dev.osprey.core.http.HttpRequest;
import dev.osprey.core.labels.LabelMatcher;
import dev.osprey.core.labels.Labels;
import java.util.List;

/**
 * Loki's tenants in one index. With {@code logs.auth_enabled} every push and query names its tenant
 * in {@code X-Scope-OrgID}, as Loki with {@code auth_enabled: true} asks; without it every request
 * is tenant {@code fake}, as Loki with authentication disabled.
 *
 * <p>A stream of a tenant other than {@code fake} carries the hidden label {@value #LABEL} in the
 * index (and the WAL), so the tenant is part of the stream's identity, its stream id and its dedup
 * key, and a selector reaches only its own tenant's streams through the matcher {@link #matcher}.
 * Streams of {@code fake} carry no such label: an index written before tenants existed, or by a
 * server without authentication, is tenant {@code fake}'s and costs nothing more on disk. The label
 * never leaves the store: {@link #strip} removes it from every label set handed out.
 */
public final class Tenants {
  /** The hidden stream label naming a stream's tenant (absent for {@link #DEFAULT}). */
  public static final String LABEL = "__tenant__";

  /** Loki's tenant when authentication is disabled. */
  public static final String DEFAULT = "fake";

  static final int MAX_LENGTH = 150;

  private static final List<String> LABEL_ONLY = List.of(LABEL);

  private Tenants() {}

  /**
   * The tenant of a request: {@code X-Scope-OrgID} when {@code authEnabled} (required then, as Loki
   * answers 401 without it), else {@link #DEFAULT}.
   *
   * @throws ApiException 401 when the header is missing, 400 when it is not a valid tenant id
   */
  public static String of(HttpRequest req, boolean authEnabled) {
    if (!authEnabled) {
      return DEFAULT;
    }
    String id = req.header("x-scope-orgid");
    if (id == null || id.isEmpty()) {
      throw new ApiException(401, "unauthorized", "no org id");
    }
    String bad = invalid(id);
    if (bad != null) {
      throw ApiException.badData(bad);
    }
    return id;
  }

  /** Why {@code id} is not a valid tenant id (Loki's rules), or null when it is one. */
  static String invalid(String id) {
    if (id.length() > MAX_LENGTH) {
      return "tenant ID is too long: max " + MAX_LENGTH + " characters";
    }
    if (id.equals(".") || id.equals("..")) {
      return "tenant ID is '.' or '..'";
    }
    for (int i = 0; i < id.length(); i++) {
      char c = id.charAt(i);
      boolean ok =
          (c >= 'a' && c <= 'z')
              || (c >= 'A' && c <= 'Z')
              || (c >= '0' && c <= '9')
              || "!-_.*'()".indexOf(c) >= 0;
      if (!ok) {
        return c == '|'
            ? "tenant ID '" + id + "': queries across several tenants are not supported"
            : "tenant ID '" + id + "' contains unsupported character '" + c + "'";
      }
    }
    return null;
  }

  /** A pushed stream's labels as stored for {@code tenant}. */
  public static Labels tag(Labels stream, String tenant) {
    return DEFAULT.equals(tenant) ? stream : stream.toBuilder().set(LABEL, tenant).build();
  }

  /** The labels without the hidden tenant label (the same instance when there is none). */
  public static Labels strip(Labels l) {
    return l.has(LABEL) ? l.drop(LABEL_ONLY) : l;
  }

  /** The matcher that selects exactly the streams of {@code tenant}. */
  public static LabelMatcher matcher(String tenant) {
    return LabelMatcher.equal(LABEL, DEFAULT.equals(tenant) ? "" : tenant);
  }

  /** Whether {@code m} is {@link #matcher} of the default tenant. */
  static boolean isDefaultMatcher(LabelMatcher m) {
    return m.name().equals(LABEL) && m.type() == LabelMatcher.Type.EQUAL && m.value().isEmpty();
  }
}
