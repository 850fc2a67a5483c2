package dev.osprey.alerting.notify;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.osprey.core.labels.Labels;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class AmConfigTest {
  static String error(String yaml) {
    try {
      AmConfig.parse(yaml, null);
      return null;
    } catch (AmConfig.ConfigException e) {
      return e.getMessage();
    }
  }

  @Test
  void defaultsAndInheritance() throws Exception {
    AmConfig c =
        AmConfig.parse(
            """
            route:
              receiver: a
              group_by: ['...']
              routes:
                - matchers: ['team=~"db|web"']
                  receiver: b
                  group_interval: 1m
                  routes:
                    - match_re: {severity: crit.*}
            receivers: [{name: a}, {name: b}]
            """,
            null);
    assertThat(c.global().resolveTimeout()).isEqualTo(Duration.ofMinutes(5));
    AmConfig.Route child = c.route().routes().get(0);
    AmConfig.Route grand = child.routes().get(0);
    assertThat(c.route().groupWait()).isEqualTo(Duration.ofSeconds(30));
    assertThat(c.route().repeatInterval()).isEqualTo(Duration.ofHours(4));
    assertThat(grand.receiver()).isEqualTo("b");
    assertThat(grand.groupInterval()).isEqualTo(Duration.ofMinutes(1));
    assertThat(grand.groupByAll()).isTrue();
    assertThat(grand.key()).isEqualTo("{}/{team=~\"db|web\"}/{severity=~\"crit.*\"}");
    assertThat(Dispatcher.match(c.route(), Labels.of("team", "db", "severity", "critical")))
        .containsExactly(grand);
    assertThat(Dispatcher.match(c.route(), Labels.of("team", "x"))).containsExactly(c.route());
  }

  @Test
  void rejectsByName() {
    assertThat(
            error("route: {receiver: a}\nreceivers:\n  - name: a\n    email_configs: [{to: x}]\n"))
        .isEqualTo(
            "cannot load alertmanager config: line 4: email_configs is not supported by Osprey (in"
                + " config.Receiver)");
    assertThat(error("global: {smtp_from: x}\nroute: {receiver: a}\nreceivers: [{name: a}]\n"))
        .contains("line 1: smtp_from is not supported by Osprey");
    assertThat(error("route: {receiver: a, foo: 1}\nreceivers: [{name: a}]\n"))
        .isEqualTo(
            "cannot load alertmanager config: line 1: field foo not found in type config.Route");
    assertThat(error("route: {receiver: nope}\nreceivers: [{name: a}]\n"))
        .contains("undefined receiver \"nope\" used in route");
    assertThat(error("route: {receiver: a, group_by: ['...', x]}\nreceivers: [{name: a}]\n"))
        .contains("cannot have wildcard group_by");
    assertThat(error("route: {receiver: a}\nreceivers: [{name: a}, {name: a}]\n"))
        .contains("notification config name \"a\" is not unique");
    assertThat(
            error(
                "route: {receiver: a}\n"
                    + "receivers:\n"
                    + "  - name: a\n"
                    + "    webhook_configs: [{url: 'http://x', http_config: {proxy_url:"
                    + " 'http://p'}}]\n"))
        .contains("line 4: proxy_url is not supported by Osprey");
  }

  @Test
  void timeIntervals() throws Exception {
    AmConfig c =
        AmConfig.parse(
            """
            route:
              receiver: a
              routes:
                - receiver: a
                  mute_time_intervals: [offhours]
            time_intervals:
              - name: offhours
                time_intervals:
                  - weekdays: [saturday, sunday]
                  - times: [{start_time: '00:00', end_time: '08:00'}]
                    location: Europe/Berlin
            receivers: [{name: a}]
            """,
            null);
    var ti = c.timeIntervals().get("offhours");
    assertThat(ti.get(0).contains(Instant.parse("2026-11-21T12:00:00Z"))).isTrue(); // a Saturday
    assertThat(ti.get(0).contains(Instant.parse("2026-11-23T12:00:00Z"))).isFalse(); // a Monday
    assertThat(ti.get(1).contains(Instant.parse("2026-11-23T06:00:00Z"))).isTrue(); // 07:00 Berlin
    assertThat(ti.get(1).contains(Instant.parse("2026-11-23T07:30:00Z"))).isFalse();
    assertThatThrownBy(
            () ->
                AmConfig.parse(
                    "route: {receiver: a, routes: [{mute_time_intervals: [x]}]}\n"
                        + "receivers: [{name: a}]\n",
                    null))
        .hasMessageContaining("undefined time interval \"x\" used in route");
  }

  @Test
  void dedupDecision() {
    var e = new NotificationLog.Entry("k", 0, java.util.Set.of(1L), java.util.Set.of());
    Instant now = Instant.ofEpochMilli(1000);
    Duration rep = Duration.ofHours(4);
    assertThat(
            Dispatcher.needsUpdate(null, java.util.Set.of(), java.util.Set.of(1L), true, rep, now))
        .isFalse();
    assertThat(
            Dispatcher.needsUpdate(null, java.util.Set.of(1L), java.util.Set.of(), true, rep, now))
        .isTrue();
    assertThat(Dispatcher.needsUpdate(e, java.util.Set.of(1L), java.util.Set.of(), true, rep, now))
        .isFalse();
    assertThat(
            Dispatcher.needsUpdate(e, java.util.Set.of(1L, 2L), java.util.Set.of(), true, rep, now))
        .isTrue();
    assertThat(Dispatcher.needsUpdate(e, java.util.Set.of(), java.util.Set.of(1L), false, rep, now))
        .isTrue();
    assertThat(
            Dispatcher.needsUpdate(
                e,
                java.util.Set.of(1L),
                java.util.Set.of(),
                true,
                rep,
                Instant.ofEpochMilli(0).plus(rep).plusMillis(1)))
        .isTrue();
  }
}
