package dev.osprey.query.logql;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;

/** The JSON expressions of {@code json label="a.b[0]"}: fields, quoted fields, array indexes. */
final class JsonPath {
  private JsonPath() {}

  static List<Object> parse(String path) {
    List<Object> out = new ArrayList<>();
    int i = 0;
    int n = path.length();
    while (i < n) {
      char c = path.charAt(i);
      if (c == '.') {
        i++;
      } else if (c == '[') {
        int e = path.indexOf(']', i);
        if (e < 0) {
          throw new IllegalArgumentException("invalid JSON path " + path);
        }
        String in = path.substring(i + 1, e).trim();
        if (in.startsWith("\"") && in.endsWith("\"") && in.length() >= 2) {
          out.add(in.substring(1, in.length() - 1));
        } else {
          out.add(Integer.parseInt(in));
        }
        i = e + 1;
      } else {
        int s = i;
        while (i < n && path.charAt(i) != '.' && path.charAt(i) != '[') {
          i++;
        }
        out.add(path.substring(s, i));
      }
    }
    return out;
  }

  static JsonNode get(JsonNode root, List<Object> path) {
    JsonNode cur = root;
    for (Object p : path) {
      if (cur == null) {
        return null;
      }
      cur = p instanceof Integer idx ? cur.get(idx) : cur.get((String) p);
    }
    return cur;
  }
}
