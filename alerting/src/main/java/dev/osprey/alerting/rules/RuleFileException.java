package dev.osprey.alerting.rules;

import java.util.List;

/**
 * A rule file that cannot be loaded; each error reads as {@code promtool check rules} prints it.
 */
public final class RuleFileException extends Exception {
  private final List<String> errors;

  public RuleFileException(List<String> errors) {
    super("cannot load rules: " + String.join("; ", errors), null, false, false);
    this.errors = List.copyOf(errors);
  }

  public List<String> errors() {
    return errors;
  }
}
