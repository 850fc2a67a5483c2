package dev.osprey.alerting;

/**
 * Checks a PromQL expression without running it, for {@code osprey rules check} and rule loading.
 * Returns null when the expression is fine, else the parser's message (Prometheus's wording, as
 * {@code could not parse expression: <message>} is put in front of it).
 */
@FunctionalInterface
public interface ExpressionValidator {
  String validate(String expr);

  /** Accepts everything: used until the PromQL parser is wired in. */
  ExpressionValidator NONE = expr -> null;
}
