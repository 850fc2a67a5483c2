package dev.osprey.core.config;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonDeserializer;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.JsonSerializer;
import com.fasterxml.jackson.databind.MapperFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.SerializerProvider;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.module.SimpleModule;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLGenerator;
import dev.osprey.core.util.ByteSize;
import dev.osprey.core.util.PromDuration;
import java.io.IOException;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.RecordComponent;
import java.lang.reflect.Type;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Reads {@code osprey.yaml}. Keys are snake_case ({@code data_dir}, {@code wal_fsync}). Every error
 * is collected, not just the first, each with the file, line, column and key path: an unknown key
 * (with the closest known one), a value of the wrong type, a duration or size that does not parse,
 * a value a section rejects.
 */
public final class ConfigLoader {
  private static final YAMLFactory YAML = new YAMLFactory();
  private static final ObjectMapper MAPPER = mapper(YAML);

  private ConfigLoader() {}

  /** Every problem found in a config file; the message lists them one per line. */
  public static final class ConfigException extends RuntimeException {
    private final List<String> errors;

    public ConfigException(List<String> errors) {
      super(String.join("\n", errors), null, false, false);
      this.errors = List.copyOf(errors);
    }

    public List<String> errors() {
      return errors;
    }
  }

  public static OspreyConfig load(Path file) {
    String text;
    try {
      text = Files.readString(file);
    } catch (NoSuchFileException e) {
      throw new ConfigException(List.of(file + ": cannot read config: no such file"));
    } catch (IOException e) {
      throw new ConfigException(List.of(file + ": cannot read config: " + e.getMessage()));
    }
    return parse(file.toString(), text);
  }

  /**
   * Parses YAML text.
   *
   * @param source the file name used in error messages
   */
  public static OspreyConfig parse(String source, String text) {
    if (text.isBlank()) {
      return OspreyConfig.DEFAULTS;
    }
    List<String> errors = new ArrayList<>();
    try (JsonParser p = YAML.createParser(text)) {
      JsonToken t = p.nextToken();
      if (t != null && t != JsonToken.VALUE_NULL) {
        validate(p, OspreyConfig.class, "", source, errors);
      }
    } catch (IOException e) {
      errors.add(source + ": cannot parse YAML: " + firstLine(e.getMessage()));
    }
    if (!errors.isEmpty()) {
      throw new ConfigException(errors);
    }
    try {
      OspreyConfig c = MAPPER.readValue(text, OspreyConfig.class);
      return c != null ? c : OspreyConfig.DEFAULTS;
    } catch (JsonMappingException e) {
      Throwable root = e;
      while (root.getCause() != null) {
        root = root.getCause();
      }
      throw new ConfigException(
          List.of(
              where(source, e.getLocation()) + pathOf(e) + ": " + firstLine(root.getMessage())));
    } catch (IOException e) {
      throw new ConfigException(
          List.of(source + ": cannot parse YAML: " + firstLine(e.getMessage())));
    }
  }

  /** The effective config as YAML, every default spelled out. */
  public static String toYaml(OspreyConfig config) {
    try {
      return MAPPER.writeValueAsString(config);
    } catch (IOException e) {
      throw new IllegalStateException("BUG: cannot write config: " + e.getMessage(), e);
    }
  }

  /** The YAML key of a record component: camelCase to snake_case. */
  public static String keyOf(String component) {
    return PropertyNamingStrategies.SnakeCaseStrategy.INSTANCE.translate(component);
  }

  // --- validation against the record schema, collecting every error with its location ---

  private static void validate(
      JsonParser p, Type type, String path, String src, List<String> errors) throws IOException {
    Class<?> raw = rawClass(type);
    JsonToken t = p.currentToken();
    JsonLocation loc = p.currentTokenLocation();
    if (t == JsonToken.VALUE_NULL) {
      return; // null means "the default"
    }
    if (raw.isRecord() && raw != ByteSize.class) {
      if (t != JsonToken.START_OBJECT) {
        errors.add(where(src, loc) + path + ": expected a mapping of keys, got " + describe(p));
        p.skipChildren();
        return;
      }
      RecordComponent[] comps = raw.getRecordComponents();
      while (p.nextToken() == JsonToken.FIELD_NAME) {
        String key = p.currentName();
        JsonLocation keyLoc = p.currentTokenLocation();
        p.nextToken();
        RecordComponent match = null;
        for (RecordComponent rc : comps) {
          if (keyOf(rc.getName()).equals(key)) {
            match = rc;
          }
        }
        String childPath = path.isEmpty() ? key : path + "." + key;
        if (match == null) {
          errors.add(
              where(src, keyLoc) + "unknown key \"" + childPath + "\"" + suggestion(key, comps));
          p.skipChildren();
          continue;
        }
        validate(p, match.getGenericType(), childPath, src, errors);
      }
      return;
    }
    if (List.class.isAssignableFrom(raw)) {
      if (t != JsonToken.START_ARRAY) {
        errors.add(where(src, loc) + path + ": expected a list, got " + describe(p));
        p.skipChildren();
        return;
      }
      Type elem = ((ParameterizedType) type).getActualTypeArguments()[0];
      int i = 0;
      while (p.nextToken() != JsonToken.END_ARRAY) {
        validate(p, elem, path + "[" + i++ + "]", src, errors);
      }
      return;
    }
    if (Map.class.isAssignableFrom(raw)) {
      if (t != JsonToken.START_OBJECT) {
        errors.add(where(src, loc) + path + ": expected a mapping, got " + describe(p));
        p.skipChildren();
        return;
      }
      Type value = ((ParameterizedType) type).getActualTypeArguments()[1];
      while (p.nextToken() == JsonToken.FIELD_NAME) {
        String key = p.currentName();
        p.nextToken();
        validate(p, value, path + "." + key, src, errors);
      }
      return;
    }
    if (t == JsonToken.START_OBJECT || t == JsonToken.START_ARRAY) {
      errors.add(where(src, loc) + path + ": expected " + typeName(raw) + ", got " + describe(p));
      p.skipChildren();
      return;
    }
    String text = p.getText();
    try {
      if (raw == String.class) {
        if (!t.isScalarValue()) {
          throw new IllegalArgumentException("expected a string");
        }
      } else if (raw == Integer.class
          || raw == int.class
          || raw == Long.class
          || raw == long.class) {
        if (t != JsonToken.VALUE_NUMBER_INT) {
          throw new IllegalArgumentException("expected a whole number, got " + describe(p));
        }
      } else if (raw == Boolean.class || raw == boolean.class) {
        if (t != JsonToken.VALUE_TRUE && t != JsonToken.VALUE_FALSE) {
          throw new IllegalArgumentException("expected true or false, got " + describe(p));
        }
      } else if (raw == Double.class || raw == double.class) {
        if (!t.isNumeric()) {
          throw new IllegalArgumentException("expected a number, got " + describe(p));
        }
      } else if (raw == Duration.class) {
        PromDuration.parseMillis(text);
      } else if (raw == ByteSize.class) {
        ByteSize.parse(text);
      }
    } catch (IllegalArgumentException e) {
      errors.add(where(src, loc) + path + ": " + e.getMessage());
    }
  }

  private static String describe(JsonParser p) throws IOException {
    JsonToken t = p.currentToken();
    return switch (t) {
      case START_OBJECT -> "a mapping";
      case START_ARRAY -> "a list";
      case VALUE_STRING -> "the string \"" + p.getText() + "\"";
      default -> p.getText();
    };
  }

  private static String typeName(Class<?> raw) {
    if (raw == Duration.class) {
      return "a duration such as 30s or 5m";
    }
    if (raw == ByteSize.class) {
      return "a size such as 512MiB";
    }
    return "a single value";
  }

  private static Class<?> rawClass(Type t) {
    if (t instanceof Class<?> c) {
      return c;
    }
    return (Class<?>) ((ParameterizedType) t).getRawType();
  }

  private static String suggestion(String key, RecordComponent[] comps) {
    String best = null;
    int bestD = Integer.MAX_VALUE;
    for (RecordComponent rc : comps) {
      String k = keyOf(rc.getName());
      int d = editDistance(key, k);
      if (d < bestD) {
        bestD = d;
        best = k;
      }
    }
    return best != null && bestD <= Math.max(1, key.length() / 4)
        ? " (did you mean \"" + best + "\"?)"
        : "";
  }

  static int editDistance(String a, String b) {
    int[] prev = new int[b.length() + 1];
    int[] cur = new int[b.length() + 1];
    for (int j = 0; j <= b.length(); j++) {
      prev[j] = j;
    }
    for (int i = 1; i <= a.length(); i++) {
      cur[0] = i;
      for (int j = 1; j <= b.length(); j++) {
        int sub = prev[j - 1] + (a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1);
        cur[j] = Math.min(sub, Math.min(prev[j] + 1, cur[j - 1] + 1));
      }
      int[] tmp = prev;
      prev = cur;
      cur = tmp;
    }
    return prev[b.length()];
  }

  private static String where(String src, JsonLocation loc) {
    if (loc == null || loc.getLineNr() <= 0) {
      return src + ": ";
    }
    return src + ":" + loc.getLineNr() + ":" + loc.getColumnNr() + ": ";
  }

  private static String pathOf(JsonMappingException e) {
    StringBuilder sb = new StringBuilder();
    for (JsonMappingException.Reference r : e.getPath()) {
      if (r.getFieldName() != null) {
        if (!sb.isEmpty()) {
          sb.append('.');
        }
        sb.append(r.getFieldName());
      } else if (r.getIndex() >= 0) {
        sb.append('[').append(r.getIndex()).append(']');
      }
    }
    return sb.toString();
  }

  private static String firstLine(String s) {
    if (s == null) {
      return "unknown error";
    }
    int nl = s.indexOf('\n');
    return nl < 0 ? s : s.substring(0, nl);
  }

  private static ObjectMapper mapper(YAMLFactory yaml) {
    YAMLFactory out =
        YAMLFactory.builder()
            .disable(YAMLGenerator.Feature.WRITE_DOC_START_MARKER)
            .enable(YAMLGenerator.Feature.MINIMIZE_QUOTES)
            .build();
    SimpleModule m = new SimpleModule("osprey-config");
    m.addDeserializer(
        Duration.class,
        new JsonDeserializer<>() {
          @Override
          public Duration deserialize(JsonParser p, DeserializationContext c) throws IOException {
            return Duration.ofMillis(PromDuration.parseMillis(p.getText()));
          }
        });
    m.addSerializer(
        Duration.class,
        new JsonSerializer<>() {
          @Override
          public void serialize(Duration d, JsonGenerator g, SerializerProvider s)
              throws IOException {
            g.writeString(PromDuration.format(d.toMillis()));
          }
        });
    m.addDeserializer(
        ByteSize.class,
        new JsonDeserializer<>() {
          @Override
          public ByteSize deserialize(JsonParser p, DeserializationContext c) throws IOException {
            return ByteSize.parse(p.getText());
          }
        });
    m.addSerializer(
        ByteSize.class,
        new JsonSerializer<>() {
          @Override
          public void serialize(ByteSize b, JsonGenerator g, SerializerProvider s)
              throws IOException {
            g.writeString(b.toString());
          }
        });
    return JsonMapper.builder(out)
        .propertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
        .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
        .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
        .disable(MapperFeature.ALLOW_COERCION_OF_SCALARS)
        .addModule(m)
        .build();
  }
}
