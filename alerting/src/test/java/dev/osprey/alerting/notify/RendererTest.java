package dev.osprey.alerting.notify;

import static org.assertj.core.api.Assertions.assertThat;

import dev.osprey.core.labels.Labels;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RendererTest {
  @TempDir Path dir;

  @Test
  void templatesFilesAndAlertmanagerDataModel() throws Exception {
    Files.writeString(
        dir.resolve("custom.tmpl"),
        """
        {{ define "my.title" }}[{{ .Status | toUpper }}:{{ .Alerts.Firing | len }}] {{ .GroupLabels.SortedPairs.Values | join " " }}{{ end }}
        {{ define "my.text" }}{{ range .Alerts }}* {{ .Labels.instance }}: {{ .Annotations.summary }}
        {{ end }}{{ end }}
        """);
    Renderer r = Renderer.load(List.of(dir + "/*.tmpl"));
    Instant now = Instant.parse("2026-11-22T10:00:00Z");
    List<Alert> alerts =
        List.of(
            new Alert(
                Labels.of("alertname", "Down", "instance", "a"),
                Map.of("summary", "a down"),
                now.minusSeconds(60),
                now.plusSeconds(600),
                "",
                now,
                false),
            new Alert(
                Labels.of("alertname", "Down", "instance", "b"),
                Map.of("summary", "b down"),
                now.minusSeconds(60),
                now.minusSeconds(1),
                "",
                now,
                false));
    NotifyData d =
        new NotifyData(
            "chat",
            "{}:{alertname=\"Down\"}",
            Labels.of("alertname", "Down"),
            alerts,
            "http://am",
            now);
    assertThat(r.render("{{ template \"my.title\" . }}", d)).isEqualTo("[FIRING:1] Down");
    assertThat(r.render("{{ template \"my.text\" . }}", d)).isEqualTo("* a: a down\n* b: b down\n");
    assertThat(
            r.render(
                "{{ .CommonLabels.alertname }} {{ len .Alerts.Resolved }} {{ .ExternalURL }}", d))
        .isEqualTo("Down 1 http://am");
    assertThat(d.defaultTitle()).isEqualTo("[FIRING:1] Down ");
    // Alertmanager's own default title, written as a template, renders as our built-in one
    String amTitle =
        "[{{ .Status | toUpper }}{{ if eq .Status \"firing\" }}:{{ .Alerts.Firing | len }}{{ end }}]"
            + " {{ .GroupLabels.SortedPairs.Values | join \" \" }} {{ if gt (len .CommonLabels)"
            + " (len .GroupLabels) }}({{ with .CommonLabels.Remove .GroupLabels.Names }}{{ .Values"
            + " | join \" \" }}{{ end }}){{ end }}";
    NotifyData d2 =
        new NotifyData(
            "chat", "k", Labels.of("alertname", "Down"), alerts.subList(0, 1), "http://am", now);
    assertThat(r.render(amTitle, d2)).isEqualTo(d2.defaultTitle()).isEqualTo("[FIRING:1] Down (a)");
    assertThat(d.commonAnnotations).isEmpty();
  }
}
