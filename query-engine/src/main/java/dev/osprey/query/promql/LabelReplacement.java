package dev.osprey.query.promql;

import com.google.re2j.Matcher;
import com.google.re2j.Pattern;
import com.google.re2j.PatternSyntaxException;
import dev.osprey.core.labels.Labels;

/**
 * {@code label_replace(v, dst, replacement, src, regex)} on one label set, as PromQL (and LogQL,
 * which takes it from PromQL) define it: the regex is anchored at both ends; when it matches the
 * value of {@code src}, {@code dst} is set to the expanded replacement ({@code $1}, {@code
 * ${name}}), and deleted when that is empty; otherwise the labels are unchanged.
 */
public final class LabelReplacement {
  private final String dst;
  private final String replacement;
  private final String src;
  private final Pattern pattern;

  private LabelReplacement(String dst, String replacement, String src, Pattern pattern) {
    this.dst = dst;
    this.replacement = replacement;
    this.src = src;
    this.pattern = pattern;
  }

  /**
   * @throws IllegalArgumentException with upstream's wording for a bad regex or destination name
   */
  public static LabelReplacement of(String dst, String replacement, String src, String regex) {
    Pattern p;
    try {
      p = Pattern.compile("^(?s:" + regex + ")$");
    } catch (PatternSyntaxException e) {
      throw new IllegalArgumentException("invalid regular expression in label_replace(): " + regex);
    }
    if (!FunctionCalls.validLabelName(dst)) {
      throw new IllegalArgumentException(
          "invalid destination label name in label_replace(): " + dst);
    }
    return new LabelReplacement(dst, replacement, src, p);
  }

  /** The label the replacement sets. */
  public String destination() {
    return dst;
  }

  /** The labels after the replacement; the same object when the regex does not match. */
  public Labels apply(Labels in) {
    Matcher m = pattern.matcher(in.get(src));
    if (!m.matches()) {
      return in;
    }
    String res = FunctionCalls.expand(replacement, m, pattern);
    return res.isEmpty() ? in.toBuilder().del(dst).build() : in.toBuilder().set(dst, res).build();
  }
}
