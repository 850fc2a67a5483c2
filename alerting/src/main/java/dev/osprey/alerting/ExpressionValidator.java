package dev.osprey.alerting;

/**
 * Checks a PromQL expression without running it, for {@code osprey rules check} and rule loading.
 * Returns null when the expression is fine, else the parser's message (Prometheus's wording, as
 * {@code could not parse expression: <message>} is put in front of it).
 */
@FunctionalInterface
public interface ExpressionValidator {
  String validate(String expr);

  /**
   * The expression as Prometheus prints its parsed form ({@code /api/v1/rules}' {@code query} and
   * the alerts' generatorURL show that, not the rule file's text). The default returns the text.
   */
  default String format(String expr) {
    return expr;
  }

  /** Accepts everything: used until the PromQL parser is wired in. */
  ExpressionValidator NONE = expr -> null;
}
