package dev.osprey.alerting.slo;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.osprey.alerting.ExpressionValidator;
import dev.osprey.alerting.rules.GroupSpec;
import dev.osprey.alerting.rules.RuleFiles;
import dev.osprey.alerting.rules.RuleSpec;
import java.util.List;
import org.junit.jupiter.api.Test;

class SloRulesTest {
  static final String SPEC =
      """
      slos:
        - name: api-availability
          objective: 99.9
          window: 30d
          sli:
            good: sum(rate(http_requests_total{job="api",code!~"5.."}[{{.window}}]))
            total: sum(rate(http_requests_total{job="api"}[{{.window}}]))
          labels: {team: api}
      """;

  @Test
  void workbookBurnRatesFor30Days() throws Exception {
    List<GroupSpec> groups = SloRules.generate(SloSpec.parse(SPEC), "slo.yml");
    GroupSpec g = groups.get(0);
    assertThat(g.name()).isEqualTo("slo-api-availability");
    List<RuleSpec> rec = g.rules().stream().filter(r -> !r.isAlerting()).toList();
    assertThat(rec)
        .extracting(RuleSpec::record)
        .containsExactly(
            "slo:sli_error:ratio_rate5m",
            "slo:sli_error:ratio_rate30m",
            "slo:sli_error:ratio_rate1h",
            "slo:sli_error:ratio_rate2h",
            "slo:sli_error:ratio_rate6h",
            "slo:sli_error:ratio_rate1d",
            "slo:sli_error:ratio_rate3d");
    assertThat(rec.get(2).expr())
        .isEqualTo(
            "1 - ((sum(rate(http_requests_total{job=\"api\",code!~\"5..\"}[1h]))) / (sum(rate(http_requests_total{job=\"api\"}[1h]))))");
    assertThat(rec.get(0).labels())
        .containsEntry("slo", "api-availability")
        .containsEntry("team", "api");
    RuleSpec page =
        g.rules().stream()
            .filter(r -> "page".equals(r.labels().get("severity")))
            .findFirst()
            .orElseThrow();
    assertThat(page.alert()).isEqualTo("ApiAvailabilityErrorBudgetBurn");
    assertThat(page.expr())
        .isEqualTo(
            "(slo:sli_error:ratio_rate1h{slo=\"api-availability\"} > (14.4 * 0.001) and slo:sli_error:ratio_rate5m{slo=\"api-availability\"} > (14.4 * 0.001))\n"
                + "or\n"
                + "(slo:sli_error:ratio_rate6h{slo=\"api-availability\"} > (6 * 0.001) and slo:sli_error:ratio_rate30m{slo=\"api-availability\"} > (6 * 0.001))");
    RuleSpec ticket =
        g.rules().stream()
            .filter(r -> "ticket".equals(r.labels().get("severity")))
            .findFirst()
            .orElseThrow();
    assertThat(ticket.expr())
        .contains("ratio_rate1d{slo=\"api-availability\"} > (3 * 0.001)")
        .contains("ratio_rate3d{slo=\"api-availability\"} > (1 * 0.001)")
        .contains("ratio_rate6h{slo=\"api-availability\"} > (1 * 0.001)");
    // the rendered file is a valid rule file with the same content
    String yaml = SloRules.toYaml(groups);
    List<GroupSpec> back = RuleFiles.parse("slo.yml", yaml, ExpressionValidator.NONE);
    assertThat(back).isEqualTo(groups);
  }

  @Test
  void rejectsBadSpecs() {
    assertThatThrownBy(() -> SloSpec.parse(SPEC.replace("99.9", "100")))
        .hasMessageContaining("objective must be between 0 and 100");
    assertThatThrownBy(
            () -> SloSpec.parse(SPEC.replace("job=\"api\"}[{{.window}}]", "job=\"api\"}[5m]")))
        .hasMessageContaining("must contain {{.window}}");
    assertThatThrownBy(() -> SloSpec.parse(SPEC.replace("window: 30d", "window: 1d")))
        .hasMessageContaining("at least 3d");
    assertThatThrownBy(() -> SloSpec.parse(SPEC.replace("objective:", "objectiv:")))
        .hasMessageContaining("field objectiv not found in type slo.SLO");
  }
}
