package dev.osprey.core.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.reflect.ParameterizedType;
import java.lang.reflect.RecordComponent;
import java.lang.reflect.Type;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** Secrets in osprey.yaml never appear in the printed effective config, as in Prometheus. */
class ConfigSecretsTest {
  private static final String YAML =
      """
      server:
        auth:
          bearer_token: tok-SECRET-1
          username: admin
          password: pw-SECRET-2
      alerting:
        alertmanagers:
          - static_configs: [{targets: ['127.0.0.1:9093']}]
            basic_auth: {username: am, password: pw-SECRET-3}
          - static_configs: [{targets: ['127.0.0.1:9094']}]
            authorization: {credentials: cred-SECRET-4}
      """;

  @Test
  void effectiveConfigPrintsEverySecretAsSecret() {
    OspreyConfig c = ConfigLoader.parse("osprey.yaml", YAML);
    // the values are read as written
    assertThat(c.server().auth().password()).isEqualTo("pw-SECRET-2");
    assertThat(c.alerting().alertmanagers().get(0).basicAuth().password()).isEqualTo("pw-SECRET-3");
    String out = ConfigLoader.toYaml(c);
    assertThat(out).doesNotContain("SECRET");
    assertThat(out)
        .contains("bearer_token: <secret>")
        .contains("password: <secret>")
        .contains("credentials: <secret>")
        .contains("username: admin")
        .contains("username: am");
    assertThat(out.split("<secret>", -1)).hasSize(5);
    assertThat(c.toString()).doesNotContain("SECRET").contains("<secret>");
  }

  @Test
  void emptyAndAbsentSecretsStayEmpty() {
    OspreyConfig c =
        ConfigLoader.parse("osprey.yaml", "server:\n  auth:\n    username: u\n    password: ''\n");
    String out = ConfigLoader.toYaml(c);
    assertThat(out).doesNotContain("<secret>").contains("bearer_token: null");
  }

  private static final Pattern SECRET_NAME =
      Pattern.compile("(?i).*(password|token|secret|credentials|apikey|api_key)");

  /** A new password, token or credentials field without {@code @Secret} fails here. */
  @Test
  void everySecretLookingComponentIsMarked() {
    List<String> unmarked = new ArrayList<>();
    List<String> marked = new ArrayList<>();
    Set<Class<?>> seen = new HashSet<>();
    Deque<Class<?>> todo = new ArrayDeque<>(List.of(OspreyConfig.class));
    while (!todo.isEmpty()) {
      Class<?> r = todo.pop();
      if (!seen.add(r)) {
        continue;
      }
      for (RecordComponent rc : r.getRecordComponents()) {
        if (SECRET_NAME.matcher(rc.getName()).matches()) {
          (rc.isAnnotationPresent(Secret.class) ? marked : unmarked)
              .add(r.getSimpleName() + "." + rc.getName());
        }
        collectRecords(rc.getGenericType(), todo);
      }
    }
    assertThat(unmarked).isEmpty();
    assertThat(marked)
        .contains(
            "AuthConfig.bearerToken",
            "AuthConfig.password",
            "BasicAuth.password",
            "Authorization.credentials");
  }

  private static void collectRecords(Type t, Deque<Class<?>> todo) {
    if (t instanceof Class<?> c && c.isRecord()) {
      todo.push(c);
    } else if (t instanceof ParameterizedType p) {
      for (Type a : p.getActualTypeArguments()) {
        collectRecords(a, todo);
      }
    }
  }
}
