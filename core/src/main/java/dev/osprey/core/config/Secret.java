package dev.osprey.core.config;

import com.fasterxml.jackson.annotation.JacksonAnnotationsInside;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.JsonSerializer;
import com.fasterxml.jackson.databind.SerializerProvider;
import com.fasterxml.jackson.databind.annotation.JsonSerialize;
import java.io.IOException;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Marks a config value that must never be printed: {@link ConfigLoader#toYaml} writes it as {@code
 * <secret>} (empty stays empty), as Prometheus and Alertmanager print their {@code Secret} type.
 * Reading is unaffected. {@code ConfigSecretsTest} fails when a component named like a password,
 * token or credentials lacks it.
 */
@Retention(RetentionPolicy.RUNTIME)
@Target({
  ElementType.RECORD_COMPONENT,
  ElementType.FIELD,
  ElementType.METHOD,
  ElementType.PARAMETER
})
@JacksonAnnotationsInside
@JsonSerialize(using = Secret.Masking.class)
public @interface Secret {
  /** What a secret prints as. */
  String MASK = "<secret>";

  /** Writes {@link #MASK} for a non-empty value. */
  final class Masking extends JsonSerializer<String> {
    @Override
    public void serialize(String value, JsonGenerator g, SerializerProvider p) throws IOException {
      g.writeString(mask(value));
    }

    /** {@link #MASK}, or the value itself when null or empty (for toString of records). */
    public static String mask(String value) {
      return value == null || value.isEmpty() ? value : MASK;
    }
  }
}
