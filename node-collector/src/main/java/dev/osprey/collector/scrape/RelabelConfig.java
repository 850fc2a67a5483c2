package dev.osprey.collector.scrape;

import com.google.re2j.Pattern;
import com.google.re2j.PatternSyntaxException;
import java.util.List;
import java.util.Locale;

/**
 * One {@code relabel_configs} / {@code metric_relabel_configs} entry, validated as Prometheus
 * validates it. The regex is RE2 (re2j), anchored at both ends, with {@code .} matching newlines.
 */
public record RelabelConfig(
    List<String> sourceLabels,
    String separator,
    String regexSource,
    Pattern regex,
    long modulus,
    String targetLabel,
    String replacement,
    Action action) {

  /** The relabel actions Prometheus knows. */
  public enum Action {
    REPLACE,
    KEEP,
    DROP,
    KEEPEQUAL,
    DROPEQUAL,
    HASHMOD,
    LABELMAP,
    LABELDROP,
    LABELKEEP,
    LOWERCASE,
    UPPERCASE;

    public static Action parse(String s) {
      for (Action a : values()) {
        if (a.name().toLowerCase(Locale.ROOT).equals(s)) {
          return a;
        }
      }
      throw new IllegalArgumentException("unknown relabel action \"" + s + "\"");
    }

    public String yamlName() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  public static final String DEFAULT_REGEX = "(.*)";

  /** Compiles {@code regex} as Prometheus does: {@code ^(?s:regex)$}. */
  public static Pattern compile(String regex) {
    try {
      return Pattern.compile("^(?s:" + regex + ")$");
    } catch (PatternSyntaxException e) {
      throw new IllegalArgumentException("invalid regex \"" + regex + "\": " + e.getMessage(), e);
    }
  }

  /** Builds with Prometheus's defaults for null fields and validates. */
  public static RelabelConfig of(
      List<String> sourceLabels,
      String separator,
      String regex,
      Long modulus,
      String targetLabel,
      String replacement,
      String action) {
    Action a = Action.parse(action == null ? "replace" : action);
    String re = regex == null ? DEFAULT_REGEX : regex;
    RelabelConfig c =
        new RelabelConfig(
            sourceLabels == null ? List.of() : List.copyOf(sourceLabels),
            separator == null ? ";" : separator,
            re,
            compile(re),
            modulus == null ? 0 : modulus,
            targetLabel == null ? "" : targetLabel,
            replacement == null ? "$1" : replacement,
            a);
    c.validate(regex != null, replacement != null);
    return c;
  }

  private void validate(boolean regexSet, boolean replacementSet) {
    String act = action.yamlName();
    switch (action) {
      case REPLACE, HASHMOD, LOWERCASE, UPPERCASE, KEEPEQUAL, DROPEQUAL -> {
        if (targetLabel.isEmpty()) {
          throw new IllegalArgumentException(
              "relabel configuration for " + act + " action requires 'target_label' value");
        }
      }
      default -> {}
    }
    if (action == Action.HASHMOD && modulus == 0) {
      throw new IllegalArgumentException(
          "relabel configuration for hashmod requires non-zero modulus");
    }
    if ((action == Action.KEEPEQUAL || action == Action.DROPEQUAL)
        && (regexSet || replacementSet || modulus != 0 || !separator.equals(";"))) {
      throw new IllegalArgumentException(
          act + " action requires only 'source_labels' and 'target_label', and no other fields");
    }
    if ((action == Action.LOWERCASE || action == Action.UPPERCASE) && replacementSet) {
      throw new IllegalArgumentException("'replacement' can not be set for " + act + " action");
    }
    if (action == Action.LABELDROP || action == Action.LABELKEEP) {
      if (!sourceLabels.isEmpty()
          || !targetLabel.isEmpty()
          || modulus != 0
          || !separator.equals(";")
          || replacementSet) {
        throw new IllegalArgumentException(
            act + " action requires only 'regex', and no other " + "fields");
      }
    }
    if (action == Action.REPLACE
        && !targetLabel.contains("$")
        && !dev.osprey.core.labels.Labels.isValidLabelName(targetLabel)) {
      throw new IllegalArgumentException(
          "\"" + targetLabel + "\" is invalid 'target_label' for " + act + " action");
    }
    for (String s : sourceLabels) {
      if (!dev.osprey.core.labels.Labels.isValidLabelName(s)) {
        throw new IllegalArgumentException("\"" + s + "\" is not a valid label name");
      }
    }
  }
}
