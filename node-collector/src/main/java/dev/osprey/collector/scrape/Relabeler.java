package dev.osprey.collector.scrape;

import com.google.re2j.Matcher;
import dev.osprey.core.labels.Labels;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.List;
import java.util.Locale;

/** Applies relabel configs with Prometheus's semantics (relabel.Process). */
public final class Relabeler {
  private Relabeler() {}

  /** The relabelled set, or null when a keep/drop rule dropped it. */
  public static Labels process(Labels in, List<RelabelConfig> configs) {
    if (configs.isEmpty()) {
      return in;
    }
    Labels.Builder b = in.toBuilder();
    for (RelabelConfig c : configs) {
      if (!apply(b, c)) {
        return null;
      }
    }
    return b.build();
  }

  private static boolean apply(Labels.Builder b, RelabelConfig c) {
    String val = sourceValue(b, c);
    switch (c.action()) {
      case DROP -> {
        if (c.regex().matches(val)) {
          return false;
        }
      }
      case KEEP -> {
        if (!c.regex().matches(val)) {
          return false;
        }
      }
      case DROPEQUAL -> {
        if (b.get(c.targetLabel()).equals(val)) {
          return false;
        }
      }
      case KEEPEQUAL -> {
        if (!b.get(c.targetLabel()).equals(val)) {
          return false;
        }
      }
      case REPLACE -> {
        Matcher m = c.regex().matcher(val);
        if (!m.matches()) {
          break;
        }
        String target = expand(m, c.targetLabel());
        if (!dev.osprey.core.labels.Labels.isValidLabelName(target)) {
          break;
        }
        String res = expand(m, c.replacement());
        if (res.isEmpty()) {
          b.del(target);
        } else {
          b.set(target, res);
        }
      }
      case LOWERCASE -> b.set(c.targetLabel(), val.toLowerCase(Locale.ROOT));
      case UPPERCASE -> b.set(c.targetLabel(), val.toUpperCase(Locale.ROOT));
      case HASHMOD -> {
        long mod = Long.remainderUnsigned(sum64(md5(val)), c.modulus());
        b.set(c.targetLabel(), Long.toUnsignedString(mod));
      }
      case LABELMAP -> {
        Labels snapshot = b.build();
        for (int i = 0; i < snapshot.size(); i++) {
          Matcher m = c.regex().matcher(snapshot.name(i));
          if (m.matches()) {
            b.set(expand(m, c.replacement()), snapshot.value(i));
          }
        }
      }
      case LABELDROP, LABELKEEP -> {
        Labels snapshot = b.build();
        boolean keep = c.action() == RelabelConfig.Action.LABELKEEP;
        for (int i = 0; i < snapshot.size(); i++) {
          if (c.regex().matches(snapshot.name(i)) != keep) {
            b.del(snapshot.name(i));
          }
        }
      }
    }
    return true;
  }

  private static String sourceValue(Labels.Builder b, RelabelConfig c) {
    List<String> src = c.sourceLabels();
    if (src.isEmpty()) {
      return "";
    }
    if (src.size() == 1) {
      return b.get(src.get(0));
    }
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < src.size(); i++) {
      if (i > 0) {
        sb.append(c.separator());
      }
      sb.append(b.get(src.get(i)));
    }
    return sb.toString();
  }

  /**
   * Go's Regexp.Expand: {@code $1}, {@code ${1}}, {@code $name}, {@code ${name}}, {@code $$}; an
   * unknown group is empty; a malformed reference leaves the {@code $} as text.
   */
  static String expand(Matcher m, String template) {
    if (template.indexOf('$') < 0) {
      return template;
    }
    StringBuilder out = new StringBuilder();
    int i = 0;
    int n = template.length();
    while (i < n) {
      char ch = template.charAt(i);
      if (ch != '$') {
        out.append(ch);
        i++;
        continue;
      }
      if (i + 1 < n && template.charAt(i + 1) == '$') {
        out.append('$');
        i += 2;
        continue;
      }
      int start;
      int end;
      int next;
      if (i + 1 < n && template.charAt(i + 1) == '{') {
        start = i + 2;
        end = start;
        while (end < n && isNameChar(template.charAt(end))) {
          end++;
        }
        if (end == start || end >= n || template.charAt(end) != '}') {
          out.append('$');
          i++;
          continue;
        }
        next = end + 1;
      } else {
        start = i + 1;
        end = start;
        while (end < n && isNameChar(template.charAt(end))) {
          end++;
        }
        if (end == start) {
          out.append('$');
          i++;
          continue;
        }
        next = end;
      }
      String name = template.substring(start, end);
      String g = group(m, name);
      if (g != null) {
        out.append(g);
      }
      i = next;
    }
    return out.toString();
  }

  private static String group(Matcher m, String name) {
    boolean numeric = true;
    for (int k = 0; k < name.length(); k++) {
      if (name.charAt(k) < '0' || name.charAt(k) > '9') {
        numeric = false;
        break;
      }
    }
    try {
      if (numeric) {
        if (name.length() > 9) {
          return null;
        }
        int idx = Integer.parseInt(name);
        return idx <= m.groupCount() ? m.group(idx) : null;
      }
      return m.group(name);
    } catch (IllegalArgumentException e) {
      return null; // no such named group
    }
  }

  private static boolean isNameChar(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
  }

  private static byte[] md5(String s) {
    try {
      return MessageDigest.getInstance("MD5").digest(s.getBytes(StandardCharsets.UTF_8));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("BUG: MD5 is a required JDK algorithm", e);
    }
  }

  /** Prometheus's sum64: the last 8 bytes of the digest, big-endian. */
  private static long sum64(byte[] h) {
    long s = 0;
    for (int i = 8; i < 16; i++) {
      s = (s << 8) | (h[i] & 0xff);
    }
    return s;
  }
}
