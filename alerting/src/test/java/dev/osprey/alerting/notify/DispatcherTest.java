package dev.osprey.alerting.notify;

import static org.assertj.core.api.Assertions.assertThat;

import dev.osprey.alerting.MutableClock;
import dev.osprey.alerting.Sink;
import dev.osprey.core.labels.Labels;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class DispatcherTest {
  final MutableClock clock = new MutableClock(Instant.parse("2026-11-23T07:00:00Z")); // Monday

  Dispatcher dispatcher(String yaml) throws Exception {
    return new Dispatcher(
        AmConfig.parse(yaml, null),
        Renderer.empty(),
        clock,
        new Silences(clock, null),
        new NotificationLog(null),
        null,
        "http://am",
        d -> {},
        new SimpleMeterRegistry());
  }

  Alert alert(String name, Instant start) {
    return new Alert(
        Labels.of("alertname", name, "team", "db"),
        Map.of(),
        start,
        start.plus(Duration.ofHours(3)),
        "",
        clock.instant(),
        false);
  }

  @Test
  void muteAndActiveTimeIntervalsHoldNotificationsBack() throws Exception {
    try (Sink sink = new Sink()) {
      Dispatcher d =
          dispatcher(
              """
              route:
                receiver: hook
                group_wait: 0s
                group_interval: 1m
                routes:
                  - receiver: hook
                    mute_time_intervals: [night]
              time_intervals:
                - name: night
                  time_intervals:
                    - times: [{start_time: '00:00', end_time: '08:00'}]
              receivers:
                - name: hook
                  webhook_configs: [{url: '%s'}]
              """
                  .formatted(sink.url("/hook")));
      d.put(List.of(alert("A", clock.instant())));
      assertThat(d.tick()).isZero(); // 07:00 is muted
      clock.advance(Duration.ofMinutes(61)); // 08:01
      assertThat(d.tick()).isEqualTo(1);
      assertThat(sink.at("/hook")).hasSize(1);
    }
  }

  @Test
  void groupingWaitAndIntervalAsAlertmanager() throws Exception {
    try (Sink sink = new Sink()) {
      Dispatcher d =
          dispatcher(
              """
              route:
                receiver: hook
                group_by: [team]
                group_wait: 30s
                group_interval: 5m
                repeat_interval: 1h
              receivers:
                - name: hook
                  webhook_configs: [{url: '%s', max_alerts: 1}]
              """
                  .formatted(sink.url("/hook")));
      d.put(List.of(alert("A", clock.instant())));
      clock.advance(Duration.ofSeconds(10));
      d.put(List.of(alert("B", clock.instant())));
      assertThat(d.groupCount()).isEqualTo(1);
      clock.advance(Duration.ofSeconds(19));
      assertThat(d.tick()).isZero();
      clock.advance(Duration.ofSeconds(1));
      assertThat(d.tick()).isEqualTo(1); // one notification for both alerts
      var body = sink.at("/hook").get(0).body();
      assertThat(body.get("alerts").size()).isEqualTo(1);
      assertThat(body.get("truncatedAlerts").asInt()).isEqualTo(1);
      assertThat(body.get("groupKey").asText()).isEqualTo("{}:{team=\"db\"}");
      // a new alert waits for the group interval, not group_wait
      d.put(List.of(alert("C", clock.instant())));
      clock.advance(Duration.ofMinutes(4));
      assertThat(d.tick()).isZero();
      clock.advance(Duration.ofMinutes(1));
      assertThat(d.tick()).isEqualTo(1);
      // nothing changed: silent until repeat_interval
      clock.advance(Duration.ofMinutes(5));
      assertThat(d.tick()).isZero();
      for (int i = 0; i < 12; i++) {
        clock.advance(Duration.ofMinutes(5));
        d.tick();
      }
      assertThat(sink.at("/hook")).hasSize(3);
    }
  }

  @Test
  void alertsFromTheApiMergeAsAlertmanager() throws Exception {
    Dispatcher d = dispatcher("route: {receiver: a}\nreceivers: [{name: a}]\n");
    Instant t0 = clock.instant();
    d.put(List.of(alert("A", t0)));
    clock.advance(Duration.ofMinutes(1));
    Alert later =
        new Alert(
            Labels.of("alertname", "A", "team", "db"),
            Map.of("x", "y"),
            t0.plusSeconds(30),
            t0.plus(Duration.ofHours(4)),
            "",
            clock.instant(),
            false);
    d.put(List.of(later));
    Alert merged = d.alerts().get(0);
    assertThat(merged.startsAt()).isEqualTo(t0); // earliest start kept
    assertThat(merged.endsAt()).isEqualTo(t0.plus(Duration.ofHours(4)));
    assertThat(merged.annotations()).containsEntry("x", "y");
  }
}
